// Per-Certificate series, computed on each scrape from the informer cache (cert-manager's collector
// design): a deleted Certificate leaves the cache, so its series vanish with no bookkeeping. Only
// the leader has a source; standbys report none, so alerts do not fire once per replica.
import { Gauge } from 'prom-client';
import type { Certificate } from '../api/certificate.ts';
import { getCondition } from '../api/conditions.ts';
import { GROUP, Kind } from '../api/group.ts';
import { registry } from './registry.ts';

/** Where the collector reads Certificates from; undefined while this process is not leading. */
export type CertificateSource = () => readonly Certificate[];

let source: CertificateSource | undefined;

/** Points the per-Certificate series at a cache (or at nothing: `undefined`). */
export function setCertificateSource(next: CertificateSource | undefined): void {
  source = next;
}

const ISSUER_LABELS = ['name', 'namespace', 'issuer_name', 'issuer_kind', 'issuer_group'] as const;
type IssuerLabels = Record<(typeof ISSUER_LABELS)[number], string>;
const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

function labelsOf(cert: Certificate): IssuerLabels {
  return {
    name: cert.metadata.name ?? '',
    namespace: cert.metadata.namespace ?? '',
    issuer_name: cert.spec.issuerRef.name,
    issuer_kind: cert.spec.issuerRef.kind ?? Kind.Issuer,
    issuer_group: cert.spec.issuerRef.group ?? GROUP,
  };
}

const seconds = (time: string | undefined): number | undefined => {
  const ms = time === undefined ? NaN : Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms / 1000;
};

/** One gauge per timestamp field, refilled from the source on each scrape. */
function timestampGauge(
  name: string,
  help: string,
  labelNames: readonly string[],
  read: (cert: Certificate) => string | undefined,
  labels: (cert: Certificate) => Record<string, string> = labelsOf,
): Gauge {
  return new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const cert of source?.() ?? []) {
        const value = seconds(read(cert));
        if (value !== undefined) this.set(labels(cert), value);
      }
    },
  });
}

timestampGauge(
  'certmanager_certificate_expiration_timestamp_seconds',
  'The date after which the certificate expires (Unix time); absent until one is issued.',
  ISSUER_LABELS,
  (c) => c.status?.notAfter,
);
timestampGauge(
  'certmanager_certificate_renewal_timestamp_seconds',
  'The date after which the certificate will be renewed (Unix time).',
  ISSUER_LABELS,
  (c) => c.status?.renewalTime,
);
timestampGauge(
  'certmanager_certificate_not_after_timestamp_seconds',
  "The certificate's notAfter (Unix time); absent until one is issued.",
  ISSUER_LABELS,
  (c) => c.status?.notAfter,
);
timestampGauge(
  'certmanager_certificate_not_before_timestamp_seconds',
  "The certificate's notBefore (Unix time); absent until one is issued.",
  ISSUER_LABELS,
  (c) => c.status?.notBefore,
);

const nameLabels = (c: Certificate): Record<string, string> => ({
  name: c.metadata.name ?? '',
  namespace: c.metadata.namespace ?? '',
});
timestampGauge(
  'acme6_certificate_ari_window_start_timestamp_seconds',
  "Start of the CA's suggested renewal window (ACME Renewal Information, RFC 9773).",
  ['name', 'namespace'],
  (c) => c.status?.acme?.renewalInfo?.suggestedWindowStart,
  nameLabels,
);
timestampGauge(
  'acme6_certificate_ari_window_end_timestamp_seconds',
  "End of the CA's suggested renewal window (ACME Renewal Information, RFC 9773).",
  ['name', 'namespace'],
  (c) => c.status?.acme?.renewalInfo?.suggestedWindowEnd,
  nameLabels,
);

new Gauge({
  name: 'certmanager_certificate_ready_status',
  help: 'The Ready condition of the certificate: 1 on the series of its current status, 0 on the others.',
  labelNames: [...ISSUER_LABELS, 'condition'],
  registers: [registry],
  collect() {
    this.reset();
    for (const cert of source?.() ?? []) {
      const status = getCondition(cert.status?.conditions, 'Ready')?.status ?? 'Unknown';
      for (const condition of CONDITION_STATUSES) {
        this.set({ ...labelsOf(cert), condition }, condition === status ? 1 : 0);
      }
    }
  },
});

new Gauge({
  name: 'acme6_challenges',
  help: 'ACME challenges of in-flight orders, by type (http-01, dns-01) and state.',
  labelNames: ['type', 'state'],
  registers: [registry],
  collect() {
    this.reset();
    const counts = new Map<string, { type: string; state: string; n: number }>();
    for (const cert of source?.() ?? []) {
      for (const challenge of cert.status?.acme?.challenges ?? []) {
        const state = challenge.state ?? 'pending';
        const key = `${challenge.type}/${state}`;
        const entry = counts.get(key) ?? { type: challenge.type, state, n: 0 };
        entry.n++;
        counts.set(key, entry);
      }
    }
    for (const { type, state, n } of counts.values()) this.set({ type, state }, n);
  },
});

// cert-manager's Challenge states; acme6 keeps challenges in the Certificate's status, so `name` is
// the Certificate's and `domain` the identifier (the base name for a wildcard, as in a Challenge).
const CHALLENGE_STATUSES = ['', 'valid', 'ready', 'pending', 'processing', 'invalid', 'expired', 'errored'];
const CHALLENGE_TYPES: Record<string, string> = { 'http-01': 'HTTP-01', 'dns-01': 'DNS-01' };

new Gauge({
  name: 'certmanager_certificate_challenge_status',
  help: 'The status of certificate challenges: 1 on the series of the current status, 0 on the others.',
  labelNames: ['name', 'namespace', 'domain', 'type', 'status', 'processing', 'reason'],
  registers: [registry],
  collect() {
    this.reset();
    for (const cert of source?.() ?? []) {
      for (const challenge of cert.status?.acme?.challenges ?? []) {
        const state = challenge.state ?? 'pending';
        const labels = {
          ...nameLabels(cert),
          domain: challenge.dnsName.replace(/^[*][.]/, ''),
          type: CHALLENGE_TYPES[challenge.type] ?? challenge.type,
          processing: String(state === 'processing'),
          reason: challenge.reason ?? '',
        };
        for (const status of CHALLENGE_STATUSES) this.set({ ...labels, status }, status === state ? 1 : 0);
      }
    }
  },
});
