// Changes records on the testbed's primary for a test scenario (A/AAAA for http-01, TXT, CNAMEs),
// with BIND's nsupdate signed by the testbed key. Test code only: acme6 itself speaks RFC 2136
// through src/solvers/dns01/rfc2136.
import { spawn } from 'node:child_process';
import type { TestbedDnsInfo } from './dns.ts';

/** A record set to put in place: all values of one type at one name (none = delete the set). */
export interface RecordSet {
  zone: string;
  name: string;
  type: 'A' | 'AAAA' | 'CNAME' | 'TXT' | 'CAA' | 'NS';
  values: string[];
  ttl?: number;
}

/** One byte of a quoted string in zone-file syntax: `"` and `\` escaped, unprintables as \DDD. */
function escapeByte(byte: number): string {
  if (byte === 0x22 || byte === 0x5c) return `\\${String.fromCharCode(byte)}`;
  if (byte >= 0x20 && byte < 0x7f) return String.fromCharCode(byte);
  return `\\${String(byte).padStart(3, '0')}`;
}

/** A TXT value in nsupdate's syntax: one quoted string per 255 bytes. */
export function quoteTxt(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  const pieces: string[] = [];
  for (let i = 0; i < Math.max(bytes.length, 1); i += 255) {
    pieces.push(`"${[...bytes.subarray(i, i + 255)].map(escapeByte).join('')}"`);
  }
  return pieces.join(' ');
}

/** "127.0.0.1:5353" -> "127.0.0.1 5353", nsupdate's `server` syntax. */
const serverLine = (address: string): string => address.replace(/^\[?([^\]]+?)\]?:(\d+)$/, '$1 $2');

/** Sends nsupdate `commands` (update add/delete lines) for `zone` to the primary, signed, over TCP. */
export function nsupdate(dns: TestbedDnsInfo, zone: string, commands: string[]): Promise<void> {
  const script = [`server ${serverLine(dns.primary)}`, `zone ${zone}`, ...commands, 'send', ''].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn('nsupdate', ['-v', '-t', '5', '-k', dns.tsig.keyFile], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`nsupdate failed (${code}): ${output.trim()}\n${script}`)),
    );
    child.stdin.end(script);
  });
}

/** Replaces the record set at `name` with `values` (deleting it when there are none). */
export function setRecords(dns: TestbedDnsInfo, set: RecordSet): Promise<void> {
  const ttl = set.ttl ?? 60;
  const value = (v: string): string => (set.type === 'TXT' ? quoteTxt(v) : v);
  return nsupdate(dns, set.zone, [
    `update delete ${set.name} ${set.type}`,
    ...set.values.map((v) => `update add ${set.name} ${ttl} ${set.type} ${value(v)}`),
  ]);
}

/** The testbed zone a name belongs to: the longest zone it ends in (`sub.example.test.` before `example.test.`). */
export function zoneOf(dns: Pick<TestbedDnsInfo, 'zones'>, name: string): string {
  const fqdn = name.endsWith('.') ? name.toLowerCase() : `${name.toLowerCase()}.`;
  const zone = [...dns.zones]
    .sort((a, b) => b.length - a.length)
    .find((z) => fqdn === z || fqdn.endsWith(`.${z}`));
  if (!zone) throw new Error(`${name} is in none of the testbed's zones (${dns.zones.join(', ')})`);
  return zone;
}

/**
 * Sets the A and AAAA records of a test host (an http-01 scenario): each list given replaces that
 * set, an empty list deletes it, an omitted one is left alone. See DATAPLANE.md for which addresses
 * answer (127.0.0.1: Traefik) and which do not (::1).
 */
export async function setHostAddresses(
  dns: TestbedDnsInfo,
  name: string,
  addresses: { a?: string[]; aaaa?: string[]; ttl?: number },
): Promise<void> {
  const zone = zoneOf(dns, name);
  const fqdn = name.endsWith('.') ? name : `${name}.`;
  const ttl = addresses.ttl ?? 60;
  const commands: string[] = [];
  for (const [type, values] of [
    ['A', addresses.a],
    ['AAAA', addresses.aaaa],
  ] as const) {
    if (!values) continue;
    commands.push(
      `update delete ${fqdn} ${type}`,
      ...values.map((v) => `update add ${fqdn} ${ttl} ${type} ${v}`),
    );
  }
  if (commands.length > 0) await nsupdate(dns, zone, commands);
}
