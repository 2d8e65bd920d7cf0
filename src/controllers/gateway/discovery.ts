// Whether the apiserver serves the Gateway API (its CRDs are optional in a cluster): asked once at
// start through discovery, so the controller runs without them and skips the Gateway parts.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { isNotFound } from '../../kube/errors.ts';
import { GATEWAY_API_GROUP } from './types.ts';

/** The Gateway API resources acme6 uses, by whether the apiserver serves them (group version v1). */
export interface GatewayApiResources {
  gateways: boolean;
  httproutes: boolean;
}

/** Reads /apis/gateway.networking.k8s.io/v1; a 404 means the CRDs are not installed. */
export async function discoverGatewayApi(kubeConfig: KubeConfig): Promise<GatewayApiResources> {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  try {
    const list = (await api.getAPIResources({ group: GATEWAY_API_GROUP, version: 'v1' })) as {
      resources?: { name: string }[];
    };
    const served = new Set((list.resources ?? []).map((r) => r.name));
    return { gateways: served.has('gateways'), httproutes: served.has('httproutes') };
  } catch (err) {
    if (isNotFound(err)) return { gateways: false, httproutes: false };
    throw err;
  }
}
