// `kubectl acme6 status certificate`: a Certificate, its Secret, its order and challenges, and its
// recent Events, in one view that says plainly what is missing.
import { effectiveKeySize, type Certificate, type ChallengeStatus } from '../api/certificate.ts';
import type { Condition } from '../api/conditions.ts';
import { MANUAL_TRIGGER_REASON } from '../controllers/certificate/issuance-status.ts';
import { rows } from './layout.ts';
import type { SecretReport } from './secret-report.ts';
import { relative, when } from './time-text.ts';
import { certificateName } from './names.ts';

/** One Event about the Certificate (repeats already folded into `count` by the recorder). */
export interface EventSummary {
  type: string;
  reason: string;
  message: string;
  count: number;
  last: Date;
}

/** What was found at spec.secretName. */
export type SecretState =
  { kind: 'present'; report: SecretReport } | { kind: 'missing' } | { kind: 'unreadable'; error: string };

/** Everything the view shows; gathered by the caller, so this stays pure. */
export interface StatusInput {
  certificate: Certificate;
  secret: SecretState;
  events: EventSummary[] | { error: string };
  now: Date;
}

/** How many Events the view shows (the newest). */
export const MAX_EVENTS = 10;

function conditionLines(
  conditions: readonly Condition[] | undefined,
  generation: number | undefined,
  now: Date,
): string[] {
  if (!conditions?.length)
    return ['  (none yet: the controller has not looked at this Certificate; is it running?)'];
  return conditions.flatMap((c) => {
    const stale =
      c.observedGeneration !== undefined && generation !== undefined && c.observedGeneration !== generation
        ? ` [for generation ${c.observedGeneration}, spec is at ${generation}]`
        : '';
    const since = `since ${relative(new Date(c.lastTransitionTime), now)}`;
    return [
      `  ${c.type}=${c.status}  ${c.reason}  (${since})${stale}`,
      ...(c.message ? [`      ${c.message}`] : []),
    ];
  });
}

function secretLines(input: StatusInput): string[] {
  const { certificate, secret, now } = input;
  const name = certificate.spec.secretName;
  if (secret.kind === 'missing')
    return [`Secret ${name}: not found (it is written when the first certificate is issued)`];
  if (secret.kind === 'unreadable') return [`Secret ${name}: could not be read: ${secret.error}`];
  const { report } = secret;
  const leaf = report.chain[0];
  const lines = [`Secret ${name}: present (type ${report.type})`];
  if (leaf) {
    const want = [...certificate.spec.dnsNames].sort().join(',');
    const have = [...leaf.dnsNames].sort().join(',');
    lines.push(
      ...rows([
        [
          'DNS names',
          `${leaf.dnsNames.join(', ')}${want === have ? '' : '  (DIFFERENT from spec.dnsNames)'}`,
        ],
        ['Serial', leaf.serialNumber],
        ['Not after', `${when(leaf.notAfter, now)}${now >= leaf.notAfter ? ' EXPIRED' : ''}`],
        ['Issued by', leaf.issuer],
        [
          'Key',
          report.keyMatches === undefined
            ? report.privateKey
            : `${report.privateKey ?? ''}, ${report.keyMatches ? 'matches the certificate' : 'DOES NOT match the certificate'}`,
        ],
      ]),
    );
  }
  lines.push(...report.problems.map((p) => `  problem: ${p}`));
  return lines;
}

function challengeLines(challenges: readonly ChallengeStatus[]): string[] {
  return challenges.flatMap((c) => {
    const name = c.wildcard && !c.dnsName.startsWith('*.') ? `*.${c.dnsName}` : c.dnsName;
    const detail = rows(
      [
        ['self-check', c.selfCheck],
        ['CA says', c.reason],
        ['challenge', c.challengeURL],
      ],
      6,
    );
    return [`    ${c.type} ${name}: ${c.state ?? 'not presented yet'}`, ...detail];
  });
}

function orderLines(certificate: Certificate, now: Date): string[] {
  const acme = certificate.status?.acme;
  const challenges = acme?.challenges ?? [];
  if (!acme?.orderURL) {
    if (challenges.length === 0) return ['Order: none in flight'];
    // After a failure the issuance keeps the last order's challenges, to show what went wrong.
    return ['Order: none in flight; challenges of the last failed order:', ...challengeLines(challenges)];
  }
  const lines = [
    'Order:',
    ...rows([
      ['URL', acme.orderURL],
      ['State', acme.orderState ?? 'unknown'],
      ['Created', acme.orderCreatedTime ? when(acme.orderCreatedTime, now) : undefined],
      ['For revision', acme.certificateRevision?.toString()],
      ['CA asks to wait until', acme.retryAfter ? when(acme.retryAfter, now) : undefined],
    ]),
  ];
  lines.push(
    challenges.length > 0 ? '  Challenges:' : '  Challenges: none yet',
    ...challengeLines(challenges),
  );
  return lines;
}

function renewalLines(certificate: Certificate, now: Date): string[] {
  const status = certificate.status ?? {};
  const ari = status.acme?.renewalInfo;
  const window =
    ari?.suggestedWindowStart && ari.suggestedWindowEnd
      ? `${when(ari.suggestedWindowStart, now)}\nto ${when(ari.suggestedWindowEnd, now)}`
      : 'none (the CA offers no ARI, or it was not fetched yet)';
  return [
    'Renewal:',
    ...rows([
      ['Current revision', status.revision?.toString() ?? 'none issued yet'],
      [
        'Valid',
        status.notAfter ? `${when(status.notBefore, now)}\nto ${when(status.notAfter, now)}` : undefined,
      ],
      ['Renewal time', status.renewalTime ? when(status.renewalTime, now) : undefined],
      ['ARI window', window],
      ['ARI explanation', ari?.explanationURL],
      ['ARI checked', ari?.checkedAt ? when(ari.checkedAt, now) : undefined],
    ]),
  ];
}

function failureLines(certificate: Certificate, now: Date): string[] {
  const status = certificate.status ?? {};
  const failures = status.failedIssuanceAttempts ?? 0;
  if (failures === 0) return [];
  const issuing = status.conditions?.find((c) => c.type === 'Issuing');
  const waiting = status.nextAttemptTime && new Date(status.nextAttemptTime) > now;
  const hint =
    waiting && issuing?.reason !== MANUAL_TRIGGER_REASON
      ? `\n(to try again now: kubectl acme6 renew ${certificate.metadata.name ?? ''} -n ${certificate.metadata.namespace ?? ''})`
      : '';
  return [
    'Failures:',
    ...rows([
      ['Failed attempts', String(failures)],
      ['Last failure', status.lastFailureTime ? when(status.lastFailureTime, now) : undefined],
      ['Next attempt', status.nextAttemptTime ? `${when(status.nextAttemptTime, now)}${hint}` : undefined],
    ]),
  ];
}

function eventLines(events: StatusInput['events'], now: Date): string[] {
  if ('error' in events) return [`Events: could not be read: ${events.error}`];
  if (events.length === 0) return ['Events: none (Events expire after an hour by default)'];
  const recent = [...events].sort((a, b) => a.last.getTime() - b.last.getTime()).slice(-MAX_EVENTS);
  return [
    `Events (newest last${events.length > recent.length ? `, ${recent.length} of ${events.length}` : ''}):`,
    ...recent.map((e) => {
      const times = e.count > 1 ? ` (x${e.count})` : '';
      return `  ${relative(e.last, now).padEnd(9)}  ${e.type.padEnd(7)}  ${e.reason}${times}: ${e.message}`;
    }),
  ];
}

/** The whole view as text. */
export function formatCertificateStatus(input: StatusInput): string {
  const { certificate, now } = input;
  const { metadata, spec } = certificate;
  const lines = [
    `${certificateName(metadata.namespace ?? '', metadata.name ?? '')} (generation ${metadata.generation ?? '?'})${
      metadata.deletionTimestamp ? ' BEING DELETED' : ''
    }`,
    ...rows([
      ['DNS names', spec.dnsNames.join(', ')],
      ['Issuer', `${spec.issuerRef.kind} ${spec.issuerRef.name}`],
      ['Secret', spec.secretName],
      [
        'Private key',
        [spec.privateKey.algorithm, effectiveKeySize(spec.privateKey)].filter(Boolean).join(' ') +
          `, rotation ${spec.privateKey.rotationPolicy}`,
      ],
      ['Duration', spec.duration],
      [
        'Renew before',
        spec.renewBefore ??
          (spec.renewBeforePercentage ? `${spec.renewBeforePercentage}% of the lifetime` : undefined),
      ],
    ]),
    'Conditions:',
    ...conditionLines(certificate.status?.conditions, metadata.generation, now),
    ...renewalLines(certificate, now),
    ...failureLines(certificate, now),
    ...secretLines(input),
    ...orderLines(certificate, now),
    ...eventLines(input.events, now),
  ];
  return `${lines.join('\n')}\n`;
}
