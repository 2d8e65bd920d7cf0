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
