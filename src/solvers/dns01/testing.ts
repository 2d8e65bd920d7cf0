// Fakes for unit tests of dns-01 code: an in-memory set of authoritative servers that answers like
// BIND does (AA, NXDOMAIN with the zone's SOA, REFUSED outside its zones), a lookup over them, and a
// provider that writes into them. Not for production use.
import { nameserverAddress, type Nameserver } from './client/nameserver.ts';
import type { DnsQuerier, DnsQuestion } from './client/querier.ts';
import { DnsTransportError } from './client/transport.ts';
import type { ChallengeRecord, Dns01Provider } from './provider.ts';
import { Rcode, RecordClass, RecordType } from './wire/constants.ts';
import type { DnsMessage, RecordData, ReceivedRecord } from './wire/message.ts';
import { fqdn, isInZone, sameName } from './wire/name.ts';
import { splitTxtValue } from './wire/txt.ts';

/** A record in presentation form: TXT values, A/AAAA addresses, NS/CNAME targets. */
export interface FakeRecord {
  name: string;
  type: 'A' | 'AAAA' | 'NS' | 'CNAME' | 'TXT';
  value: string;
}

function toData(record: FakeRecord): RecordData {
  switch (record.type) {
    case 'TXT':
      return { kind: 'txt', strings: splitTxtValue(record.value) };
    case 'A':
    case 'AAAA':
      return { kind: 'address', address: record.value };
    default:
      return { kind: 'name', target: fqdn(record.value) };
  }
}

function received(name: string, type: number, data: RecordData): ReceivedRecord {
  return {
    name: fqdn(name),
    type,
    class: RecordClass.IN,
    ttl: 60,
    rdata: Buffer.alloc(0),
    data,
    offset: 0,
    rdataOffset: 0,
  };
}

/** A response as a fake server sends it. */
export function fakeResponse(fields: Partial<DnsMessage> & { rcode: number }): DnsMessage {
  return {
    id: 0,
    response: true,
    opcode: 0,
    authoritative: true,
    truncated: false,
    recursionDesired: false,
    recursionAvailable: false,
    questions: [],
    answers: [],
    authorities: [],
    additionals: [],
    ...fields,
  };
}

/** Authoritative servers in memory, keyed by address ("127.0.0.1:53"); zones are copied per server. */
export class FakeDnsServers implements DnsQuerier {
  private readonly servers = new Map<string, Map<string, FakeRecord[]>>();
  private readonly down = new Set<string>();
  /** Every question asked, for tests that check recursion flags. */
  readonly asked: { server: string; question: DnsQuestion }[] = [];

  /** Makes `server` authoritative for `zone` with `records` (an SOA at the apex is implied). */
  serveZone(server: string, zone: string, records: FakeRecord[] = []): this {
    const zones = this.servers.get(server) ?? new Map<string, FakeRecord[]>();
    zones.set(
      fqdn(zone).toLowerCase(),
      records.map((r) => ({ ...r, name: fqdn(r.name) })),
    );
    this.servers.set(server, zones);
    return this;
  }

  /** The records `server` holds for `zone`, to change in place. */
  records(server: string, zone: string): FakeRecord[] {
    const records = this.servers.get(server)?.get(fqdn(zone).toLowerCase());
    if (!records) throw new Error(`${server} does not serve ${zone}`);
    return records;
  }

  /** Copies `zone` from one server to another, as a zone transfer would. */
  transferZone(from: string, to: string, zone: string): void {
    this.serveZone(to, zone, this.records(from, zone));
  }

  /** Makes `server` time out (or answer again). */
  setDown(server: string, down = true): void {
    if (down) this.down.add(server);
    else this.down.delete(server);
  }

  query(server: Nameserver, question: DnsQuestion): Promise<DnsMessage> {
    const address = nameserverAddress(server);
    this.asked.push({ server: address, question });
    if (this.down.has(address) || !this.servers.has(address)) {
      return Promise.reject(new DnsTransportError(server, 'UDP', 'no answer within 3000 ms'));
    }
    return Promise.resolve(this.answer(this.servers.get(address)!, question));
  }

  private answer(zones: Map<string, FakeRecord[]>, question: DnsQuestion): DnsMessage {
    // The closest enclosing zone this server has, as a real server picks it.
    const apex = [...zones.keys()]
      .filter((z) => isInZone(question.name, z))
      .sort((a, b) => b.length - a.length)[0];
    if (apex === undefined) return fakeResponse({ rcode: Rcode.REFUSED, authoritative: false });
    const records = zones.get(apex)!;
    const soa = received(apex, RecordType.SOA, {
      kind: 'soa',
      primary: `ns1.${apex}`,
      mailbox: `hostmaster.${apex}`,
      serial: 1,
    });
    if (sameName(question.name, apex) && question.type === RecordType.SOA)
      return fakeResponse({ rcode: Rcode.NOERROR, answers: [soa] });
    const atName = records.filter((r) => sameName(r.name, question.name));
    const typeCode = (r: FakeRecord): number => RecordType[r.type];
    const cname = atName.find((r) => r.type === 'CNAME');
    const matching =
      cname && question.type !== RecordType.CNAME
        ? [cname]
        : atName.filter((r) => typeCode(r) === question.type);
    const answers = matching.map((r) => received(r.name, typeCode(r), toData(r)));
    const exists =
      atName.length > 0 ||
      sameName(question.name, apex) ||
      records.some((r) => isInZone(r.name, question.name));
    return fakeResponse({
      rcode: exists ? Rcode.NOERROR : Rcode.NXDOMAIN,
      answers,
      authorities: answers.length === 0 ? [soa] : [],
    });
  }
}

/** A provider that writes TXT values into one fake server's zone, as a primary would take them. */
export class FakeDns01Provider implements Dns01Provider {
  private readonly dns: FakeDnsServers;
  private readonly server: string;

  constructor(dns: FakeDnsServers, server: string) {
    this.dns = dns;
    this.server = server;
  }

  present(record: ChallengeRecord): Promise<void> {
    const records = this.dns.records(this.server, record.zone);
    if (!records.some((r) => r.type === 'TXT' && sameName(r.name, record.fqdn) && r.value === record.value)) {
      records.push({ name: fqdn(record.fqdn), type: 'TXT', value: record.value });
    }
    return Promise.resolve();
  }

  cleanUp(record: ChallengeRecord): Promise<void> {
    const records = this.dns.records(this.server, record.zone);
    const at = records.findIndex(
      (r) => r.type === 'TXT' && sameName(r.name, record.fqdn) && r.value === record.value,
    );
    if (at >= 0) records.splice(at, 1);
    return Promise.resolve();
  }
}
