// The ingress-shim's decision, pure: from one Ingress, its namespace's Certificates and the other
// Ingresses there, which Certificates to create, update or delete, and what to warn about. One
// Certificate per spec.tls[] entry, named after its secretName; only Certificates whose controller
// is this Ingress are ever changed.
import type { V1Ingress, V1OwnerReference } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { certificateSpec, type Certificate, type CertificateSpecInput } from '../../api/certificate.ts';
import { formatFieldPath } from '../../api/field-path.ts';
import { ANNOTATION_CHALLENGE_TYPE, ANNOTATION_HTTP01_INGRESS_CLASS } from '../../api/group.ts';
import { certificateActions } from './shim-actions.ts';
import { readIngressOptions, wantsCertificates, type Problem, type ShimDefaults } from './options.ts';

/** An Ingress as stored (name, namespace and uid set). */
export type StoredIngress = V1Ingress & { metadata: { name: string; namespace: string; uid: string } };

/** A Certificate the shim wants to exist, in the shape it applies. */
export interface DesiredCertificate {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  owner: V1OwnerReference;
  spec: CertificateSpecInput;
}

/** One write the shim makes. */
export type Action =
  | { type: 'create'; certificate: DesiredCertificate }
  | { type: 'update'; certificate: DesiredCertificate; resourceVersion: string }
  | { type: 'delete'; name: string; uid: string; resourceVersion: string; why: string };

/** Writes to make and warnings to record on the Ingress (each becomes a BadConfig Event). */
export interface Plan {
  actions: Action[];
  /** Problems that stop the whole Ingress: nothing is written. */
  badConfig: Problem[];
  /** Entries the shim leaves alone (a Secret name another object holds); the rest goes ahead. */
  conflicts: string[];
}

/** What the plan is made from. */
export interface PlanInput {
  ingress: StoredIngress;
  /** Certificates in the Ingress's namespace (from the cache). */
  certificates: readonly Certificate[];
  /** Every Ingress in the namespace, this one included. */
  ingresses: readonly V1Ingress[];
  defaults: ShimDefaults;
}

/** Annotation keys the shim writes on Certificates, so a removed one is removed there too. */
const SHIM_CERTIFICATE_ANNOTATIONS = [ANNOTATION_CHALLENGE_TYPE, ANNOTATION_HTTP01_INGRESS_CLASS];

/** The controller owner reference an Ingress puts on its Certificates. */
export function ingressOwnerReference(ingress: StoredIngress): V1OwnerReference {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    name: ingress.metadata.name,
    uid: ingress.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The Ingress controlling `certificate` (its controller owner reference), if any. */
export function controllingIngress(certificate: { metadata?: object }): V1OwnerReference | undefined {
  // Certificate metadata is typed loosely (objectMeta): ownerReferences come as the apiserver stores them.
  const refs = (certificate.metadata as { ownerReferences?: V1OwnerReference[] } | undefined)
    ?.ownerReferences;
  const controller = refs?.find((ref) => ref.controller);
  return controller?.kind === 'Ingress' && controller.apiVersion.startsWith('networking.k8s.io/')
    ? controller
    : undefined;
}

/** Secret names the Ingress's tls entries name (valid or not). */
export function claimedSecretNames(ingress: V1Ingress): string[] {
  return (ingress.spec?.tls ?? []).flatMap((tls) => (tls.secretName ? [tls.secretName] : []));
}

/** Decides what to do for one Ingress. */
export function planIngress(input: PlanInput): Plan {
  const { ingress, defaults } = input;
  const ownedCertificates = input.certificates.filter(
    (c) => controllingIngress(c)?.uid === ingress.metadata.uid,
  );
  const annotations = ingress.metadata.annotations ?? {};
  const verdict = readIngressOptions(annotations, defaults);
  if (verdict.kind === 'invalid') return { actions: [], badConfig: verdict.problems, conflicts: [] };
  if (verdict.kind === 'ignored') {
    const why = 'the Ingress no longer asks for certificates (no acme6 issuer annotation)';
    return { actions: ownedCertificates.map((c) => deletion(c, why)), badConfig: [], conflicts: [] };
  }

  const entries = desiredEntries(ingress);
  if ('problems' in entries) return { actions: [], badConfig: entries.problems, conflicts: [] };
  const desired: DesiredCertificate[] = [];
  const badConfig: Problem[] = [];
  entries.list.forEach(({ secretName, hosts, index }) => {
    const spec: CertificateSpecInput = {
      secretName,
      dnsNames: hosts,
      issuerRef: verdict.options.issuerRef,
      ...verdict.options.spec,
    };
    const check = certificateSpec.safeParse(spec);
    if (!check.success) {
      for (const issue of check.error.issues) badConfig.push(entryProblem(index, issue.path, issue.message));
      return;
    }
    desired.push({
      name: secretName,
      namespace: ingress.metadata.namespace,
      labels: { ...ingress.metadata.labels },
      annotations: verdict.options.certificateAnnotations,
      owner: ingressOwnerReference(ingress),
      spec,
    });
  });
  if (badConfig.length > 0) return { actions: [], badConfig, conflicts: [] };

  const { actions, warnings } = certificateActions({
    owner: ingress,
    kind: 'Ingress',
    secretAdvice: 'give each Ingress its own secretName',
    desired,
    certificates: input.certificates,
    siblings: input.ingresses.filter((other) =>
      wantsCertificates(other.metadata?.annotations ?? {}, defaults),
    ),
    claimedSecretNames,
    controllerOf: controllingIngress,
    prunedBecause: 'its tls entry is no longer in the Ingress',
  });
  return { actions, badConfig: [], conflicts: warnings };
}

interface Entry {
  secretName: string;
  hosts: string[];
  index: number;
}

/** The Ingress's tls entries, or the problems that make them unusable. */
function desiredEntries(ingress: StoredIngress): { list: Entry[] } | { problems: Problem[] } {
  const problems: Problem[] = [];
  const list: Entry[] = [];
  const seen = new Map<string, number>();
  (ingress.spec?.tls ?? []).forEach((tls, index) => {
    if (!tls.secretName) {
      problems.push({
        where: `spec.tls[${index}].secretName`,
        message: 'is empty: name the Secret for the certificate',
      });
      return;
    }
    const earlier = seen.get(tls.secretName);
    if (earlier !== undefined) {
      problems.push({
        where: `spec.tls[${index}].secretName`,
        message: `repeats spec.tls[${earlier}]'s Secret ${tls.secretName}: put all its hosts in one entry`,
      });
      return;
    }
    seen.set(tls.secretName, index);
    const hosts = [...new Set(tls.hosts ?? [])];
    if (hosts.length === 0) {
      problems.push({
        where: `spec.tls[${index}].hosts`,
        message: 'is empty: list the host names to certify',
      });
      return;
    }
    list.push({ secretName: tls.secretName, hosts, index });
  });
  if (list.length === 0 && problems.length === 0) {
    problems.push({ where: 'spec.tls', message: 'is empty: add an entry with hosts and a secretName' });
  }
  return problems.length > 0 ? { problems } : { list };
}

/** A spec problem of tls entry `index`, named by the Ingress field it comes from. */
function entryProblem(index: number, path: readonly PropertyKey[], message: string): Problem {
  const [field, ...rest] = path;
  if (field === 'secretName') return { where: `spec.tls[${index}].secretName`, message };
  if (field === 'dnsNames') return { where: formatFieldPath([`spec.tls[${index}].hosts`, ...rest]), message };
  return { where: formatFieldPath(path), message };
}

/** The deletion of a Certificate the shim controls. */
export function deletion(certificate: Certificate, why: string): Action {
  return {
    type: 'delete',
    name: certificate.metadata.name ?? '',
    uid: certificate.metadata.uid ?? '',
    resourceVersion: certificate.metadata.resourceVersion ?? '',
    why,
  };
}

/** An object's creation time and name, to tell the first claimant. */
type Claimant = { metadata?: { creationTimestamp?: Date | string; name?: string } };

/** True if `a` was created before `b` (names break ties), so `a` is the first claimant. */
export function isOlder(a: Claimant, b: Claimant): boolean {
  const time = (i: Claimant): number => new Date(i.metadata?.creationTimestamp ?? 0).getTime();
  if (time(a) !== time(b)) return time(a) < time(b);
  return (a.metadata?.name ?? '') < (b.metadata?.name ?? '');
}

/** True if the stored Certificate differs from what the Ingress (or Gateway) asks for. */
export function needsUpdate(existing: Certificate, want: DesiredCertificate): boolean {
  const normalise = (spec: unknown) => {
    const parsed = certificateSpec.safeParse(spec);
    return parsed.success ? { ...parsed.data, dnsNames: [...parsed.data.dnsNames].sort() } : spec;
  };
  if (!isDeepStrictEqual(normalise(existing.spec), normalise(want.spec))) return true;
  const labels = existing.metadata.labels ?? {};
  if (Object.entries(want.labels).some(([k, v]) => labels[k] !== v)) return true;
  const annotations = existing.metadata.annotations ?? {};
  return SHIM_CERTIFICATE_ANNOTATIONS.some((key) => annotations[key] !== want.annotations[key]);
}
