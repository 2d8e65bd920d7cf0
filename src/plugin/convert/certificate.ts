// cert-manager Certificates as acme6 ones. What ACME can put in a certificate carries over (DNS names,
// lifetime and renewal, the key); what it cannot (IPs, URIs, subjects, usages) or what acme6 writes
// differently (keystores, extra output formats) is noted.
import { API_VERSION, GROUP } from '../../api/group.ts';
import { convertMetadata, keepMap } from './metadata.ts';
import { asRecord, asString, asStrings, Notes } from './notes.ts';

/** How a Certificate's issuer converted: by "Kind/namespace/name" (namespace empty for ClusterIssuers). */
export type IssuerVerdicts = ReadonlyMap<string, boolean>;

/** The key of an issuer in IssuerVerdicts. */
export function issuerKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${kind === 'ClusterIssuer' ? '' : namespace}/${name}`;
}

const DROPPED: Record<string, string> = {
  ipAddresses: 'acme6 issues for DNS names only (no IP address identifiers); not carried over',
  uris: 'ACME CAs do not issue URI SANs; not carried over',
  emailAddresses: 'ACME CAs do not issue e-mail SANs; not carried over',
  otherNames: 'ACME CAs do not issue otherName SANs; not carried over',
  subject: 'ACME CAs ignore the subject; not carried over',
  literalSubject: 'ACME CAs ignore the subject; not carried over',
  isCA: 'ACME CAs issue leaf certificates only; not carried over',
  usages: 'the CA decides key usages (server auth for ACME); not carried over',
  keystores: 'acme6 writes tls.crt and tls.key only (no JKS or PKCS#12 keystores); not carried over',
  additionalOutputFormats: 'acme6 writes tls.crt and tls.key only; not carried over',
  revisionHistoryLimit: 'acme6 keeps no CertificateRequests; not carried over',
  nameConstraints: 'ACME CAs issue leaf certificates only; not carried over',
  encodeUsagesInRequest: 'the CA decides key usages; not carried over',
  signatureAlgorithm: 'the CA chooses the signature algorithm; not carried over',
};

/** The outcome for one Certificate. */
export interface CertificateConversion {
  object?: Record<string, unknown>;
  notes: Notes;
}

function convertPrivateKey(source: unknown, notes: Notes): Record<string, unknown> {
  const key = asRecord(source) ?? {};
  notes.unknown(key, 'spec.privateKey', ['algorithm', 'size', 'rotationPolicy', 'encoding']);
  if (key.encoding !== undefined && key.encoding !== 'PKCS8') {
    notes.add('spec.privateKey.encoding', 'acme6 writes tls.key as PKCS#8; not carried over');
  }
  // cert-manager's default is RSA 2048; acme6's is ECDSA P-256. Spelled out, so the key the Secret
  // holds today still matches and acme6 does not reissue at once for a key type change.
  const algorithm = asString(key.algorithm) ?? 'RSA';
  const out: Record<string, unknown> = { algorithm };
  const size = typeof key.size === 'number' ? key.size : algorithm === 'RSA' ? 2048 : undefined;
  if (size !== undefined && algorithm !== 'Ed25519') out.size = size;
  const rotation = asString(key.rotationPolicy);
  if (rotation) out.rotationPolicy = rotation;
  return out;
}

/** `Ingress web` when an Ingress or Gateway controls the Certificate (cert-manager's shims made it). */
function shimOwner(metadata: unknown): string | undefined {
  const refs = asRecord(metadata)?.ownerReferences;
  const owner = (Array.isArray(refs) ? refs : [])
    .map(asRecord)
    .find((ref) => ref?.controller === true && (ref.kind === 'Ingress' || ref.kind === 'Gateway'));
  return owner ? `${String(owner.kind)} ${String(owner.name)}` : undefined;
}

/** Converts one cert-manager Certificate; `issuers` says which issuers converted (as ACME issuers). */
export function convertCertificate(
  source: Record<string, unknown>,
  issuers: IssuerVerdicts,
): CertificateConversion {
  const notes = new Notes();
  const spec = asRecord(source.spec) ?? {};
  const shim = shimOwner(source.metadata);
  if (shim) {
    notes.add(
      'metadata.ownerReferences',
      `made by cert-manager's ingress-shim for ${shim}: acme6's ingress-shim makes its own Certificate from the annotated ${shim.split(' ')[0]} (annotate it acme6.io/issuer or acme6.io/cluster-issuer, or run the controller with --honor-cert-manager-annotations); not converted`,
    );
    return { notes };
  }
  const metadata = convertMetadata(source.metadata, true, notes);
  const ref = asRecord(spec.issuerRef) ?? {};
  const group = asString(ref.group) ?? 'cert-manager.io';
  const kind = asString(ref.kind) ?? 'Issuer';
  const name = asString(ref.name) ?? '';
  if (group !== 'cert-manager.io') {
    notes.add('spec.issuerRef.group', `an external issuer (${group}) has no acme6 twin; not converted`);
    return { notes };
  }
  const verdict = issuers.get(issuerKey(kind, metadata.namespace ?? '', name));
  if (verdict === false) {
    notes.add(
      'spec.issuerRef',
      `${kind} ${name} is not an ACME issuer, so acme6 cannot issue this certificate; not converted`,
    );
    return { notes };
  }
  if (verdict === undefined) {
    notes.add(
      'spec.issuerRef',
      `${kind} ${name} was not among the inputs: make sure it is an ACME issuer converted as well`,
    );
  }
  notes.unknown(spec, 'spec', [
    'secretName',
    'dnsNames',
    'commonName',
    'issuerRef',
    'duration',
    'renewBefore',
    'renewBeforePercentage',
    'privateKey',
    'secretTemplate',
    ...Object.keys(DROPPED),
  ]);
  notes.dropped(spec, 'spec', DROPPED);
  const dnsNames = [...(asStrings(spec.dnsNames) ?? [])];
  const commonName = asString(spec.commonName);
  if (commonName) {
    if (!dnsNames.includes(commonName) && !/^[0-9.:]+$/.test(commonName)) dnsNames.unshift(commonName);
    notes.add(
      'spec.commonName',
      'acme6 certificates carry names as SANs only; the common name is kept as a DNS name',
    );
  }
  if (dnsNames.length === 0) {
    notes.add('spec.dnsNames', 'no DNS name left to issue for; not converted');
    return { notes };
  }
  const out: Record<string, unknown> = {
    secretName: spec.secretName,
    dnsNames,
    issuerRef: { name, kind, group: GROUP },
  };
  if (asString(spec.duration)) {
    notes.add(
      'spec.duration',
      'acme6 refuses spec.duration: the ACME CA sets the lifetime (choose it with an issuer profile); not carried over',
    );
  }
  const renewBefore = asString(spec.renewBefore);
  if (renewBefore) out.renewBefore = renewBefore;
  if (typeof spec.renewBeforePercentage === 'number') out.renewBeforePercentage = spec.renewBeforePercentage;
  out.privateKey = convertPrivateKey(spec.privateKey, notes);
  const template = asRecord(spec.secretTemplate);
  if (template) {
    const labels = keepMap(template.labels, 'spec.secretTemplate.labels', notes);
    const annotations = keepMap(template.annotations, 'spec.secretTemplate.annotations', notes);
    const t = { ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) };
    if (Object.keys(t).length) out.secretTemplate = t;
  }
  return { object: { apiVersion: API_VERSION, kind: 'Certificate', metadata, spec: out }, notes };
}
