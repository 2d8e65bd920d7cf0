// The gateway-shim's decision, pure: from one Gateway, its namespace's Certificates and the other
// Gateways there, which Certificates to create, update or delete, and what to warn about. One
// Certificate per distinct Secret named by the HTTPS/TLS listeners' tls.certificateRefs, named after
// it, with those listeners' hostnames; only Certificates whose controller is this Gateway change.
// The issuer and option annotations are read exactly as on an Ingress (readIngressOptions).
import type { V1OwnerReference } from '@kubernetes/client-node';
import { certificateSpec, type Certificate, type CertificateSpecInput } from '../../api/certificate.ts';
import { formatFieldPath } from '../../api/field-path.ts';
import {
  readIngressOptions,
  wantsCertificates,
  type Problem,
  type ShimDefaults,
} from '../ingress/options.ts';
import { deletion, type Action, type DesiredCertificate } from '../ingress/plan.ts';
import { certificateActions } from '../ingress/shim-actions.ts';
import { GATEWAY_API_GROUP, GATEWAY_API_VERSION, type Gateway, type GatewayListener } from './types.ts';

/** A Gateway as stored (name, namespace and uid set). */
export type StoredGateway = Gateway & { metadata: { name: string; namespace: string; uid: string } };

/** Writes to make, and what to tell the user on the Gateway. */
export interface GatewayPlan {
  actions: Action[];
  /** Problems that stop the whole Gateway: nothing is written. */
  badConfig: Problem[];
  /** Listeners skipped and Secrets left alone; the rest goes ahead (each a Warning Event). */
  warnings: string[];
}

export interface GatewayPlanInput {
  gateway: StoredGateway;
  /** Certificates in the Gateway's namespace (from the cache). */
  certificates: readonly Certificate[];
  /** Every Gateway in the namespace, this one included. */
  gateways: readonly Gateway[];
  defaults: ShimDefaults;
}

/** The controller owner reference a Gateway puts on its Certificates. */
export function gatewayOwnerReference(gateway: StoredGateway): V1OwnerReference {
  return {
    apiVersion: GATEWAY_API_VERSION,
    kind: 'Gateway',
    name: gateway.metadata.name,
    uid: gateway.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The Gateway controlling `certificate` (its controller owner reference), if any. */
export function controllingGateway(certificate: { metadata?: object }): V1OwnerReference | undefined {
  const refs = (certificate.metadata as { ownerReferences?: V1OwnerReference[] } | undefined)
    ?.ownerReferences;
  const controller = refs?.find((ref) => ref.controller);
  return controller?.kind === 'Gateway' && controller.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`)
    ? controller
    : undefined;
}

/** True if the listener terminates TLS and so needs a certificate of its own. */
function terminatesTls(listener: GatewayListener): boolean {
  return (
    (listener.protocol === 'HTTPS' || listener.protocol === 'TLS') &&
    listener.tls !== undefined &&
    (listener.tls.mode ?? 'Terminate') === 'Terminate'
  );
}

/** Secret names the Gateway's TLS listeners reference in its own namespace (valid or not). */
export function claimedSecretNames(gateway: Gateway): string[] {
  const namespace = gateway.metadata?.namespace;
  const names = (gateway.spec?.listeners ?? [])
    .filter(terminatesTls)
    .flatMap((l) =>
      (l.tls?.certificateRefs ?? []).filter((ref) => isLocalSecret(ref, namespace)).map((ref) => ref.name),
    );
  return [...new Set(names)];
}

function isLocalSecret(
  ref: { group?: string; kind?: string; namespace?: string },
  namespace?: string,
): boolean {
  return (
    (ref.group ?? '') === '' &&
    (ref.kind ?? 'Secret') === 'Secret' &&
    (ref.namespace ?? namespace) === namespace
  );
}

/** One Secret's hostnames and the listener (index) each came from. */
interface Entry {
  secretName: string;
  hosts: { hostname: string; listener: number }[];
}

/** The Certificates the listeners ask for, and the listeners skipped with why. */
function entriesOf(gateway: StoredGateway): { entries: Entry[]; skipped: string[] } {
  const skipped: string[] = [];
  const bySecret = new Map<string, Entry>();
  const { namespace } = gateway.metadata;
  (gateway.spec?.listeners ?? []).forEach((listener, index) => {
    if (!terminatesTls(listener)) return;
    const usable = (listener.tls?.certificateRefs ?? []).filter((ref) => {
      if (isLocalSecret(ref, namespace)) return true;
      const kind = `${ref.group ? `${ref.group}/` : ''}${ref.kind ?? 'Secret'}`;
      skipped.push(
        `listener ${listener.name}: certificateRef ${kind} ${ref.namespace ?? namespace}/${ref.name} is not a ` +
          `Secret in the Gateway's namespace ${namespace}: acme6 only writes Secrets there, so it was skipped`,
      );
      return false;
    });
    if (usable.length === 0) return;
    if (!listener.hostname) {
      skipped.push(
        `listener ${listener.name} has no hostname: a certificate needs one, so it was skipped ` +
          '(set spec.listeners[].hostname to the name to certify)',
      );
      return;
    }
    for (const ref of usable) {
      const entry = bySecret.get(ref.name) ?? { secretName: ref.name, hosts: [] };
      bySecret.set(ref.name, entry);
      if (!entry.hosts.some((h) => h.hostname === listener.hostname))
        entry.hosts.push({ hostname: listener.hostname, listener: index });
    }
  });
  return { entries: [...bySecret.values()], skipped };
}

/** Decides what to do for one Gateway. */
export function planGateway(input: GatewayPlanInput): GatewayPlan {
  const { gateway, defaults } = input;
  const owned = input.certificates.filter((c) => controllingGateway(c)?.uid === gateway.metadata.uid);
  const verdict = readIngressOptions(gateway.metadata.annotations ?? {}, defaults);
  if (verdict.kind === 'invalid') return { actions: [], badConfig: verdict.problems, warnings: [] };
  if (verdict.kind === 'ignored') {
    const why = 'the Gateway no longer asks for certificates (no acme6 issuer annotation)';
    return { actions: owned.map((c) => deletion(c, why)), badConfig: [], warnings: [] };
  }
  const { entries, skipped } = entriesOf(gateway);
  const warnings = [...skipped];
  if (entries.length === 0 && skipped.length === 0) {
    warnings.push(
      'no HTTPS or TLS listener names a Secret in tls.certificateRefs: there is no certificate to request',
    );
  }
  const desired: DesiredCertificate[] = [];
  const badConfig: Problem[] = [];
  for (const entry of entries) {
    const spec: CertificateSpecInput = {
      secretName: entry.secretName,
      dnsNames: entry.hosts.map((h) => h.hostname),
      issuerRef: verdict.options.issuerRef,
      ...verdict.options.spec,
    };
    const check = certificateSpec.safeParse(spec);
    if (!check.success) {
      for (const issue of check.error.issues) badConfig.push(entryProblem(entry, issue.path, issue.message));
      continue;
    }
    desired.push({
      name: entry.secretName,
      namespace: gateway.metadata.namespace,
      labels: { ...gateway.metadata.labels },
      annotations: verdict.options.certificateAnnotations,
      owner: gatewayOwnerReference(gateway),
      spec,
    });
  }
  if (badConfig.length > 0) return { actions: [], badConfig, warnings: [] };

  const decided = certificateActions({
    owner: gateway,
    kind: 'Gateway',
    secretAdvice: 'give each Gateway its own Secret',
    desired,
    certificates: input.certificates,
    siblings: input.gateways.filter((other) =>
      wantsCertificates(other.metadata?.annotations ?? {}, defaults),
    ),
    claimedSecretNames,
    controllerOf: controllingGateway,
    prunedBecause: 'no listener of the Gateway names its Secret any more',
  });
  return { actions: decided.actions, badConfig: [], warnings: [...warnings, ...decided.warnings] };
}

/** A spec problem of one Secret's Certificate, named by the Gateway field it comes from. */
function entryProblem(entry: Entry, path: readonly PropertyKey[], message: string): Problem {
  const [field, index] = path;
  if (field === 'dnsNames' && typeof index === 'number') {
    const host = entry.hosts[index];
    if (host) return { where: `spec.listeners[${host.listener}].hostname`, message };
  }
  if (field === 'secretName' || field === 'dnsNames') {
    const listener = entry.hosts[0]?.listener ?? 0;
    return { where: `spec.listeners[${listener}].tls.certificateRefs (Secret ${entry.secretName})`, message };
  }
  return { where: formatFieldPath(path), message };
}
