// The controller's idle RSS with no Certificates, as `make bench` measures it (a fresh ClusterIssuer
// Ready, then 5 s), for several builds or Node flags in turn on one testbed, so they compare under the
// same load: `node bench/controller/idle-rss.ts ENTRY[::SETTINGS] ...` (IDLE_ROUNDS rounds, default 3),
// SETTINGS being Node flags and NAME=value environment variables for that controller:
//   node bench/controller/idle-rss.ts dist/src/cmd/acme6.js dist/bundle/acme6.js \
//     'dist/bundle/acme6.js::--max-semi-space-size=1' 'dist/bundle/acme6.js::MALLOC_ARENA_MAX=2'
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { kubeconfigTls } from '../../test/testbed/kubeconfig.ts';
import { KubeRest } from '../../test/testbed/kube-rest.ts';
import { Testbed } from '../../test/testbed/testbed.ts';
import { ApiProxy, writeProxyKubeconfig } from './api-proxy.ts';
import { ControllerProcess } from './controller-process.ts';
import { memoryMb } from './process-stats.ts';
import { fixed, table } from './table.ts';

const variants = process.argv.slice(2).map((arg) => {
  const [entry = '', settings = ''] = arg.split('::');
  const words = settings.split(' ').filter(Boolean);
  const isEnv = (w: string): boolean => /^[A-Z_][A-Z0-9_]*=/.test(w);
  const env = Object.fromEntries(
    words.filter(isEnv).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]),
  );
  return { label: arg, entry: resolve(entry), flags: words.filter((w) => !isEnv(w)).join(' '), env };
});
if (variants.length === 0) throw new Error('usage: idle-rss.ts ENTRY[::NODE_FLAGS] ...');
const ROUNDS = Number(process.env.IDLE_ROUNDS ?? 3);
// Keeps each controller running this long after its sample, e.g. to take a heap snapshot of it
// ('ENTRY::--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=/tmp', then kill -USR2 PID).
const HOLD_SECONDS = Number(process.env.IDLE_HOLD_SECONDS ?? 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (message: string): void => void process.stderr.write(`[idle] ${message}\n`);

interface Condition {
  type: string;
  status: string;
}
const ready = (o: { status?: { conditions?: Condition[] } }): boolean =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

const testbed = await Testbed.start({ ingress: false, podRunner: false });
let proxy: ApiProxy | undefined;
try {
  const info = testbed.info;
  const tls = kubeconfigTls(info.kubeconfigFile);
  const admin = new KubeRest(info.apiserverUrl, tls);
  // Through the benchmark's proxy (plain HTTP on loopback), as make bench runs the controller.
  proxy = await ApiProxy.start(info.apiserverUrl, tls);
  const kubeconfig = writeProxyKubeconfig(join(info.dir, 'idle.kubeconfig'), proxy.url);
  await admin.send('POST', '/api/v1/namespaces', { metadata: { name: 'acme6' } });
  const pebble = info.pebble!;
  const caBundle = readFileSync(pebble.listenerCaFile).toString('base64');
  const rss: number[][] = variants.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, v] of variants.entries()) {
      // A new ClusterIssuer (and account) each time: the controller does what a fresh one does.
      const name = `idle-${round}-${i}`;
      await admin.send('POST', '/apis/acme6.io/v1alpha1/clusterissuers', {
        apiVersion: 'acme6.io/v1alpha1',
        kind: 'ClusterIssuer',
        metadata: { name },
        spec: {
          acme: {
            server: pebble.directoryUrl,
            caBundle,
            privateKeySecretRef: { name: `${name}-account` },
            solvers: [{ http01: { ingress: {} } }],
          },
        },
      });
      // ControllerProcess passes these on (the child inherits this process's environment).
      const saved = { ...process.env };
      Object.assign(process.env, v.env, { BENCH_CONTROLLER_NODE_OPTIONS: v.flags });
      const controller = await ControllerProcess.start(v.entry, kubeconfig, info.dir, `${name}.log`);
      process.env = saved;
      const deadline = Date.now() + 120_000;
      while (!ready(await admin.send('GET', `/apis/acme6.io/v1alpha1/clusterissuers/${name}`))) {
        if (Date.now() > deadline || controller.exit()) throw new Error(`${v.label}: ${name} not Ready`);
        await sleep(250);
      }
      await sleep(5000);
      rss[i]!.push(memoryMb(controller.pid).rss);
      log(`${v.label}: ${fixed(rss[i]!.at(-1)!)} MB (pid ${controller.pid})`);
      await sleep(HOLD_SECONDS * 1000);
      await controller.stop();
      await admin.send('DELETE', `/apis/acme6.io/v1alpha1/clusterissuers/${name}`);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  process.stdout.write(
    table(
      'Controller RSS, idle with no Certificates',
      ['variant', 'idle RSS MB (median)', 'each round'],
      variants.map((v, i) => [v.label, fixed(median(rss[i]!)), rss[i]!.map((mb) => fixed(mb)).join(' ')]),
    ) + '\n',
  );
} finally {
  await proxy?.stop();
  await testbed.stop();
}
