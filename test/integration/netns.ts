// Throwaway network namespaces for netfilter tests. Names are `acme6-<random>` so parallel runs and
// other engineers' namespaces never collide, and a tracker deletes every namespace it made.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
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

/** A Node.js program running inside a namespace, started by spawnNode. */
export interface NodeProgram {
  readonly child: ChildProcess;
  /** Everything it printed after its `ready` line. */
  output(): string;
  /** Kills it (SIGKILL) and waits for the exit. */
  stop(): Promise<void>;
}

/**
 * Runs `node -e program` inside `ns` and resolves once it printed `ready` (servers print it after
 * listening). Its stderr goes to ours, so a crash is visible in the test output.
 */
export async function spawnNode(ns: string, program: string): Promise<NodeProgram> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', program], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  // One listener for the whole life: what arrives in the same chunk as `ready` is kept too.
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const readyAt = (): number => (out.startsWith('ready\n') ? 0 : out.indexOf('\nready\n') + 1);
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (out.startsWith('ready\n') || out.includes('\nready\n')) {
        child.stdout.off('data', check);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null): void =>
      reject(new Error(`program in ${ns} exited with ${code} before ready`));
    child.stdout.on('data', check);
    child.once('exit', onExit);
  });
  const start = readyAt() + 'ready\n'.length;
  return { child, stop, output: () => out.slice(start) };
}

/**
 * Makes 127.0.0.1:`port` inside `ns` reach 127.0.0.1:`port` of the host namespace (the testbed's
 * apiserver), through a Unix socket at `socketPath`: the filesystem is shared across network
 * namespaces, sockets are not. The kubeconfig then works unchanged inside the namespace.
 */
export async function bridgeLoopbackPort(
  ns: string,
  port: number,
  socketPath: string,
): Promise<{ close(): Promise<void> }> {
  const open = new Set<Socket>();
  const hostSide = createServer((inbound) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [inbound, upstream]) {
      open.add(s);
      s.once('close', () => open.delete(s));
    }
    inbound.pipe(upstream).pipe(inbound);
    inbound.on('error', () => upstream.destroy());
    upstream.on('error', () => inbound.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    hostSide.once('error', reject);
    hostSide.listen(socketPath, resolve);
  });
  const nsSide = await spawnNode(
    ns,
    `const net = require('node:net');
     net.createServer((c) => {
       const up = net.connect(${JSON.stringify(socketPath)});
       c.pipe(up).pipe(c);
       c.on('error', () => up.destroy());
       up.on('error', () => c.destroy());
     }).listen(${port}, '127.0.0.1', () => console.log('ready'));`,
  );
  return {
    async close() {
      await nsSide.stop();
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => {
        hostSide.close(() => resolve());
        hostSide.unref();
      });
    },
  };
}

/** Addresses of the three-namespace topology built by createNodeTopology. */
export const TOPOLOGY = {
  client: '2001:db8:1::2',
  node: '2001:db8:1::1',
  nodeUla: 'fd00:10::1',
  pod: 'fd00:10::2',
  podPrefix: 'fd00:10::/64',
} as const;

/**
 * client ns (2001:db8:1::2) -- veth c0/n0 -- node ns (2001:db8:1::1; fd00:10::1) -- veth n1/p0 --
 * pod ns (fd00:10::2, default route via the node). IPv6 forwarding is on in the node ns, and the
 * client also routes the pod prefix at the node: a neighbour that tries to reach pods directly.
 */
export async function createNodeTopology(
  namespaces: NetnsTracker,
): Promise<{ client: string; node: string; pod: string }> {
  const [client, node, pod] = [
    await namespaces.create(),
    await namespaces.create(),
    await namespaces.create(),
  ];
  const t = TOPOLOGY;
  await ip('-n', node, 'link', 'add', 'n0', 'type', 'veth', 'peer', 'name', 'c0', 'netns', client);
  await ip('-n', node, 'link', 'add', 'n1', 'type', 'veth', 'peer', 'name', 'p0', 'netns', pod);
  // nodad: a tentative address cannot be bound for a second or two.
  await ip('-n', client, 'addr', 'add', `${t.client}/64`, 'dev', 'c0', 'nodad');
  await ip('-n', node, 'addr', 'add', `${t.node}/64`, 'dev', 'n0', 'nodad');
  await ip('-n', node, 'addr', 'add', `${t.nodeUla}/64`, 'dev', 'n1', 'nodad');
  await ip('-n', pod, 'addr', 'add', `${t.pod}/64`, 'dev', 'p0', 'nodad');
  for (const [ns, dev] of [
    [client, 'c0'],
    [node, 'n0'],
    [node, 'n1'],
    [pod, 'p0'],
  ] as const) {
    await ip('-n', ns, 'link', 'set', dev, 'up');
  }
  await ip('-n', pod, 'route', 'add', 'default', 'via', t.nodeUla, 'dev', 'p0');
  await ip('-n', client, 'route', 'add', t.podPrefix, 'via', t.node, 'dev', 'c0');
  await exec(node, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
  return { client, node, pod };
}
