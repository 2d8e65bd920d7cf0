// The parts of Gateway API objects (gateway.networking.k8s.io/v1, standard channel) acme6 reads and
// writes. @kubernetes/client-node has no types for them; only the fields used here are listed.
import type { V1Condition, V1ObjectMeta } from '@kubernetes/client-node';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
export const GATEWAY_API_VERSION = `${GATEWAY_API_GROUP}/v1`;

/** A reference from a listener to its certificate (by default a Secret in the Gateway's namespace). */
export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface GatewayListener {
  name: string;
  hostname?: string;
  port: number;
  protocol: string;
  tls?: { mode?: 'Terminate' | 'Passthrough'; certificateRefs?: SecretObjectReference[] };
}

export interface Gateway {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec?: { gatewayClassName?: string; listeners?: GatewayListener[] };
}

/** A parentRef of an HTTPRoute (a Gateway, optionally one listener of it). */
export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface HTTPRoute {
  apiVersion?: string;
  kind?: string;
  metadata?: V1ObjectMeta;
  spec?: {
    parentRefs?: ParentReference[];
    hostnames?: string[];
    rules?: {
      matches?: { path?: { type?: string; value?: string } }[];
      backendRefs?: { group?: string; kind?: string; name: string; port?: number }[];
    }[];
  };
  status?: {
    parents?: { parentRef: ParentReference; controllerName?: string; conditions?: V1Condition[] }[];
  };
}
