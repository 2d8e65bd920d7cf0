// The `acme6 agent` process, run inside a node network namespace as a DaemonSet pod with
// hostNetwork would be, against the real testbed apiserver, with real packets:
//
//   client ns 2001:db8:1::2 (also "the internet") -- n0: node ns 2001:db8:1::1, n1: fd00:10::1 --
//   pod ns fd00:10::2 (TCP 8443 and 9000, UDP 9053 echo the peer address)
//
// The apiserver listens on the host's loopback, which a namespace cannot see; a Unix-socket bridge
// (netns.ts) makes 127.0.0.1:<port> inside the node ns lead to it, so the agent uses the testbed's
// kubeconfig unchanged and everything it runs (ip6tables, conntrack, sysctl reads) is in the node ns.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/agent/backend.ts';
import { binariesFor } from '../../src/agent/backend.ts';
import { CHAIN_PREFIX, serviceChain } from '../../src/agent/chains.ts';
import { HOOK_COMMENT } from '../../src/agent/render.ts';
import { runCommand } from '../../src/agent/runner.ts';
import { statusConfigMapName, statusDataKey } from '../../src/agent/status.ts';
import { ANNOTATION_EXPOSE_IPV6, ANNOTATION_EXPOSE_PORTS } from '../../src/api/group.ts';
import { repoRoot } from '../testbed/paths.ts';
import { startAgentContainer } from '../testbed/image-container.ts';
import type { OciContainer } from '../testbed/oci-runtime.ts';
import { ManagedProcess, waitUntil } from '../testbed/process.ts';
import { adminKubeConfig, createTestNamespace, eventsOf, testbed } from './kube.ts';
import {
  bridgeLoopbackPort,
  createNodeTopology,
  exec,
  NetnsTracker,
  spawnNode,
  TOPOLOGY,
  type NodeProgram,
} from './netns.ts';

type AgentProcess = ManagedProcess | OciContainer;

const { client: CLIENT, node: NODE, nodeUla: NODE_ULA, pod: POD } = TOPOLOGY;
const RESYNC = '20s';

const POD_SERVERS = `const net = require('node:net');
  const dgram = require('node:dgram');
  let n = 0;
  const up = () => { if (++n === 4) console.log('ready'); };
  for (const port of [8443, 9000]) {
    net.createServer((c) => { c.write(c.remoteAddress + '\\n'); c.on('data', (d) => c.write(d)); c.on('error', () => {}); })
      .listen(port, '::', up);
  }
  const u = dgram.createSocket('udp6');
  u.on('message', (m, r) => u.send(r.address + '\\n', r.port, r.address));
  u.bind(9053, '::', up);
  const moved = dgram.createSocket('udp6');
  moved.on('message', (m, r) => moved.send('moved ' + r.address + '\\n', r.port, r.address));
  moved.bind(9054, '::', up);`;

/** Another component's nftables table, which the agent must leave alone. */
const OTHER_NFT_TABLE = [
  'table ip6 other {',
  '  chain pre {',
  '    type nat hook prerouting priority dstnat; policy accept;',
  '    ip6 saddr 2001:db8:99::/64 return',
  '  }',
  '}',
  '',
].join('\n');

const INTERNET_SERVER = `require('node:net').createServer((c) => c.end(c.remoteAddress + '\\n'))
  .listen(8080, '::', () => console.log('ready'));`;

/** First line a TCP server at [host]:port sends, or TIMEOUT / the error code. */
function tcpProgram(host: string, port: number): string {
  return `const s = require('node:net').connect({ host: '${host}', port: ${port} });
    let out = '';
    s.setTimeout(1500, () => { console.log('TIMEOUT'); process.exit(0); });
    s.on('data', (d) => { out += d; if (out.includes('\\n')) { console.log(out.split('\\n')[0]); process.exit(0); } });
    s.on('end', () => { console.log(out.trim()); process.exit(0); });
    s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
}

/** The reply to one UDP datagram sent to [host]:port, or TIMEOUT. */
function udpProgram(host: string, port: number, sourcePort = 0): string {
  return `const s = require('node:dgram').createSocket('udp6');
    setTimeout(() => { console.log('TIMEOUT'); process.exit(0); }, 1500);
    s.on('message', (m) => { console.log(String(m).trim()); process.exit(0); });
    s.bind(${sourcePort}, () => s.send('hello', ${port}, '${host}'));`;
}

// `nft` and `legacy`: the ip6tables variants; `nftables`: the native table.
describe.each<Backend | 'nftables'>(['nft', 'legacy', 'nftables'])('acme6 agent on a %s node', (backend) => {
  const native = backend === 'nftables';
  const namespaces = new NetnsTracker();
  const programs: NodeProgram[] = [];
  const bin = binariesFor(backend === 'legacy' ? 'legacy' : 'nft');
  const nodeName = `agent-${backend}-${randomBytes(3).toString('hex')}`;
  let client = '';
  let node = '';
  let pod = '';
  let namespace = '';
  let agent: AgentProcess | undefined;
  let bridge: { close(): Promise<void> } | undefined;
  let core: k8s.CoreV1Api;
  let discovery: k8s.DiscoveryV1Api;

  const tcp = async (ns: string, host: string, port: number) =>
    (await exec(ns, process.execPath, ['-e', tcpProgram(host, port)])).trim();
  const udp = async (ns: string, host: string, port: number, sourcePort = 0) =>
    (await exec(ns, process.execPath, ['-e', udpProgram(host, port, sourcePort)])).trim();
  /** Everything installed in the node ns, as the backend lists it. */
  const save = () => (native ? exec(node, 'nft', ['list', 'ruleset']) : exec(node, bin.save));

  // As the testbed runs pods: the DaemonSet's container from the image under runc (root with
  // NET_ADMIN only, read-only root) in the node namespace, or a local process with
  // ACME6_TESTBED_POD_RUNTIME=process. The legacy node runs the agent as a process either way: the
  // shipped capabilities lack the NET_RAW ip6tables-legacy needs (image-runtime.test.ts shows it).
  async function startAgent(): Promise<AgentProcess> {
    const tb = testbed();
    const fromImage = backend === 'nft' && tb.podRunner?.runtime === 'image';
    const log = join(tb.dir, `agent-${nodeName}-${Date.now()}.log`);
    const flags = (kubeconfig: string): string[] => [
      ...['--kubeconfig', kubeconfig, '--node-name', nodeName, '--backend', backend],
      ...['--resync-period', RESYNC, '--canary-period', '1s', '--min-sync-interval', '200ms'],
      ...['--log-level', 'debug', '--status-namespace', namespace],
    ];
    const proc = fromImage
      ? await startAgentContainer({
          nodeName,
          netns: node,
          kubeconfig: tb.kubeconfigFile,
          args: (mounted) => ['agent', ...flags(mounted)],
          dir: tb.dir,
          logFile: log,
        })
      : new ManagedProcess(
          'acme6 agent',
          'ip',
          [
            ...['netns', 'exec', node, process.execPath, join(repoRoot, 'src/cmd/acme6.ts'), 'agent'],
            ...flags(tb.kubeconfigFile),
          ],
          log,
        );
    await waitUntil(
      'agent start',
      () => Promise.resolve(readFileSync(log, 'utf8').includes('"msg":"agent started"')),
      { timeoutMs: 30_000, process: proc },
    );
    return proc;
  }

  /** What this node's status ConfigMap says about Service `name`, or undefined. */
  async function publishedStatus(name: string): Promise<string | undefined> {
    const configMap = await core
      .readNamespacedConfigMap({ name: statusConfigMapName(nodeName), namespace })
      .catch(() => undefined);
    return configMap?.data?.[statusDataKey(`${namespace}/${name}`)];
  }

  const events = (name: string): Promise<k8s.CoreV1Event[]> => eventsOf(namespace, name);

  beforeAll(async () => {
    ({ client, node, pod } = await createNodeTopology(namespaces));
    programs.push(await spawnNode(pod, POD_SERVERS), await spawnNode(client, INTERNET_SERVER));
    const tb = testbed();
    bridge = await bridgeLoopbackPort(
      node,
      Number(new URL(tb.apiserverUrl).port),
      join(tb.dir, `apiserver-${nodeName}.sock`),
    );

    core = adminKubeConfig().makeApiClient(k8s.CoreV1Api);
    namespace = await createTestNamespace('agent');
    await core.createNode({ body: { metadata: { name: nodeName }, spec: { podCIDRs: ['fd00:10::/64'] } } });
    await core.patchNodeStatus(
      {
        name: nodeName,
        body: {
          status: {
            addresses: [
              { type: 'InternalIP', address: NODE },
              { type: 'InternalIP', address: NODE_ULA },
            ],
          },
        },
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    // Selector-less Services with hand-written EndpointSlices: the testbed has no kubelet, and a
    // managed-by other than kube's keeps kube-controller-manager's hands off them.
    const ports = [
      { name: 'https', port: 443, targetPort: 8443, protocol: 'TCP' },
      { name: 'dns', port: 5353, targetPort: 9053, protocol: 'UDP' },
      { name: 'other', port: 9000, targetPort: 9000, protocol: 'TCP' },
    ];
    for (const [name, exposePorts] of [
      ['web', 'https,dns'],
      ['bad', 'https,nope'],
    ] as const) {
      await core.createNamespacedService({
        namespace,
        body: {
          metadata: {
            name,
            annotations: { [ANNOTATION_EXPOSE_IPV6]: 'true', [ANNOTATION_EXPOSE_PORTS]: exposePorts },
          },
          spec: { ports },
        },
      });
    }
    discovery = adminKubeConfig().makeApiClient(k8s.DiscoveryV1Api);
    await discovery.createNamespacedEndpointSlice({
      namespace,
      body: {
        metadata: {
          name: 'web-1',
          labels: {
            'kubernetes.io/service-name': 'web',
            'endpointslice.kubernetes.io/managed-by': 'acme6-test',
          },
        },
        addressType: 'IPv6',
        endpoints: [{ addresses: [POD], nodeName, conditions: { ready: true } }],
        ports: ports.map((p) => ({ name: p.name, port: p.targetPort, protocol: p.protocol })),
      },
    });
    agent = await startAgent();
  });

  afterAll(async () => {
    await agent?.stop();
    await bridge?.close();
    for (const p of programs.splice(0)) await p.stop();
    await namespaces.cleanup();
    await core?.deleteNode({ name: nodeName }).catch(() => undefined);
    if (namespace) await core?.deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('publishes TCP and UDP with the client address preserved; unpublished ports stay closed (S5)', async () => {
    // "agent started" comes before its first sync ends: on a loaded machine the rules may not be in
    // yet. The status ConfigMap is written after the rules, so it says when to look.
    await waitUntil(
      'web published in the status ConfigMap',
      async () => (await publishedStatus('web'))?.includes(`[${NODE}]:443/TCP`) === true,
      { timeoutMs: 30_000 },
    );
    // The first connection through a new path may outlast the probe's 1.5 s on a loaded machine (it
    // once timed out in CI with the rules in): asked again, it must reach the pod as the client.
    await expect.poll(() => tcp(client, NODE, 443), { timeout: 15_000, interval: 500 }).toBe(CLIENT);
    await expect.poll(() => udp(client, NODE, 5353), { timeout: 15_000, interval: 500 }).toBe(CLIENT);
    // Port 9000 is on the Service but not in expose-ports: nothing DNATs it, the node has no listener.
    expect(await tcp(client, NODE, 9000)).toBe('ECONNREFUSED');
    // Routed straight at the pod (an L2 neighbour): dropped, published target port or not.
    expect(await tcp(client, POD, 9000)).toBe('TIMEOUT');
    expect(await tcp(client, POD, 8443)).toBe('TIMEOUT');
  });

  it('logs the backend it chose and why, and writes only through that one', async () => {
    const log = readFileSync(agent?.logFile ?? '', 'utf8');
    const line = log.split('\n').find((l) => l.includes('"msg":"netfilter backend"'));
    expect(JSON.parse(line ?? '{}')).toMatchObject({
      backend: native ? 'nftables' : `iptables-${backend}`,
      reason: `chosen by --backend=${backend}`,
    });
    const table = await runCommand(['ip', 'netns', 'exec', node, 'nft', 'list', 'table', 'ip6', 'acme6']);
    expect(table.exitCode === 0).toBe(native);
    expect((await exec(node, bin.save)).includes(CHAIN_PREFIX)).toBe(!native);
  });

  it.runIf(native)(
    'on nftables, an ip6tables FORWARD DROP that appears later fails readiness, saying why',
    async () => {
      const readyz = async () =>
        (
          await exec(node, process.execPath, [
            '-e',
            `fetch('http://127.0.0.1:9404/readyz').then(async (r) => console.log(r.status + ' ' + (await r.text())))`,
          ])
        ).trim();
      expect(await readyz()).toMatch(/^200 .*\[\+\]backend nftables \(chosen by --backend=nftables\) ok/s);
      await exec(node, 'ip6tables-nft', ['-w', '-P', 'FORWARD', 'DROP']);
      try {
        await waitUntil(
          'readiness names the drop',
          async () => (await readyz()).includes('[-]host-forward failed'),
          {
            timeoutMs: 10_000,
          },
        );
        expect(await readyz()).toContain('ip6tables-nft FORWARD has policy DROP');
      } finally {
        await exec(node, 'ip6tables-nft', ['-w', '-P', 'FORWARD', 'ACCEPT']);
      }
      await waitUntil('ready again', async () => (await readyz()).startsWith('200 '), { timeoutMs: 10_000 });
    },
  );

  it('writes its status ConfigMap and Events, and a Warning naming the annotation it cannot honour', async () => {
    const expected =
      `${nodeName}/[${NODE}]:443/TCP -> [${POD}]:8443, ` + `${nodeName}/[${NODE}]:5353/UDP -> [${POD}]:9053`;
    await waitUntil('status ConfigMap', async () => (await publishedStatus('web')) === expected, {
      timeoutMs: 10_000,
    });
    await waitUntil(
      'Published event',
      async () =>
        (await events('web')).some((e) => e.reason === 'Published' && e.message?.includes(expected)),
      { timeoutMs: 10_000 },
    );
    await waitUntil(
      'UnknownPort warning',
      async () =>
        (await events('bad')).some(
          (e) =>
            e.type === 'Warning' &&
            e.reason === 'UnknownPort' &&
            e.message?.includes(ANNOTATION_EXPOSE_PORTS) === true &&
            e.message.includes('"nope"'),
        ),
      { timeoutMs: 10_000 },
    );
    // "bad" has no EndpointSlice, so this node publishes nothing for it and writes no entry.
    expect(await publishedStatus('bad')).toBeUndefined();
    // Nothing of the agent's on the Service itself: it may not write Services.
    const web = await core.readNamespacedService({ name: 'web', namespace });
    expect(Object.keys(web.metadata?.annotations ?? {}).filter((k) => k.includes('published'))).toEqual([]);
  });

  it('pod egress reaches the internet with the node address as source (S2)', async () => {
    expect(await tcp(pod, CLIENT, 8080)).toBe(NODE);
  });

  it('a pod reaches its own Service through the node address (hairpin)', async () => {
    // Masqueraded to the node's ULA side, so the reply comes back through the node's conntrack.
    expect(await tcp(pod, NODE, 443)).toBe(NODE_ULA);
  });

  it('after someone flushes the nat table, service is restored within the resync period', async () => {
    expect(await tcp(client, NODE, 443)).toBe(CLIENT);
    // The repair can beat any probe we make right after the flush, so the agent's own log proves
    // it noticed (the canary) rather than a connection attempt racing it.
    const canaryLines = () => readFileSync(agent?.logFile ?? '', 'utf8').split('canary gone').length - 1;
    const before = canaryLines();
    if (native) await exec(node, 'nft', ['flush', 'ruleset']);
    else await exec(node, bin.iptables, ['-w', '-t', 'nat', '-F']);
    const flushedAt = Date.now();
    await waitUntil(
      'canary noticed and service restored',
      async () => canaryLines() > before && (await tcp(client, NODE, 443)) === CLIENT,
      { timeoutMs: 25_000, intervalMs: 100, ...(agent ? { process: agent } : {}) },
    );
    console.log(`[${backend}] restored ${Date.now() - flushedAt} ms after a flush (resync ${RESYNC})`);
  });

  it('an established TCP connection survives an agent restart, and SIGTERM leaves the rules', async () => {
    const conn = await spawnNode(
      client,
      `const s = require('node:net').connect({ host: '${NODE}', port: 443 }, () => console.log('ready'));
       s.setEncoding('utf8');
       s.on('data', (d) => process.stdout.write(d));
       s.on('close', () => { console.log('CLOSED'); process.exit(0); });
       process.stdin.setEncoding('utf8').on('data', (d) => s.write(d));`,
    );
    programs.push(conn);
    const roundTrip = async (word: string) => {
      conn.child.stdin?.write(`${word}\n`);
      await waitUntil(`echo of ${word}`, () => Promise.resolve(conn.output().includes(`${word}\n`)), {
        timeoutMs: 5000,
      });
    };
    await waitUntil('greeting', () => Promise.resolve(conn.output().includes(`${CLIENT}\n`)), {
      timeoutMs: 5000,
    });
    await roundTrip('before');
    const rulesBefore = (await save()).replace(/\[\d+:\d+\]/g, '').replace(/^#.*$/gm, '');
    await agent?.stop();
    // A clean exit on SIGTERM (not the SIGKILL ManagedProcess sends after its grace period).
    expect(await agent?.exited).toEqual({ code: 0, signal: null });
    const rulesAfterStop = (await save()).replace(/\[\d+:\d+\]/g, '').replace(/^#.*$/gm, '');
    expect(rulesAfterStop).toBe(rulesBefore);
    await roundTrip('while-stopped');
    agent = await startAgent();
    await roundTrip('after-restart');
    expect(conn.output()).not.toContain('CLOSED');
    await conn.stop();
  });

  it('a retargeted UDP mapping gets its conntrack entries deleted, so a steady flow follows it', async () => {
    // Same 5-tuple both times: without the deletion, the old entry would keep DNATing to 9053.
    const sourcePort = 40053;
    expect(await udp(client, NODE, 5353, sourcePort)).toBe(CLIENT);
    await discovery.patchNamespacedEndpointSlice(
      {
        name: 'web-1',
        namespace,
        body: [{ op: 'replace', path: '/ports/1/port', value: 9054 }],
      },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    await waitUntil(
      'status ConfigMap names the new target',
      async () => (await publishedStatus('web'))?.includes(`[${POD}]:9054`) === true,
      { timeoutMs: 10_000 },
    );
    expect(await udp(client, NODE, 5353, sourcePort)).toBe(`moved ${CLIENT}`);
  });

  it('removing the annotation of the last published Service removes all our rules and nothing else', async () => {
    // A foreign chain and rule the agent must not touch.
    if (native) {
      await exec(node, 'nft', ['-f', '-'], OTHER_NFT_TABLE);
    } else {
      await exec(node, bin.iptables, ['-w', '-t', 'nat', '-N', 'OTHER-CHAIN']);
      await exec(node, bin.iptables, [
        ...['-w', '-t', 'nat', '-A', 'OTHER-CHAIN', '-s', '2001:db8:99::/64', '-j', 'RETURN'],
      ]);
      await exec(node, bin.iptables, ['-w', '-t', 'nat', '-A', 'PREROUTING', '-j', 'OTHER-CHAIN']);
    }
    const foreign = (text: string) =>
      native
        ? text.slice(text.indexOf('table ip6 other'))
        : text
            .split('\n')
            .filter((l) => l.includes('OTHER-CHAIN') || (l.startsWith('-A') && !l.includes('acme6')));
    const before = await save();
    const chain = native ? 'table ip6 acme6' : `:${serviceChain(`${namespace}/web`)}`;
    expect(before).toContain(chain);
    expect(foreign(before)).not.toEqual(native ? '' : []);

    await core.patchNamespacedService(
      { name: 'web', namespace, body: { metadata: { annotations: { [ANNOTATION_EXPOSE_IPV6]: null } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    await waitUntil('our rules removed', async () => !(await save()).includes(chain), {
      timeoutMs: 10_000,
    });
    const after = await save();
    expect(after).not.toContain(`service ${namespace}/web`);
    expect(foreign(after)).toEqual(foreign(before));
    // It was the only published Service: nothing of ours stays, not even the hooks.
    expect(after.split('\n').filter((l) => l.includes(`"${HOOK_COMMENT}"`))).toEqual([]);
    expect(after).not.toContain(`:${CHAIN_PREFIX}`);
    expect(after).not.toContain('acme6');
    expect(await tcp(client, NODE, 443)).toBe('ECONNREFUSED');
    await waitUntil('status entry removed', async () => (await publishedStatus('web')) === undefined, {
      timeoutMs: 10_000,
    });
    await waitUntil(
      'Unpublished event',
      async () => (await events('web')).some((e) => e.reason === 'Unpublished'),
      {
        timeoutMs: 10_000,
      },
    );
  });

  it('--cleanup removes every chain and jump of ours and nothing else', async () => {
    await agent?.stop();
    // Something of ours again (the last Service is gone, so the agent left nothing).
    if (native) await exec(node, 'nft', ['-f', '-'], 'table ip6 acme6 {\n  chain x {\n  }\n}\n');
    else await exec(node, bin.iptables, ['-w', '-t', 'nat', '-N', `${CHAIN_PREFIX}CANARY`]);
    const before = await save();
    expect(before).toContain(native ? 'table ip6 acme6' : CHAIN_PREFIX);
    const r = await runCommand([
      ...['ip', 'netns', 'exec', node, process.execPath, join(repoRoot, 'src/cmd/acme6.ts')],
      ...['agent', '--cleanup', '--backend', backend],
    ]);
    expect({ exit: r.exitCode, stderr: r.stderr }).toEqual({ exit: 0, stderr: '' });
    const after = await save();
    expect(after).not.toContain(CHAIN_PREFIX);
    expect(after).not.toContain(HOOK_COMMENT);
    expect(after).not.toContain('table ip6 acme6');
    if (native) {
      expect(after).toContain('table ip6 other');
      return;
    }
    const notOurs = (text: string) =>
      text
        .split('\n')
        .filter(
          (l) =>
            (l.startsWith('-A') || l.startsWith(':')) && !l.includes('acme6') && !l.includes(CHAIN_PREFIX),
        )
        .map((l) => l.replace(/\[\d+:\d+\]/g, ''));
    expect(notOurs(after)).toEqual(notOurs(before));
    expect(notOurs(after)).toContain('-A PREROUTING -j OTHER-CHAIN');
  });
});
