// Has every nameserver the CA might ask got the TXT value yet? Asks each of the zone's
// authoritative servers directly (or the configured nameservers instead) once, and says which ones
// lack it. It never waits: the controller re-checks with a delayed requeue.
import { boundedText, MAX_MESSAGE } from '../../api/bounded-text.ts';
import type { DnsLookup } from './client/lookup.ts';
import { describeNameserver, type Nameserver } from './client/nameserver.ts';
import type { DnsQuerier } from './client/querier.ts';
import { DnsTransportError } from './client/transport.ts';
import { Dns01TransientError, type ChallengeRecord } from './provider.ts';
import { Rcode, rcodeName, RecordType } from './wire/constants.ts';
import type { DnsMessage } from './wire/message.ts';
import { fqdn, sameName } from './wire/name.ts';
import { joinTxtStrings } from './wire/txt.ts';

/** What one nameserver said: it has the value, lacks it, or gave no usable answer. */
export type NameserverState = 'present' | 'missing' | 'error';

/** One nameserver's result, with a sentence for status and Events. */
export interface NameserverCheck {
  nameserver: Nameserver;
  state: NameserverState;
  /** E.g. "127.0.0.1:5354 (secondary) does not have the TXT value yet". */
  detail: string;
}

/** Every nameserver's result for one TXT value. */
export interface PropagationReport {
  fqdn: string;
  value: string;
  checks: NameserverCheck[];
  /** True when every nameserver has the value. */
  propagated: boolean;
}

/** How to check: configured nameservers replace the zone's NS set. */
export interface PropagationOptions {
  nameservers?: readonly Nameserver[];
  lookup: DnsLookup;
  querier: DnsQuerier;
}

/** The TXT values a response holds at `name` (CNAMEs and other owners ignored). */
export function txtValuesAt(response: DnsMessage, name: string): string[] {
  return response.answers.flatMap((rr) =>
    rr.type === RecordType.TXT && rr.data.kind === 'txt' && sameName(rr.name, name)
      ? [joinTxtStrings(rr.data.strings)]
      : [],
  );
}

/** Judges one server's answer to the TXT question; `authoritative` demands the AA bit. */
export function judgeTxtAnswer(
  nameserver: Nameserver,
  response: DnsMessage,
  record: Pick<ChallengeRecord, 'fqdn' | 'value'>,
  authoritative: boolean,
): NameserverCheck {
  const who = describeNameserver(nameserver);
  const result = (state: NameserverState, detail: string): NameserverCheck => ({ nameserver, state, detail });
  if (response.rcode !== Rcode.NOERROR && response.rcode !== Rcode.NXDOMAIN) {
    return result('error', `${who} answered ${rcodeName(response.rcode)}`);
  }
  if (authoritative && !response.authoritative) {
    return result('error', `${who} answered without authority for ${fqdn(record.fqdn)} (a lame delegation?)`);
  }
  return txtValuesAt(response, record.fqdn).includes(record.value)
    ? result('present', `${who} has the TXT value`)
    : result('missing', `${who} does not have the TXT value yet`);
}

/**
 * The zone's authoritative servers: each name in its NS set resolved to A and AAAA, port 53. An
 * address that several NS names share is asked once, labelled with all of them.
 */
export async function authoritativeNameservers(zone: string, lookup: DnsLookup): Promise<Nameserver[]> {
  const ns = await lookup.query(fqdn(zone), RecordType.NS);
  // Sorted: servers rotate RRset order, and reports should read the same from one check to the next.
  const names = ns.answers
    .flatMap((rr) =>
      rr.type === RecordType.NS && rr.data.kind === 'name' && sameName(rr.name, zone) ? [rr.data.target] : [],
    )
    .sort();
  if (names.length === 0) throw new Dns01TransientError(`zone ${fqdn(zone)} has no NS records`);
  const namesByAddress = new Map<string, string[]>();
  for (const name of names) {
    for (const type of [RecordType.A, RecordType.AAAA]) {
      const response = await lookup.query(name, type);
      const addresses = response.answers.flatMap((rr) =>
        rr.type === type && rr.data.kind === 'address' ? [rr.data.address] : [],
      );
      for (const address of addresses.sort()) {
        const known = namesByAddress.get(address) ?? [];
        if (!known.includes(name)) known.push(name);
        namesByAddress.set(address, known);
      }
    }
  }
  if (namesByAddress.size === 0) {
    throw new Dns01TransientError(
      `the nameservers of zone ${fqdn(zone)} (${boundedText(names.join(', '))}) have no addresses`,
    );
  }
  return [...namesByAddress].map(([host, labels]) => ({ host, port: 53, label: labels.join(', ') }));
}

/** Asks every nameserver once whether it serves `record.value` at `record.fqdn`. */
export async function checkPropagation(
  record: ChallengeRecord,
  options: PropagationOptions,
): Promise<PropagationReport> {
  const configured = options.nameservers !== undefined && options.nameservers.length > 0;
  const servers = configured
    ? options.nameservers!
    : await authoritativeNameservers(record.zone, options.lookup);
  const checks = await Promise.all(
    servers.map(async (nameserver): Promise<NameserverCheck> => {
      try {
        // Authoritative servers are asked without recursion; configured ones may be resolvers.
        const response = await options.querier.query(nameserver, {
          name: fqdn(record.fqdn),
          type: RecordType.TXT,
          recursionDesired: configured,
        });
        return judgeTxtAnswer(nameserver, response, record, !configured);
      } catch (err) {
        return {
          nameserver,
          state: 'error',
          detail: `${describeNameserver(nameserver)} did not answer${failureReason(err)}`,
        };
      }
    }),
  );
  return {
    fqdn: fqdn(record.fqdn),
    value: record.value,
    checks,
    propagated: checks.every((c) => c.state === 'present'),
  };
}

function failureReason(err: unknown): string {
  return err instanceof DnsTransportError
    ? ` over ${err.protocol}: ${err.reason}`
    : `: ${(err as Error).message}`;
}

/** One line for status: how many servers have the value and what the others said. */
export function summarizePropagation(report: PropagationReport): string {
  const present = report.checks.filter((c) => c.state === 'present').length;
  const head = `TXT value at ${report.fqdn} is at ${present} of ${report.checks.length} nameservers`;
  const lacking = report.checks.filter((c) => c.state !== 'present').map((c) => c.detail);
  // Server names come from DNS and a zone may list many: the summary goes to status.selfCheck.
  return boundedText(lacking.length === 0 ? head : `${head}; ${lacking.join('; ')}`, MAX_MESSAGE);
}
