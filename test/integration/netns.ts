// Throwaway network namespaces for netfilter tests. Names are `acme6-<random>` so parallel runs and
// other engineers' namespaces never collide, and a tracker deletes every namespace it made.
import { randomBytes } from 'node:crypto';
import { NetfilterCommandError, runCommand, type CommandResult } from '../../src/agent/runner.ts';

/** Prefix of every namespace these helpers create. */
export const NETNS_PREFIX = 'acme6-';

/** Runs `cmd args…` inside namespace `ns`; rejects with the command and stderr on a non-zero exit. */
export async function exec(
  ns: string,
  cmd: string,
  args: readonly string[] = [],
  input?: string,
): Promise<string> {
  const r = await tryExec(ns, cmd, args, input);
  if (r.exitCode !== 0)
    throw new NetfilterCommandError(['ip', 'netns', 'exec', ns, cmd, ...args], r.exitCode, r.stderr);
  return r.stdout;
}

/** Like exec, but resolves with the exit code instead of rejecting. */
export function tryExec(
  ns: string,
  cmd: string,
  args: readonly string[] = [],
  input?: string,
): Promise<CommandResult> {
  return runCommand(['ip', 'netns', 'exec', ns, cmd, ...args], input);
}

/** The command prefix that runs something inside `ns`. */
export function netnsPrefix(ns: string): string[] {
  return ['ip', 'netns', 'exec', ns];
}

async function ip(...args: string[]): Promise<void> {
  const r = await runCommand(['ip', ...args]);
  if (r.exitCode !== 0) throw new NetfilterCommandError(['ip', ...args], r.exitCode, r.stderr);
}

/** Creates a namespace with a unique name and loopback up. */
export async function createNetns(): Promise<string> {
  const name = `${NETNS_PREFIX}${randomBytes(4).toString('hex')}`;
  await ip('netns', 'add', name);
  try {
    await ip('-n', name, 'link', 'set', 'lo', 'up');
  } catch (err) {
    await deleteNetns(name);
    throw err;
  }
  return name;
}

/** Deletes a namespace; a namespace that is already gone is not an error. */
export async function deleteNetns(name: string): Promise<void> {
  if (!name.startsWith(NETNS_PREFIX)) throw new Error(`refusing to delete foreign namespace ${name}`);
  const r = await runCommand(['ip', 'netns', 'delete', name]);
  if (r.exitCode !== 0 && !/No such file/.test(r.stderr)) {
    throw new NetfilterCommandError(['ip', 'netns', 'delete', name], r.exitCode, r.stderr);
  }
}

/** Remembers the namespaces it creates so one cleanup() (in afterEach/afterAll) removes them all. */
export class NetnsTracker {
  private readonly names = new Set<string>();

  /** Creates and tracks a namespace. */
  async create(): Promise<string> {
    const name = await createNetns();
    this.names.add(name);
    return name;
  }

  /** Deletes every tracked namespace, attempting all even if one fails. */
  async cleanup(): Promise<void> {
    const names = [...this.names];
    this.names.clear();
    const results = await Promise.allSettled(names.map(deleteNetns));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
