// The kubernetes.io/tls Secret a Certificate's issuance writes, in one update: chain, key, what
// issued it, and the user's secretTemplate. Labels, annotations, owner references and data keys that
// are not ours are kept, so other tools' metadata on the Secret survives a renewal. Whether the
// Certificate owns its Secret (secretDeletionPolicy) is decided here too, by secretOwnerReferences.
import type { V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import type { CertificateSpec, SecretDeletionPolicy } from '../../api/certificate.ts';
import {
  API_VERSION,
  ANNOTATION_ISSUER_KIND,
  ANNOTATION_ISSUER_NAME,
  ANNOTATION_REVISION,
  GROUP,
  LABEL_CERTIFICATE_NAME,
  LABEL_MANAGED,
  LABEL_MANAGED_VALUE,
  Kind,
} from '../../api/group.ts';

/** Annotation: the certificate's DNS names, comma-separated, as issued. */
export const ANNOTATION_DNS_NAMES = `${GROUP}/dns-names`;
/** Annotation: the certificate's notAfter (RFC 3339). */
export const ANNOTATION_NOT_AFTER = `${GROUP}/not-after`;

/** What an issuance produced. */
export interface IssuedCertificate {
  /** Leaf first, then intermediates, as the CA sent them. */
  chainPem: string;
  keyPem: string;
  /** The root, when the chain ends in a self-signed certificate. */
  caPem?: string;
  dnsNames: readonly string[];
  notAfter: Date;
  revision: number;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** The Secret to write for `issued`, merged over `existing` (or a new one). */
export function buildTlsSecret(
  certificate: { name: string; namespace: string; spec: CertificateSpec },
  issued: IssuedCertificate,
  existing?: V1Secret,
): V1Secret & { metadata: { name: string; namespace: string } } {
  const { spec } = certificate;
  const data: Record<string, string> = {
    ...existing?.data,
    'tls.crt': b64(issued.chainPem),
    'tls.key': b64(issued.keyPem),
  };
  if (issued.caPem) data['ca.crt'] = b64(issued.caPem);
  else delete data['ca.crt'];
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: {
      ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      name: spec.secretName,
      namespace: certificate.namespace,
      // Kept as they are: whether the Certificate owns the Secret is secretOwnerReferences' decision.
      ...(existing?.metadata?.ownerReferences?.length
        ? { ownerReferences: existing.metadata.ownerReferences }
        : {}),
      labels: {
        ...existing?.metadata?.labels,
        ...spec.secretTemplate?.labels,
        [LABEL_MANAGED]: LABEL_MANAGED_VALUE,
        [LABEL_CERTIFICATE_NAME]: certificate.name,
      },
      annotations: {
        ...existing?.metadata?.annotations,
        ...spec.secretTemplate?.annotations,
        [ANNOTATION_ISSUER_NAME]: spec.issuerRef.name,
        [ANNOTATION_ISSUER_KIND]: spec.issuerRef.kind,
        [ANNOTATION_REVISION]: String(issued.revision),
        [ANNOTATION_DNS_NAMES]: issued.dnsNames.join(','),
        [ANNOTATION_NOT_AFTER]: issued.notAfter.toISOString(),
      },
    },
    data,
  };
}

/** The deletion policy in force: the Certificate's own, else the controller's default. */
export function effectiveSecretDeletionPolicy(
  spec: Pick<CertificateSpec, 'secretDeletionPolicy'>,
  controllerDefault: SecretDeletionPolicy,
): SecretDeletionPolicy {
  return spec.secretDeletionPolicy ?? controllerDefault;
}

const isCertificateRef = (ref: V1OwnerReference): boolean =>
  ref.kind === Kind.Certificate && ref.apiVersion.split('/')[0] === API_VERSION.split('/')[0];

/**
 * The Secret's ownerReferences under `policy`: with Delete the Certificate owns the Secret (so garbage
 * collection removes it with the Certificate), with Retain no Certificate does. Other owners stay.
 */
export function secretOwnerReferences(
  certificate: { name: string; uid: string },
  policy: SecretDeletionPolicy,
  existing: readonly V1OwnerReference[] = [],
): V1OwnerReference[] {
  const others = existing.filter((ref) => !isCertificateRef(ref));
  if (policy === 'Retain') return others;
  return [
    ...others,
    {
      apiVersion: API_VERSION,
      kind: Kind.Certificate,
      name: certificate.name,
      uid: certificate.uid,
      // An object has at most one controller; a Secret another controller owns keeps its controller.
      controller: !others.some((ref) => ref.controller),
      blockOwnerDeletion: true,
    },
  ];
}
