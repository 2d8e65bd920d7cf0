// P1 over http-01 (BENCH_HTTP01=0 skips it): N Certificates of one name each (http-01 cannot
// validate wildcards), created at once, on P1's controller. acme6's solver pods run from the image
// (the testbed's pod runner) behind the testbed's Traefik ingress, which the testbed's pebble dials.
// The peers serve their challenges themselves on a loopback port, so they get a second pebble (same
// binary and settings, its own log) whose VA dials that port: lego's own http-01 server, then
// Traefik's httpChallenge entryPoint, one after the other on the same port.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testbedBinaries } from '../../test/testbed/binaries.ts';
import { setHostAddresses } from '../../test/testbed/dns-update.ts';
import type { KubeRest } from '../../test/testbed/kube-rest.ts';
import { startPebble } from '../../test/testbed/pebble.ts';
import { createCertificateAuthority } from '../../test/testbed/pki.ts';
import { freePort } from '../../test/testbed/ports.ts';
import type { TestbedInfo } from '../../test/testbed/testbed.ts';
import { p1Table, type P1Row } from './p1-table.ts';
import { countCaRequests, since } from './pebble-log.ts';
import { cpuSeconds, memoryMb, resetPeakMemory } from './process-stats.ts';
import { runSampled } from './sampled-process.ts';
import { fixed } from './table.ts';
import { retriedNote, runTraefik, type TraefikResult } from './traefik-peer.ts';

/** The solver image: the pod runner runs any `.../acme6` image as this repository's acme6. */
const SOLVER_IMAGE = 'ghcr.io/acme6/acme6:test';
const NAMESPACE = 'bench-http01';
/** Every name under it points at 127.0.0.1 (one wildcard A record), where pebble's VAs dial. */
const subdomain = (zone: string): string => `h01.${zone}`;

/** The controller's http-01 flags for the testbed (as the integration tests and soak pass them). */
export function http01ControllerArgs(info: TestbedInfo): string[] {
  return [
    `--acme-http01-solver-image=${SOLVER_IMAGE}`,
    `--acme-http01-solver-nameservers=${info.dns!.primary}`,
    `--acme-http01-self-check-port=${info.ingress!.httpPort}`,
  ];
}

export interface P1Http01Options {
  admin: KubeRest;
  info: TestbedInfo;
  /** P1's controller, started with http01ControllerArgs. */
  controllerPid: number;
  n: number;
  zone: string;
  pebbleLog: string;
  /** lego-batch, unless BENCH_LEGO=0. */
  lego?: string;
  /** Traefik's binary, unless BENCH_TRAEFIK=0. */
  traefik?: string;
  log: (message: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const ready = (o: { status?: { conditions?: { type: string; status: string }[] } }): boolean =>
  o.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const failedRow = (name: string, error: unknown): P1Row => ({
  name,
  seconds: Number.NaN,
  ca: { requests: Number.NaN, orders: Number.NaN, nonces: Number.NaN, byEndpoint: {} },
  cpu: Number.NaN,
  peakMb: Number.NaN,
  note: `FAILED: ${String(error instanceof Error ? error.message : error)
    .split('\n')[0]!
    .slice(0, 160)}`,
});

/** Runs the scenario and returns its table. */
export async function runP1Http01(o: P1Http01Options): Promise<string> {
  const { admin, info, n } = o;
  const dns = info.dns!;
  const pebble = info.pebble!;
  const sub = subdomain(o.zone);
  const started = performance.now();
  await setHostAddresses(dns, `*.${sub}`, { a: ['127.0.0.1'], ttl: 60 });
  await admin.send('POST', '/api/v1/namespaces', { metadata: { name: NAMESPACE } });
  const rows: P1Row[] = [];

  // acme6, with the self-check's defaults (2 passes 5 s apart) and with the integration tests' (1 pass).
  for (const [name, issuer, selfCheck, note] of [
    ['acme6 (defaults)', 'bench-http01', {}, 'self-check defaults: 2 passes 5 s apart'],
    ['acme6 (tuned)', 'bench-http01-tuned', { interval: '1s', passes: 1 }, 'tuned: self-check 1 pass'],
  ] as const) {
    await admin.send('POST', '/apis/acme6.io/v1alpha1/clusterissuers', {
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'ClusterIssuer',
      metadata: { name: issuer },
      spec: {
        acme: {
          server: pebble.directoryUrl,
          caBundle: readFileSync(pebble.listenerCaFile).toString('base64'),
          privateKeySecretRef: { name: `${issuer}-account` },
          solvers: [{ http01: { ingress: { ingressClassName: info.ingress!.className }, selfCheck } }],
        },
      },
    });
    const issuerPath = `/apis/acme6.io/v1alpha1/clusterissuers/${issuer}`;
    await waitFor(`ClusterIssuer ${issuer} Ready`, 120_000, async () =>
      ready(await admin.send('GET', issuerPath)),
    );
    const prefix = issuer.endsWith('tuned') ? 'acme6t' : 'acme6d';
    const path = `/apis/acme6.io/v1alpha1/namespaces/${NAMESPACE}/certificates`;
    resetPeakMemory(o.controllerPid);
    const before = countCaRequests(o.pebbleLog);
    const cpu0 = cpuSeconds(o.controllerPid);
    const t0 = performance.now();
    try {
      await Promise.all(
        Array.from({ length: n }, (_, i) =>
          admin.send('POST', path, {
            apiVersion: 'acme6.io/v1alpha1',
            kind: 'Certificate',
            metadata: { name: `${prefix}-${i}`, namespace: NAMESPACE },
            spec: {
              secretName: `${prefix}-${i}-tls`,
              dnsNames: [`${prefix}-${i}.${sub}`],
              issuerRef: { kind: 'ClusterIssuer', name: issuer },
              privateKey: { algorithm: 'ECDSA', size: 256 },
            },
          }),
        ),
      );
      await waitFor(`${n} Ready http-01 Certificates`, 20 * 60_000, async () => {
        const list = await admin.send<{
          items: {
            metadata: { name: string };
            status?: { conditions?: { type: string; status: string }[] };
          }[];
        }>('GET', path);
        return list.items.filter((c) => c.metadata.name.startsWith(`${prefix}-`) && ready(c)).length === n;
      });
      rows.push({
        name,
        seconds: (performance.now() - t0) / 1000,
        ca: since(countCaRequests(o.pebbleLog), before),
        cpu: cpuSeconds(o.controllerPid) - cpu0,
        peakMb: memoryMb(o.controllerPid).peak,
        note: `${note}; until every Certificate is Ready; controller only (its solver pods not counted)`,
      });
    } catch (error) {
      rows.push(failedRow(name, error));
    }
    o.log(`http-01 ${name}: ${fixed(rows.at(-1)!.seconds)} s`);
    // P4 runs on this controller next: leave it with P1's Certificates only.
    await admin.send('DELETE', path);
  }

  if (o.lego || o.traefik) {
    const dir = join(info.dir, 'http01-peer-pebble');
    mkdirSync(dir);
    const port = await freePort();
    const ca = await createCertificateAuthority('acme6 bench http-01 peer CA');
    const peerPebble = await startPebble(testbedBinaries(), dir, ca, {
      httpPort: port,
      dnsServer: dns.primary,
    });
    const peerLog = join(dir, 'pebble.log');
    try {
      type PeerRun = { cpu: number; peakMb: number } & Partial<Pick<TraefikResult, 'seconds' | 'failed'>>;
      const peers: [string, string, () => Promise<PeerRun>][] = [];
      if (o.lego) {
        const lego = o.lego;
        const webroot = join(info.dir, 'lego-webroot');
        mkdirSync(webroot);
        peers.push([
          'lego',
          `lego's webroot provider behind a static file server on the port pebble dials (lego's own http-01 server listens per challenge: one order at a time); ${n} at once, one account`,
          () =>
            runSampled(
              lego,
              [
                `-directory=${peerPebble.directoryUrl}`,
                '-challenge=http-01',
                `-http-port=${port}`,
                `-webroot=${webroot}`,
                `-n=${n}`,
                `-parallel=${n}`,
                '-prefix=legoh',
                `-zone=${sub}`,
              ],
              { LEGO_CA_CERTIFICATES: peerPebble.listenerCaFile },
            ),
        ]);
      }
      if (o.traefik) {
        const traefik = o.traefik;
        const traefikDir = join(info.dir, 'traefik-http01');
        mkdirSync(traefikDir);
        peers.push([
          'Traefik',
          `httpChallenge on an entryPoint on the port pebble dials; ${n} routers, one account`,
          () =>
            runTraefik({
              binary: traefik,
              dir: traefikDir,
              directoryUrl: peerPebble.directoryUrl,
              caFile: peerPebble.listenerCaFile,
              names: Array.from({ length: n }, (_, i) => `traefikh-${i}.${sub}`),
              wildcard: false,
              challenge: { kind: 'http-01', port },
              timeoutMs: 20 * 60_000,
            }),
        ]);
      }
      for (const [name, note, run] of peers) {
        const before = countCaRequests(peerLog);
        const t0 = performance.now();
        try {
          const result = await run();
          rows.push({
            name,
            seconds: result.seconds ?? (performance.now() - t0) / 1000,
            ca: since(countCaRequests(peerLog), before),
            cpu: result.cpu,
            peakMb: result.peakMb,
            note: `${note}; on the peers' pebble${result.failed ? retriedNote(result.failed) : ''}`,
          });
        } catch (error) {
          rows.push(failedRow(name, error));
        }
        o.log(`http-01 ${name}: ${fixed(rows.at(-1)!.seconds)} s`);
      }
    } finally {
      await peerPebble.process.stop();
    }
  }

  o.log(`P1 over http-01 took ${fixed((performance.now() - started) / 1000)} s in all`);
  return p1Table(
    `P1 over http-01: ${n} certificates of one name each (http-01 cannot validate wildcards), created at once`,
    n,
    rows,
  );
}

async function waitFor(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(500);
  }
}
