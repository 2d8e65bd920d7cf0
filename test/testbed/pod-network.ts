// Each pod of the testbed's pod runner gets a network namespace of its own (its "sandbox") joined to
// the host by a veth pair, with a pod IP from 203.0.113.0/24 (TEST-NET-3, routed nowhere else).
// The apiserver refuses loopback addresses in EndpointSlices, so pods cannot simply share 127.0.0.N.
// Several testbeds may run on one host: a pod IP is claimed by adding its /32 route on the host, which
// the kernel refuses when another testbed's pod already has it.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { processAlive } from './workdir.ts';

const run = promisify(execFile);

export const POD_CIDR = '203.0.113.0/24';
/** The host's end of every pod's veth: the pods' default gateway and their hostIP. */
export const NODE_IP = '203.0.113.1';
const prefix = '203.0.113.';
const firstHost = 2;
const lastHost = 254;
const NETNS_PREFIX = 'acme6-pod-';

/** The lowest host number in 2..254 neither `used` here nor known `taken` elsewhere. */
export function nextHostNumber(used: ReadonlySet<number>, taken: ReadonlySet<number>): number | undefined {
  for (let n = firstHost; n <= lastHost; n++) if (!used.has(n) && !taken.has(n)) return n;
  return undefined;
}

/** One pod's network: its namespace, the host end of its veth and its address. */
export interface PodSandbox {
  netns: string;
  hostLink: string;
  podIP: string;
  hostNumber: number;
}

async function ip(args: string[], batch?: string): Promise<void> {
  const child = run('ip', batch === undefined ? args : [...args, '-batch', '-']);
  if (batch !== undefined) child.child.stdin?.end(batch);
  try {
    await child;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim() ?? String(err);
    throw new Error(`ip ${args.join(' ')} failed: ${stderr}${batch ? `\n${batch}` : ''}`, { cause: err });
  }
}

/** Pod IPs of this runner; claims on the host go through the kernel's route table. */
export class PodAddressPool {
  private readonly used = new Set<number>();
  private readonly taken = new Set<number>();

  /** Creates a sandbox with a fresh pod IP; removes what it made if any step fails. */
  async createSandbox(): Promise<PodSandbox> {
    const id = randomBytes(4).toString('hex');
    const netns = `${NETNS_PREFIX}${process.pid}-${id}`;
    const hostLink = `a6p${id}`;
    await ip(['netns', 'add', netns]);
    try {
      await ip(['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      await ip([], `addr add ${NODE_IP}/32 dev ${hostLink}\nlink set ${hostLink} up\n`);
      const hostNumber = await this.claim(hostLink);
      const podIP = `${prefix}${hostNumber}`;
      try {
        await ip(
          ['-n', netns],
          [
            'link set lo up',
            `addr add ${podIP}/32 dev eth0`,
            'link set eth0 up',
            `route add ${NODE_IP}/32 dev eth0`,
            `route add default via ${NODE_IP} dev eth0`,
            '',
          ].join('\n'),
        );
      } catch (err) {
        this.used.delete(hostNumber);
        throw err;
      }
      return { netns, hostLink, podIP, hostNumber };
    } catch (err) {
      await ip(['netns', 'delete', netns]).catch(() => undefined);
      throw err;
    }
  }

  private async claim(hostLink: string): Promise<number> {
    for (;;) {
      const n = nextHostNumber(this.used, this.taken);
      if (n === undefined) throw new Error(`no free pod IP left in ${POD_CIDR}`);
      this.used.add(n);
      try {
        await ip(['route', 'add', `${prefix}${n}/32`, 'dev', hostLink, 'src', NODE_IP]);
        return n;
      } catch (err) {
        this.used.delete(n);
        if (!/File exists/.test(String(err))) throw err;
        this.taken.add(n); // another testbed's pod holds it
      }
    }
  }

  /** Deletes the namespace (its veth and route go with it) and frees the address. */
  async removeSandbox(sandbox: PodSandbox): Promise<void> {
    await ip(['netns', 'delete', sandbox.netns]).catch((err: unknown) => {
      if (!/No such file/.test(String(err))) throw err;
    });
    this.used.delete(sandbox.hostNumber);
  }
}

/** Deletes `netns` synchronously (exit hooks cannot wait). */
export function removeSandboxNow(sandbox: PodSandbox): void {
  try {
    execFileSync('ip', ['netns', 'delete', sandbox.netns], { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
}

/** Deletes pod namespaces left by runners that died without cleaning up (their pid is in the name). */
export async function reapOrphanedSandboxes(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  const orphans = stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => {
      const match = new RegExp(`^${NETNS_PREFIX}(\\d+)-[0-9a-f]+$`).exec(name);
      return match !== null && !processAlive(Number(match[1]));
    });
  for (const netns of orphans) await ip(['netns', 'delete', netns]).catch(() => undefined);
  return orphans;
}
