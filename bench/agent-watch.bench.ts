// Benchmark (not a test): what `acme6 agent` holds and how fast an EndpointSlice change reaches the
// kernel, with N unrelated Services in the cluster. On one testbed (no ingress, no pebble, no DNS):
// one annotated Service `pub` with one ready endpoint on the benchmarked node, plus N unannotated
// Services each with an EndpointSlice on that node too. For each N the agent runs in a fresh node
// network namespace (iptables-nft) through a recording proxy (bench/agent-watch-proxy.ts), then:
//   - objects the apiserver sent it in full (Services, EndpointSlices) and as metadata only;
//   - its RSS a few seconds after the first sync;
//   - the time from a PATCH of pub's endpoint address to the new DNAT target being in the kernel
//     (a poller in the node namespace runs ip6tables-nft-save -t nat in a loop), 20 changes spaced
//     by more than --min-sync-interval (1 s default) so the rate limit does not add to the latency.
// Needs root. Environment: ACME6_BENCH_SERVICES="0,2000" (the N values), ACME6_BENCH_CHANGES (20),
// ACME6_BENCH_OLD_REF=<commit> also runs that commit's agent (e.g. the full-informer agent) the same way.
//   npm run bench:agent-watch
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { binariesFor } from '../src/agent/backend.ts';
import { LABEL_SERVICE_NAME } from '../src/agent/model.ts';
import { ANNOTATION_EXPOSE_IPV6 } from '../src/api/group.ts';
import { bridgeLoopbackPort, exec, NetnsTracker, spawnNode } from '../test/integration/netns.ts';
import { ManagedProcess, waitUntil } from '../test/testbed/process.ts';
import { Testbed } from '../test/testbed/testbed.ts';
import { kubeconfigTls } from '../test/testbed/kubeconfig.ts';
import { proxyKubeconfig, RecordingProxy } from './agent-watch-proxy.ts';
import { memoryMb } from './controller/process-stats.ts';
import { fixed, table } from './controller/table.ts';

const repo = resolve(import.meta.dirname, '..');
const SIZES = (process.env.ACME6_BENCH_SERVICES ?? '0,2000').split(',').map(Number);
const CHANGES = Number(process.env.ACME6_BENCH_CHANGES ?? 20);
const OLD_REF = process.env.ACME6_BENCH_OLD_REF;
const NAMESPACE = 'bench-watch';
const NODE_NAME = 'bench-node';
const NODE = '2001:db8:1::1';
const SAVE = binariesFor('nft').save;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);
const podOf = (i: number): string => `fd00:10::${(0x1000 + i).toString(16)}`;
const pubPod = (k: number): string => `fd00:10::${(0x100 + k).toString(16)}`;
const dnat = (pod: string): string => `--to-destination [${pod}]:8443`;

/** Reads lines `<pod address> <t0 ms>` and prints the ms from t0 until the DNAT to it is installed. */
const POLLER = `const { execFileSync } = require('node:child_process');
  const lines = require('node:readline').createInterface({ input: process.stdin });
  const pause = new Int32Array(new SharedArrayBuffer(4));
  console.log('ready');
  lines.on('line', (line) => {
    const [pod, t0] = line.split(' ');
    const want = '--to-destination [' + pod + ']:8443';
    const deadline = Date.now() + 30000;
    while (!execFileSync(${JSON.stringify(SAVE)}, ['-t', 'nat'], { encoding: 'utf8' }).includes(want)) {
      if (Date.now() > deadline) { console.log('TIMEOUT'); return; }
      Atomics.wait(pause, 0, 0, 2);
    }
    console.log(String(Date.now() - Number(t0)));
  });`;

interface Row {
  agent: string;
  services: number;
  fullServices: number;
  fullSlices: number;
  metadata: number;
  rssMb: number;
  medianMs: number;
  p90Ms: number;
  maxMs: number;
}

async function main(): Promise<void> {
  log('starting the testbed');
  const testbed = await Testbed.start({ ingress: false, pebble: false, dns: false, podRunner: false });
  let oldDir: string | undefined;
  const rows: Row[] = [];
  try {
    if (OLD_REF) oldDir = checkout(OLD_REF);
    const info = testbed.info;
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(info.kubeconfigFile);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const discovery = kc.makeApiClient(k8s.DiscoveryV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
    await core.createNode({ body: { metadata: { name: NODE_NAME }, spec: { podCIDRs: ['fd00:10::/64'] } } });
    await core.patchNodeStatus(
      { name: NODE_NAME, body: { status: { addresses: [{ type: 'InternalIP', address: NODE }] } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const create = async (name: string, port: number, pod: string, annotated: boolean): Promise<void> => {
      await core.createNamespacedService({
        namespace: NAMESPACE,
        body: {
          metadata: { name, ...(annotated ? { annotations: { [ANNOTATION_EXPOSE_IPV6]: 'true' } } : {}) },
          spec: { clusterIP: 'None', ports: [{ name: 'https', port, targetPort: 8443, protocol: 'TCP' }] },
        },
      });
      await discovery.createNamespacedEndpointSlice({
        namespace: NAMESPACE,
        body: {
          metadata: {
            name: `${name}-1`,
            labels: { [LABEL_SERVICE_NAME]: name, 'endpointslice.kubernetes.io/managed-by': 'acme6-bench' },
          },
          addressType: 'IPv6',
          endpoints: [{ addresses: [pod], nodeName: NODE_NAME, conditions: { ready: true } }],
          ports: [{ name: 'https', port: 8443, protocol: 'TCP' }],
        },
      });
    };
    await create('pub', 443, pubPod(0), true);
    let change = 0;
    const movePub = async (): Promise<string> => {
      const pod = pubPod(++change);
      await discovery.patchNamespacedEndpointSlice(
        {
          name: 'pub-1',
          namespace: NAMESPACE,
          body: [{ op: 'replace', path: '/endpoints/0/addresses/0', value: pod }],
        },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
      );
      return pod;
    };

    let existing = 0;
    for (const n of SIZES) {
      log(`creating unrelated Services ${existing}..${n - 1}`);
      const todo = Array.from({ length: Math.max(0, n - existing) }, (_, i) => existing + i);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < todo.length) {
          const i = todo[next++] as number;
          await create(`svc-${i}`, 10_000 + i, podOf(i), false);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      if (existing < n) await sleep(10_000); // let the apiserver settle after the burst of creates
      existing = Math.max(existing, n);
      const entries: [string, string][] = [['this', join(repo, 'src/cmd/acme6.ts')]];
      // The older agent first: a run right after the creates would otherwise always hit this one.
      if (oldDir && OLD_REF) entries.unshift([OLD_REF.slice(0, 7), join(oldDir, 'src/cmd/acme6.ts')]);
      for (const [agent, entry] of entries) {
        log(`N=${n}: agent ${agent}`);
        rows.push({ agent, services: n, ...(await measure(info, entry, pubPod(change), movePub)) });
      }
    }
  } finally {
    await testbed.stop();
    if (oldDir) rmSync(oldDir, { recursive: true, force: true });
  }
  process.stdout.write(
    table(
      `acme6 agent: objects held and EndpointSlice-change latency (${CHANGES} changes each, iptables-nft)`,
      [
        'agent',
        'unrelated Services',
        'full Services sent',
        'full EndpointSlices sent',
        'metadata-only objects sent',
        'RSS MB',
        'slice change → kernel, median ms',
        'p90 ms',
        'max ms',
      ],
      rows.map((r) => [
        r.agent,
        r.services,
        r.fullServices,
        r.fullSlices,
        r.metadata,
        fixed(r.rssMb),
        r.medianMs,
        r.p90Ms,
        r.maxMs,
      ]),
    ),
  );
}

/** One agent run in a fresh node namespace; `current` is pub's endpoint now. */
async function measure(
  info: Testbed['info'],
  entry: string,
  current: string,
  movePub: () => Promise<string>,
): Promise<Omit<Row, 'agent' | 'services'>> {
  const namespaces = new NetnsTracker();
  const node = await namespaces.create();
  const proxy = await RecordingProxy.start(info.apiserverUrl, kubeconfigTls(info.kubeconfigFile));
  const tag = randomBytes(3).toString('hex');
  let bridge: { close(): Promise<void> } | undefined;
  let agent: ManagedProcess | undefined;
  let poller: Awaited<ReturnType<typeof spawnNode>> | undefined;
  try {
    await exec(node, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
    bridge = await bridgeLoopbackPort(node, proxy.port, join(info.dir, `bench-${tag}.sock`));
    const kubeconfig = join(info.dir, `bench-agent-${tag}.kubeconfig`);
    writeFileSync(kubeconfig, proxyKubeconfig(proxy.port));
    const logFile = join(info.dir, `bench-agent-${tag}.log`);
    agent = new ManagedProcess(
      'acme6 agent',
      'ip',
      [
        ...['netns', 'exec', node, process.execPath, entry, 'agent', '--kubeconfig', kubeconfig],
        ...['--node-name', NODE_NAME, '--backend', 'nft', '--status-namespace', NAMESPACE],
        '--health-probe-bind-address=0',
      ],
      logFile,
    );
    const running = agent;
    await waitUntil(
      'first sync',
      async () => (await exec(node, SAVE, ['-t', 'nat'])).includes(dnat(current)),
      {
        timeoutMs: 120_000,
        process: running,
      },
    );
    await sleep(3000);
    const rssMb = memoryMb(running.pid ?? 0).rss;
    const fullServices = proxy.full('Service').length;
    const fullSlices = proxy.full('EndpointSlice').length;
    const metadata = proxy.objectsSent.get('PartialObjectMetadata') ?? 0;

    poller = await spawnNode(node, POLLER);
    const latencies: number[] = [];
    for (let i = 0; i < CHANGES; i++) {
      await sleep(1200);
      const seen = poller.output().split('\n').filter(Boolean).length;
      const t0 = Date.now();
      const pod = await movePub();
      poller.child.stdin?.write(`${pod} ${t0}\n`);
      await waitUntil(
        'poller answer',
        () => Promise.resolve(poller!.output().split('\n').filter(Boolean).length > seen),
        {
          timeoutMs: 40_000,
          intervalMs: 20,
        },
      );
      const answer = poller.output().split('\n').filter(Boolean)[seen] ?? '';
      if (answer === 'TIMEOUT') throw new Error(`change to ${pod} did not reach the kernel in 30 s`);
      latencies.push(Number(answer));
    }
    latencies.sort((a, b) => a - b);
    log(`latencies (ms, sorted): ${latencies.join(' ')}`);
    const at = (q: number): number => latencies[Math.ceil(q * latencies.length) - 1] ?? NaN;
    return {
      fullServices,
      fullSlices,
      metadata,
      rssMb,
      medianMs: at(0.5),
      p90Ms: at(0.9),
      maxMs: latencies.at(-1) ?? NaN,
    };
  } finally {
    await poller?.stop();
    await agent?.stop();
    await bridge?.close();
    await proxy.stop();
    await namespaces.cleanup();
  }
}

/** The agent as of `ref`, in a temporary directory that uses this checkout's node_modules. */
function checkout(ref: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'acme6-bench-old-'));
  const archive = join(dir, 'src.tar');
  execFileSync('git', ['-C', repo, 'archive', '-o', archive, ref, 'src', 'package.json']);
  execFileSync('tar', ['-x', '-C', dir, '-f', archive]);
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

await main();
