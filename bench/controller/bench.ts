// `make bench`: acme6's controller against the bare lego client on one testbed, in one run.
//   P1 batch issuance: N Certificates (name + *.name, dns-01 RFC 2136 to the testbed BIND), created
//      at once; time until all are Ready, orders and requests pebble saw, controller CPU and RSS;
//      lego with its defaults and tuned (1 s propagation polling), all N at once, one account; Traefik's
//      ACME certResolver (bench/controller/traefik-peer.ts), defaults and tuned, N routers at once.
//   P1 over http-01 (bench/controller/p1-http01.ts): N Certificates of one name each, acme6's solver
//      pods behind the testbed's Traefik ingress; lego and Traefik serving their own challenges.
//   P3 steady state: apiserver writes and CPU per minute of the controller with N Ready Certificates.
// Also the controller's idle RSS with no Certificates. Run as the image runs it: the bundle (make build).
//   P2 memory at scale: BENCH_P2_CERTS Certificates already Ready (Secrets written by the benchmark),
//      unrelated Secrets and Ingresses; a fresh controller's RSS after sync and after BENCH_P2_SETTLE s,
//      with P3's measures (writes and CPU per minute) over that settle period.
// Environment: BENCH_N (100), BENCH_STEADY_SECONDS (60), BENCH_LEGO_PARALLEL (N), BENCH_LEGO=0 skips lego,
// BENCH_TRAEFIK=0 skips Traefik, BENCH_HTTP01=0 skips P1 over http-01,
// BENCH_CONTROLLER_ENTRY (dist/bundle/acme6.js, what the image runs) measures another build, e.g. an older
// commit's or the unbundled dist/src/cmd/acme6.js;
// BENCH_CONTROLLER_ARGS adds flags to the controller (e.g. --leader-elect=false when profiling),
// BENCH_CONTROLLER_NODE_OPTIONS flags to its node (e.g. --max-semi-space-size=2);
// BENCH_P2_CERTS (10000, 0 skips P2), BENCH_P2_SECRETS (20000), BENCH_P2_SECRET_KB (50),
// BENCH_P2_INGRESSES (2000), BENCH_P2_SETTLE (600 s: the 10 minutes), BENCH_P2_BASELINE_ENTRY: a second build measured
// on the same P2 objects.
//   P4 renewal wave (after lego, on P1's controller): BENCH_P4_CERTS (1000) Ready Certificates due at
//      the same second, BENCH_P4_LEAD seconds after their seeding starts (20 + 0.05 per Certificate);
//      BENCH_P4=0 skips it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { testbedBinaries } from '../../test/testbed/binaries.ts';
import { kubeconfigTls } from '../../test/testbed/kubeconfig.ts';
import { KubeRest } from '../../test/testbed/kube-rest.ts';
import { Testbed } from '../../test/testbed/testbed.ts';
import { ApiProxy, writeProxyKubeconfig } from './api-proxy.ts';
import { ControllerProcess, controllerMemoryLimitNote } from './controller-process.ts';
import { http01ControllerArgs, runP1Http01 } from './p1-http01.ts';
import { clearP2Status, P2_NAMESPACE, seedP2, type P2Size } from './p2-scale.ts';
import { issuanceLimit } from './issuance-limit.ts';
import { p1Table, type P1Row } from './p1-table.ts';
import { runP4 } from './p4-renewal-wave.ts';
import { countCaRequests, ENDPOINTS, since } from './pebble-log.ts';
import { cpuSeconds, memoryMb } from './process-stats.ts';
import { runSampled } from './sampled-process.ts';
import { fixed, table } from './table.ts';
import { traefikDns01Rows } from './traefik-peer.ts';

const repo = resolve(import.meta.dirname, '../..');
const N = Number(process.env.BENCH_N ?? 100);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 60);
const LEGO_PARALLEL = Number(process.env.BENCH_LEGO_PARALLEL ?? N);
const WITH_LEGO = process.env.BENCH_LEGO !== '0';
const WITH_TRAEFIK = process.env.BENCH_TRAEFIK !== '0';
const WITH_HTTP01 = process.env.BENCH_HTTP01 !== '0';
const P2: P2Size = {
  certificates: Number(process.env.BENCH_P2_CERTS ?? 10_000),
  secrets: Number(process.env.BENCH_P2_SECRETS ?? 20_000),
  // 20,000 x 100 KB: the testbed's etcd gets a larger quota for it (ETCD_QUOTA_BYTES).
  secretKb: Number(process.env.BENCH_P2_SECRET_KB ?? 100),
  ingresses: Number(process.env.BENCH_P2_INGRESSES ?? 2000),
};
// P2's unrelated Secrets, each written once, plus room for everything else: etcd's default 2 GiB
// would be exceeded at the 20,000 x 100 KB (etcd's suggested maximum is 8 GiB).
const ETCD_QUOTA_BYTES = Math.max(
  2 * 1024 ** 3,
  Math.ceil(P2.secrets * P2.secretKb * 1024 * 1.5) + 2 * 1024 ** 3,
);
const P2_SECONDS = Number(process.env.BENCH_P2_SETTLE ?? 600);
const P2_BASELINE = process.env.BENCH_P2_BASELINE_ENTRY;
const P4_CERTS = process.env.BENCH_P4 === '0' ? 0 : Number(process.env.BENCH_P4_CERTS ?? 1000);
const P4_LEAD = Number(process.env.BENCH_P4_LEAD ?? 20 + 0.05 * P4_CERTS);
const ZONE = 'example.test';
const CERTS = '/apis/acme6.io/v1alpha1/namespaces/bench/certificates';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);

async function waitFor(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

interface Condition {
  type: string;
  status: string;
}
interface Listed {
  items: { status?: { conditions?: Condition[] } }[];
}
const ready = (o: { status?: { conditions?: Condition[] } }): boolean =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

function certificate(i: number): object {
  const name = `acme6-${i}`;
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: { name, namespace: 'bench' },
    spec: {
      secretName: `${name}-tls`,
      dnsNames: [`${name}.${ZONE}`, `*.${name}.${ZONE}`],
      issuerRef: { kind: 'ClusterIssuer', name: 'testbed-pebble' },
      privateKey: { algorithm: 'ECDSA', size: 256 },
    },
  };
}

interface P2Result {
  syncSeconds: number;
  evaluatedSeconds: number;
  readyTrue: number;
  rssSynced: number;
  rssAfter: number;
  peak: number;
  cpuPerMinute: number;
  writesPerMinute: number;
  restarts: string[];
}

/**
 * Keeps one controller running as a Deployment would: a controller that exits (it gives up after
 * losing its Lease, say) is started again and the exit is counted. Samples the peak RSS across all.
 */
class Supervised {
  current: ControllerProcess;
  readonly restarts: string[] = [];
  peak = 0;
  private readonly sampler: NodeJS.Timeout;

  private readonly start: () => Promise<ControllerProcess>;

  constructor(first: ControllerProcess, start: () => Promise<ControllerProcess>) {
    this.start = start;
    this.current = first;
    this.sampler = setInterval(() => {
      try {
        this.peak = Math.max(this.peak, memoryMb(this.current.pid).peak);
      } catch {
        // exited between two samples: live() starts the next one
      }
    }, 1000);
  }

  /** The running controller, started again if it has exited. */
  async live(): Promise<ControllerProcess> {
    const exit = this.current.exit();
    if (exit !== undefined) {
      this.restarts.push(`${fixed((performance.now() - this.current.startedAt) / 1000)} s: ${exit}`);
      this.current = await this.start();
    }
    return this.current;
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    await this.current.stop();
  }
}

/** One controller's P2: until synced, until every P2 Certificate has a Ready condition, then idle. */
async function measureP2(controllers: Supervised, admin: KubeRest, proxy: ApiProxy): Promise<P2Result> {
  const path = `/apis/acme6.io/v1alpha1/namespaces/${P2_NAMESPACE}/certificates`;
  const startedAt = controllers.current.startedAt;
  await waitFor('the P2 controller caches to sync', 15 * 60_000, async () =>
    (await controllers.live()).ready(),
  );
  const syncSeconds = (performance.now() - startedAt) / 1000;
  const rssSynced = memoryMb(controllers.current.pid).rss;
  let readyTrue = 0;
  await waitFor(`${P2.certificates} evaluated Certificates`, 20 * 60_000, async () => {
    await sleep(2000);
    await controllers.live();
    const list = await admin.send<Listed>('GET', path);
    readyTrue = list.items.filter(ready).length;
    return (
      list.items.filter((c) => c.status?.conditions?.some((x) => x.type === 'Ready')).length >=
      P2.certificates
    );
  });
  const evaluatedSeconds = (performance.now() - startedAt) / 1000;
  log(
    `P2: caches synced after ${fixed(syncSeconds)} s, every Certificate evaluated after ${fixed(evaluatedSeconds)} s; settling for ${P2_SECONDS} s`,
  );
  const settling = await controllers.live();
  const cpu0 = cpuSeconds(settling.pid);
  const writes0 = totalWrites(proxy);
  await sleep(P2_SECONDS * 1000);
  const settled = await controllers.live();
  // A controller that exited while settling (its log is printed above) has no CPU figure to give.
  const cpuPerMinute =
    settled === settling ? ((cpuSeconds(settled.pid) - cpu0) * 60) / P2_SECONDS : Number.NaN;
  const writesPerMinute = ((totalWrites(proxy) - writes0) * 60) / P2_SECONDS;
  // A controller started again while settling has no settled RSS either, only a fresh one.
  const mem = settled === settling ? memoryMb(settled.pid) : { rss: Number.NaN, peak: 0 };
  return {
    syncSeconds,
    evaluatedSeconds,
    readyTrue,
    rssSynced,
    rssAfter: mem.rss,
    peak: Math.max(controllers.peak, mem.peak),
    cpuPerMinute,
    writesPerMinute,
    restarts: controllers.restarts,
  };
}

const totalWrites = (proxy: ApiProxy): number => [...proxy.snapshot().values()].reduce((a, b) => a + b, 0);

async function main(): Promise<void> {
  const entry = resolve(process.env.BENCH_CONTROLLER_ENTRY ?? join(repo, 'dist/bundle/acme6.js'));
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run make build first`);
  const lego = WITH_LEGO
    ? /^LEGO_BATCH=(.*)$/m.exec(
        execFileSync('bash', [join(repo, 'hack/bench/build-lego.sh')], { encoding: 'utf8' }),
      )?.[1]
    : undefined;
  log(`N=${N}, steady state ${STEADY_SECONDS} s; starting the testbed`);
  // http-01 needs the ingress (Traefik, which pebble's VA dials) and the pod runner (solver pods).
  const testbed = await Testbed.start({
    ...(WITH_HTTP01 ? { gateway: false } : { ingress: false, podRunner: false }),
    etcdQuotaBackendBytes: ETCD_QUOTA_BYTES,
  });
  let controller: ControllerProcess | undefined;
  let proxy: ApiProxy | undefined;
  try {
    log('testbed up; creating the ClusterIssuer and starting the controller');
    const info = testbed.info;
    const dns = info.dns!;
    const pebble = info.pebble!;
    const pebbleLog = join(info.dir, 'pebble.log');
    const tls = kubeconfigTls(info.kubeconfigFile);
    const admin = new KubeRest(info.apiserverUrl, tls);
    proxy = await ApiProxy.start(info.apiserverUrl, tls);
    const proxyKubeconfig = writeProxyKubeconfig(join(info.dir, 'bench-controller.kubeconfig'), proxy.url);
    for (const ns of ['acme6', 'bench']) {
      await admin.send('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    }
    await admin.send('POST', '/api/v1/namespaces/acme6/secrets', {
      metadata: { name: 'testbed-tsig' },
      stringData: { secret: dns.tsig.secret },
    });
    await admin.send('POST', '/apis/acme6.io/v1alpha1/clusterissuers', {
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'ClusterIssuer',
      metadata: { name: 'testbed-pebble' },
      spec: {
        acme: {
          server: pebble.directoryUrl,
          caBundle: readFileSync(pebble.listenerCaFile).toString('base64'),
          privateKeySecretRef: { name: 'testbed-pebble-account' },
          solvers: [
            {
              dns01: {
                rfc2136: {
                  nameserver: dns.primary,
                  tsigKeyName: dns.tsig.keyName,
                  tsigAlgorithm: 'HMACSHA256',
                  tsigSecretSecretRef: { name: 'testbed-tsig', key: 'secret' },
                },
                propagation: { nameservers: [dns.primary, dns.secondary], interval: '1s' },
              },
            },
          ],
        },
      },
    });

    // acme6: idle, then P1.
    const started = Date.now();
    controller = await ControllerProcess.start(
      entry,
      proxyKubeconfig,
      info.dir,
      'controller.log',
      WITH_HTTP01 ? http01ControllerArgs(info) : [],
    );
    const pid = controller.pid;
    await waitFor('the ClusterIssuer to be Ready', 120_000, async () =>
      ready(await admin.send('GET', '/apis/acme6.io/v1alpha1/clusterissuers/testbed-pebble')),
    );
    await sleep(5000);
    const idle = memoryMb(pid);
    log(
      `controller idle with no Certificates: RSS ${fixed(idle.rss)} MB (${(Date.now() - started) / 1000} s after start)`,
    );

    const caBefore = countCaRequests(pebbleLog);
    const cpuBefore = cpuSeconds(pid);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: N }, (_, i) => admin.send('POST', CERTS, certificate(i))));
    await waitFor(`${N} Ready Certificates`, 20 * 60_000, async () => {
      const list = await admin.send<Listed>('GET', CERTS);
      return list.items.filter(ready).length === N;
    });
    const acme6: P1Row = {
      name: 'acme6 (defaults)',
      seconds: (performance.now() - t0) / 1000,
      ca: since(countCaRequests(pebbleLog), caBefore),
      cpu: cpuSeconds(pid) - cpuBefore,
      peakMb: memoryMb(pid).peak,
      note: 'until every Certificate is Ready',
    };
    log(`acme6: ${N} Ready in ${fixed(acme6.seconds)} s`);

    // P3 steady state, with N Ready Certificates: let the issuance's tail (key clean-up) pass first.
    await sleep(15_000);
    const writesBefore = proxy.snapshot();
    const steadyCpuBefore = cpuSeconds(pid);
    await sleep(STEADY_SECONDS * 1000);
    const perMinute = 60 / STEADY_SECONDS;
    const writes = proxy.snapshot();
    const writeRows = [...writes]
      .map(([resource, n]) => [resource, (n - (writesBefore.get(resource) ?? 0)) * perMinute] as const)
      .filter(([, n]) => n > 0);
    const steadyCpu = (cpuSeconds(pid) - steadyCpuBefore) * perMinute;
    const settled = memoryMb(pid);

    const peers: P1Row[] = [acme6];
    if (lego) {
      for (const [name, waits, note] of [
        [
          'lego (defaults)',
          ['-interval=2s', '-sequence-interval=60s'],
          'lego defaults: propagation polled every 2 s, challenges one at a time 60 s apart',
        ],
        [
          'lego (tuned)',
          ['-interval=1s', '-sequence-interval=1s'],
          'tuned: propagation polled every 1 s, challenges 1 s apart',
        ],
      ] as const) {
        const before = countCaRequests(pebbleLog);
        const l0 = performance.now();
        // A peer that fails (lego's 30 s HTTP timeout on a loaded machine, say) is a row that says
        // so, not a lost run.
        const result = await runLego(lego, name.includes('tuned') ? 'legot' : 'legod', waits, {
          directory: pebble.directoryUrl,
          nameserver: dns.primary,
          tsigKey: dns.tsig.keyName,
          tsigSecret: dns.tsig.secret,
          caFile: pebble.listenerCaFile,
        }).catch((error: unknown) => {
          const first = String(error instanceof Error ? error.message : error).split('\n')[0]!;
          log(`${name} failed: ${first}`);
          return { cpu: Number.NaN, peakMb: Number.NaN, failed: first.slice(0, 160) };
        });
        peers.push({
          name,
          seconds: (performance.now() - l0) / 1000,
          ca: since(countCaRequests(pebbleLog), before),
          cpu: result.cpu,
          peakMb: result.peakMb,
          note:
            'failed' in result
              ? `FAILED: ${result.failed}`
              : `${note}; ${LEGO_PARALLEL} at once, one account`,
        });
        log(`${name}: done in ${fixed(peers.at(-1)!.seconds)} s`);
      }
    }

    if (WITH_TRAEFIK) {
      peers.push(
        ...(await traefikDns01Rows({
          binary: testbedBinaries().traefik,
          dir: info.dir,
          n: N,
          zone: ZONE,
          directoryUrl: pebble.directoryUrl,
          caFile: pebble.listenerCaFile,
          pebbleLog,
          nameserver: dns.primary,
          tsigKey: dns.tsig.keyName,
          tsigSecret: dns.tsig.secret,
          log,
        })),
      );
    }
    const http01Table = WITH_HTTP01
      ? await runP1Http01({
          admin,
          info,
          controllerPid: pid,
          n: N,
          zone: ZONE,
          pebbleLog,
          ...(lego && { lego }),
          ...(WITH_TRAEFIK && { traefik: testbedBinaries().traefik }),
          log,
        })
      : undefined;

    // P4 the renewal wave, on the same controller, idle again after lego.
    let p4Table: string | undefined;
    if (P4_CERTS > 0) {
      log(`P4: ${P4_CERTS} Certificates due ${fixed(P4_LEAD)} s after their seeding starts`);
      p4Table = await runP4(admin, {
        certificates: P4_CERTS,
        leadSeconds: P4_LEAD,
        zone: ZONE,
        issuer: 'testbed-pebble',
        pebbleLog,
        limit: issuanceLimit(entry, process.env.BENCH_CONTROLLER_ARGS?.split(' ').filter(Boolean) ?? []),
      });
    }

    // P2 memory at scale: a fresh controller (this build, then the baseline build if given) on many
    // objects, all written before it starts.
    await controller.stop();
    controller = undefined;
    let p2Rows: (string | number)[][] = [];
    let p2Seed = 0;
    if (P2.certificates > 0) {
      log(
        `P2: creating ${P2.certificates} Certificates with Secrets, ${P2.secrets} Secrets of ${P2.secretKb} KB, ${P2.ingresses} Ingresses`,
      );
      p2Seed = await seedP2(admin, P2, ZONE);
      log(`P2: objects created in ${fixed(p2Seed)} s`);
      const builds = [['this build', entry], ...(P2_BASELINE ? [['baseline', P2_BASELINE]] : [])] as const;
      const results: P2Result[] = [];
      for (const [build, buildEntry] of builds) {
        if (results.length > 0) {
          // The previous build wrote every Ready condition: clear them so this build is timed too.
          log(
            `P2: statuses cleared for the ${build} build in ${fixed(await clearP2Status(admin, P2.certificates))} s`,
          );
        }
        const start = (): Promise<ControllerProcess> =>
          ControllerProcess.start(buildEntry, proxyKubeconfig, info.dir, `controller-p2-${build}.log`);
        const controllers = new Supervised(await start(), start);
        try {
          results.push(await measureP2(controllers, admin, proxy));
        } finally {
          await controllers.stop();
        }
        log(`P2 (${build}): ${JSON.stringify(results.at(-1))}`);
      }
      p2Rows = [
        ['seconds until caches synced (/readyz)', ...results.map((r) => fixed(r.syncSeconds))],
        [
          `seconds until all ${P2.certificates} Certificates evaluated (Ready condition written)`,
          ...results.map((r) => fixed(r.evaluatedSeconds)),
        ],
        ['  of them Ready=True', ...results.map((r) => r.readyTrue)],
        [
          'controller exits (restarted, as a Deployment would)',
          ...results.map((r) => (r.restarts.length ? `${r.restarts.length}: ${r.restarts.join('; ')}` : 0)),
        ],
        ['RSS MB after initial sync', ...results.map((r) => fixed(r.rssSynced))],
        [`RSS MB after ${P2_SECONDS} s`, ...results.map((r) => fixed(r.rssAfter))],
        ['peak RSS MB', ...results.map((r) => fixed(r.peak))],
        [
          `CPU s / min over the last ${P2_SECONDS} s`,
          ...results.map((r) =>
            Number.isNaN(r.cpuPerMinute) ? 'n/a (it exited)' : fixed(r.cpuPerMinute, 2),
          ),
        ],
        [
          `apiserver writes / min over the last ${P2_SECONDS} s`,
          ...results.map((r) => fixed(r.writesPerMinute)),
        ],
      ];
      p2Rows.unshift(['builds', ...builds.map(([b]) => b)]);
    }

    console.log(`## acme6 benchmark: N = ${N}\n`);
    console.log(`The controller: ${entry}, ${controllerMemoryLimitNote()}.\n`);
    console.log(
      p1Table(
        `P1 batch issuance: ${N} certificates (name + *.name), dns-01 RFC 2136, created at once`,
        N,
        peers,
      ),
    );
    // Where each client's requests went: the figure above, per endpoint.
    const endpoints = [...ENDPOINTS.map(([name]) => name), 'other'].filter((e) =>
      peers.some((p) => p.ca.byEndpoint[e]),
    );
    console.log(
      table(
        'P1 CA requests / cert by endpoint (first fetches and polls together: pebble logs no ids)',
        ['endpoint', ...peers.map((p) => p.name)],
        endpoints.map((e) => [e, ...peers.map((p) => fixed((p.ca.byEndpoint[e] ?? 0) / N))]),
      ),
    );
    console.log(
      table(
        `P3 steady state: controller with ${N} Ready Certificates, measured over ${STEADY_SECONDS} s`,
        ['measure', 'value'],
        [
          ['apiserver writes / min (all)', fixed(writeRows.reduce((sum, [, n]) => sum + n, 0))],
          ...writeRows.map(([resource, n]) => [`  writes / min to ${resource}`, fixed(n)]),
          ['CPU s / min', fixed(steadyCpu, 2)],
          ['RSS MB, idle with no Certificates', fixed(idle.rss)],
          ['RSS MB, settled', fixed(settled.rss)],
        ],
      ),
    );
    if (http01Table) console.log(http01Table);
    if (p4Table) console.log(p4Table);
    if (p2Rows.length > 0) {
      const [header, ...rows] = p2Rows;
      console.log(
        table(
          `P2 memory at scale: ${P2.certificates} Ready Certificates with their Secrets, ${P2.secrets} unrelated ${P2.secretKb} KB Secrets, ${P2.ingresses} Ingresses (created in ${fixed(p2Seed)} s)`,
          ['measure', ...header!.slice(1).map(String)],
          rows,
        ),
      );
    }
  } finally {
    await controller?.stop();
    await proxy?.stop();
    await testbed.stop();
  }
}

interface LegoTarget {
  directory: string;
  nameserver: string;
  tsigKey: string;
  tsigSecret: string;
  caFile: string;
}

/** Runs lego-batch to the end, sampling its CPU and RSS; rejects when it fails. */
async function runLego(
  binary: string,
  prefix: string,
  waits: readonly string[],
  t: LegoTarget,
): Promise<{ cpu: number; peakMb: number }> {
  const args = [
    `-directory=${t.directory}`,
    `-n=${N}`,
    `-parallel=${LEGO_PARALLEL}`,
    `-prefix=${prefix}`,
    `-zone=${ZONE}`,
    `-nameserver=${t.nameserver}`,
    `-tsig-key=${t.tsigKey}`,
    `-tsig-secret=${t.tsigSecret}`,
    ...waits,
  ];
  return runSampled(binary, args, { LEGO_CA_CERTIFICATES: t.caFile });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
