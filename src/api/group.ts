// Names of the acme6.io API: group, version, kinds, resources, and the annotations and labels acme6
// reads or writes on objects it does not own. One place, so a rename cannot miss a caller.

/** API group of every acme6 custom resource. */
export const GROUP = 'acme6.io';
/** The one served and stored version. */
export const VERSION = 'v1alpha1';
/** `apiVersion` as it appears in objects. */
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Kind names (a const object, not an enum: `erasableSyntaxOnly`). */
export const Kind = {
  Certificate: 'Certificate',
  Issuer: 'Issuer',
  ClusterIssuer: 'ClusterIssuer',
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** Per-kind facts a client needs to build URLs and watches. */
export interface ResourceInfo {
  readonly kind: Kind;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
}

/** Resource facts per kind; must match crds/*.yaml (a unit test checks). */
export const RESOURCES: Readonly<Record<Kind, ResourceInfo>> = {
  Certificate: {
    kind: 'Certificate',
    plural: 'certificates',
    singular: 'certificate',
    namespaced: true,
    // not cert/certs: cert-manager owns those and both often run in one cluster
    shortNames: ['a6cert', 'a6certs'],
  },
  Issuer: {
    kind: 'Issuer',
    plural: 'issuers',
    singular: 'issuer',
    namespaced: true,
    shortNames: ['a6issuer'],
  },
  ClusterIssuer: {
    kind: 'ClusterIssuer',
    plural: 'clusterissuers',
    singular: 'clusterissuer',
    namespaced: false,
    shortNames: ['a6clusterissuer', 'a6ci'],
  },
};

/** `kubectl get acme6` lists every acme6 resource. */
export const CATEGORY = 'acme6';

/** Prefix of every annotation and label key acme6 owns; users may not set these on templates. */
export const RESERVED_PREFIX = `${GROUP}/`;

// Ingress annotations read by the ingress-shim (same meaning as cert-manager's `cert-manager.io/...`).
/** Ingress annotation: name of a namespaced Issuer to create Certificates from this Ingress with. */
export const ANNOTATION_ISSUER = `${GROUP}/issuer`;
/** Ingress annotation: name of a ClusterIssuer to create Certificates from this Ingress with. */
export const ANNOTATION_CLUSTER_ISSUER = `${GROUP}/cluster-issuer`;
/** Ingress annotation: kind of the issuer named by ANNOTATION_ISSUER (Issuer, the default, or ClusterIssuer). */
export const ANNOTATION_ISSUER_KIND_OVERRIDE = `${GROUP}/issuer-kind`;
/** Ingress annotation (a convention shared with other controllers): `"true"` uses the controller's default issuer. */
export const ANNOTATION_TLS_ACME = 'kubernetes.io/tls-acme';
/** Ingress annotation: spec.duration of the Certificates made from the Ingress. */
export const ANNOTATION_DURATION = `${GROUP}/duration`;
/** Ingress annotation: spec.renewBefore of the Certificates made from the Ingress. */
export const ANNOTATION_RENEW_BEFORE = `${GROUP}/renew-before`;
/** Ingress annotation: spec.renewBeforePercentage of the Certificates made from the Ingress. */
export const ANNOTATION_RENEW_BEFORE_PERCENTAGE = `${GROUP}/renew-before-percentage`;
/** Ingress annotation: spec.privateKey.algorithm of the Certificates made from the Ingress. */
export const ANNOTATION_PRIVATE_KEY_ALGORITHM = `${GROUP}/private-key-algorithm`;
/** Ingress annotation: spec.privateKey.size of the Certificates made from the Ingress. */
export const ANNOTATION_PRIVATE_KEY_SIZE = `${GROUP}/private-key-size`;
/** Ingress annotation: spec.privateKey.rotationPolicy of the Certificates made from the Ingress. */
export const ANNOTATION_PRIVATE_KEY_ROTATION_POLICY = `${GROUP}/private-key-rotation-policy`;
/** Ingress annotation: spec.secretDeletionPolicy of the Certificates made from the Ingress. */
export const ANNOTATION_SECRET_DELETION_POLICY = `${GROUP}/secret-deletion-policy`;
/**
 * Ingress and Certificate annotation: ingress class of the http-01 solver's Ingress, overriding the
 * issuer's http01 solver setting (the ingress-shim copies it from the Ingress to its Certificates).
 */
export const ANNOTATION_HTTP01_INGRESS_CLASS = `${GROUP}/http01-ingress-class`;
/**
 * Ingress and Certificate annotation: `http-01` or `dns-01`, the challenge type to prefer when the
 * issuer has solvers of both types for a name (copied from the Ingress to its Certificates).
 */
export const ANNOTATION_CHALLENGE_TYPE = `${GROUP}/challenge-type`;

// Service annotations read by the node agent.
/** Service annotation: `"true"` exposes the Service's ULA pods on the node's public IPv6 address. */
export const ANNOTATION_EXPOSE_IPV6 = `${GROUP}/expose-ipv6`;
/** Service annotation: comma-separated ports to expose (default: every port the Service publishes). */
export const ANNOTATION_EXPOSE_PORTS = `${GROUP}/expose-ports`;

// Labels and annotations acme6 writes on the Secrets it manages.
/** Label on every Secret acme6 manages; informers cache only Secrets with it (value `"true"`). */
export const LABEL_MANAGED = `${GROUP}/managed`;
/** Label value of LABEL_MANAGED. */
export const LABEL_MANAGED_VALUE = 'true';
/** Label on a managed certificate Secret: name of the Certificate that owns it. */
export const LABEL_CERTIFICATE_NAME = `${GROUP}/certificate-name`;
/** Annotation on a certificate Secret: name of the issuer that signed it. */
export const ANNOTATION_ISSUER_NAME = `${GROUP}/issuer-name`;
/** Annotation on a certificate Secret: kind of the issuer that signed it (Issuer or ClusterIssuer). */
export const ANNOTATION_ISSUER_KIND = `${GROUP}/issuer-kind`;
/** Annotation on a certificate Secret: the Certificate revision (status.revision) it holds. */
export const ANNOTATION_REVISION = `${GROUP}/revision`;
