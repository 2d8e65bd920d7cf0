// Asks a testbed DNS server with dig (BIND's own client), so tests check our DNS code against an
// independent implementation rather than against itself.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One answer record: owner, type and rdata as dig prints them. */
export interface DigRecord {
  name: string;
  type: string;
  data: string;
}

/** "127.0.0.1:5353" or "[::1]:5353" to dig's `@host -p port`. */
function serverArgs(server: string): string[] {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(server);
  if (!match) throw new Error(`not host:port: ${server}`);
  return [`@${match[1]}`, '-p', match[2]!];
}

/** Asks `server` (no recursion) and returns the RCODE and the answer section. */
export async function dig(
  server: string,
  name: string,
  type: string,
): Promise<{ status: string; answers: DigRecord[] }> {
  const { stdout } = await run('dig', [
    ...serverArgs(server),
    '+norec',
    '+time=2',
    '+tries=1',
    '+noall',
    '+comments',
    '+answer',
    name,
    type,
  ]);
  const status = /status: ([A-Z]+)/.exec(stdout)?.[1];
  if (!status) throw new Error(`dig ${name} ${type} at ${server} gave no status:\n${stdout}`);
  const answers = stdout
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith(';'))
    .map((line) => {
      const [owner, , , rrType, ...rest] = line.split(/\s+/);
      return { name: owner!, type: rrType!, data: rest.join(' ') };
    });
  return { status, answers };
}

/** Undoes dig's presentation quoting: "a" "b" -> "ab" with \" \\ and \DDD resolved. */
export function unquoteTxt(data: string): string {
  const bytes: number[] = [];
  for (const [, inner] of data.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    for (let i = 0; i < inner!.length; i++) {
      const ch = inner![i]!;
      if (ch !== '\\') bytes.push(...Buffer.from(ch));
      else if (/^\d{3}/.test(inner!.slice(i + 1))) {
        bytes.push(Number(inner!.slice(i + 1, i + 4)));
        i += 3;
      } else bytes.push(...Buffer.from(inner![++i]!));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The TXT values `server` holds at `name` (joined strings), sorted; [] for NXDOMAIN or none. */
export async function digTxt(server: string, name: string): Promise<string[]> {
  const { status, answers } = await dig(server, name, 'TXT');
  if (status !== 'NOERROR' && status !== 'NXDOMAIN')
    throw new Error(`${server} answered ${status} for ${name} TXT`);
  const owner = name.endsWith('.') ? name : `${name}.`;
  return answers
    .filter((r) => r.type === 'TXT' && r.name.toLowerCase() === owner.toLowerCase())
    .map((r) => unquoteTxt(r.data))
    .sort();
}
