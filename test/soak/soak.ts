// `make soak`: N Certificates on the testbed under every fault at once, then the end state.
//   Two `acme6 controller` replicas with leader election; N Certificates created at once over RFC 2136
//   (BIND), IIJ DPF and IIJ DO-API (the emulators) and http-01 (Traefik + solver pods), apex + wildcard
//   included. For the fault period, all at once: pebble rejects nonces (PEBBLE_WFE_NONCEREJECT; pebble
//   reads it at start, so it holds for the whole run) and a proxy in front of it answers a share of
//   requests with 500/503 problem documents; the IIJ emulators fail a share of requests with 5xx; the
//   leading controller is SIGKILLed every few seconds (and restarted, as a Deployment would); the
//   kube-apiserver restarts once in the middle; one TLS Secret is deleted and one tampered with.
//   Then the faults stop, the soak waits (bounded) for the end state and prints one table of goals
//   and measures; it exits 1 when a goal is missed.
// Environment (defaults): SOAK_CERTS (100), SOAK_FAULT_SECONDS (300), SOAK_SETTLE_SECONDS (600),
// SOAK_NONCE_REJECT_PERCENT (50), SOAK_CA_ERROR_PERCENT (10), SOAK_DNS_API_ERROR_PERCENT (20),
// SOAK_KILL_EVERY_SECONDS (15), SOAK_LOG_LEVEL (debug), SOAK_CONTROLLER_ENTRY (dist/src/cmd/acme6.js);
// SOAK_LOG_DIR copies every log of the run there before the testbed directory is removed.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { IijDoEmulator } from '../emulators/iij-do/server.ts';
import { IijDpfEmulator } from '../emulators/iij-dpf/server.ts';
import { setHostAddresses } from '../testbed/dns-update.ts';
import { onProcessExit } from '../testbed/exit-hooks.ts';
import { kubeconfigTls } from '../testbed/kubeconfig.ts';
import { KubeRest } from '../testbed/kube-rest.ts';
import { Testbed } from '../testbed/testbed.ts';
import { CaFaultProxy } from './ca-fault-proxy.ts';
import {
  accountKeyFingerprints,
  accountKeys,
  isReady,
  leftoverSolverObjects,
  leftoverTxt,
  listCertificates,
  namesKey,
  ordersByNames,
  readyAndServing,
  secretServes,
} from './end-state.ts';
import {
  certificateObject,
  CLUSTER_NAMESPACE,
  clusterIssuer,
  CREDENTIALS,
  NAMESPACE,
  soakCertificates,
  ZONES,
  type SoakCertificate,
  type SolverKind,
} from './fixtures.ts';
import { logFilesUnder, scanLogFiles } from './log-scan.ts';
import { ControllerReplicas } from './replicas.ts';
import { missedGoals, soakRows, soakTable, type SoakMeasures } from './report.ts';

const repo = resolve(import.meta.dirname, '../..');
const setting = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0`);
  return value;
};
const CERTS = setting('SOAK_CERTS', 100);
const FAULT_SECONDS = setting('SOAK_FAULT_SECONDS', 300);
const SETTLE_SECONDS = setting('SOAK_SETTLE_SECONDS', 600);
const NONCE_REJECT = setting('SOAK_NONCE_REJECT_PERCENT', 50);
const CA_ERRORS = setting('SOAK_CA_ERROR_PERCENT', 10);
const DNS_API_ERRORS = setting('SOAK_DNS_API_ERROR_PERCENT', 20);
const KILL_EVERY_SECONDS = setting('SOAK_KILL_EVERY_SECONDS', 15);
const LOG_LEVEL = process.env.SOAK_LOG_LEVEL ?? 'debug';
const KEEP_LOGS = process.env.SOAK_LOG_DIR;
const ENTRY = resolve(process.env.SOAK_CONTROLLER_ENTRY ?? join(repo, 'dist/src/cmd/acme6.js'));
const KINDS: SolverKind[] = ['rfc2136', 'dpf', 'do', 'http01'];
const DPF_SERVICE = 'dpm00000042';
const DO_SERVICE = 'do0000042';

const started = Date.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (message: string): void =>
  void process.stderr.write(`[soak +${((Date.now() - started) / 1000).toFixed(0)}s] ${message}\n`);

/** Polls `check` until true or `seconds` pass; errors (an apiserver restarting) count as not yet. */
async function waitFor(what: string, seconds: number, check: () => Promise<boolean>): Promise<boolean> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > deadline) {
      log(`gave up waiting for ${what} after ${seconds} s`);
      return false;
    }
    await sleep(5000);
  }
}

/** Retries an apiserver call through a restart. */
async function retried<T>(fn: () => Promise<T>, attempts = 30): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await sleep(1000);
    }
  }
}

async function main(): Promise<number> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run make build first`);
  log(`${CERTS} Certificates, ${FAULT_SECONDS} s of faults, settling within ${SETTLE_SECONDS} s`);
  const testbed = await Testbed.start({ pebble: { nonceRejectPercent: NONCE_REJECT } });
  const info = testbed.info;
  const dns = info.dns!;
  const pebble = info.pebble!;
  const secrets = {
    'TSIG secret': dns.tsig.secret,
    'IIJ DPF token': `dpf-${randomBytes(18).toString('hex')}`,
    'IIJ DO-API secret key': `dosk-${randomBytes(18).toString('hex')}`,
  };
  const doAccessKey = `AKSOAK${randomBytes(6).toString('hex')}`;
  let dpf: IijDpfEmulator | undefined;
  let iijDo: IijDoEmulator | undefined;
  let proxy: CaFaultProxy | undefined;
  let replicas: ControllerReplicas | undefined;
  let killer: NodeJS.Timeout | undefined;
  const unregister = onProcessExit(() => replicas?.killNow());
  try {
    dpf = await IijDpfEmulator.start({
      zones: [{ name: `${ZONES.dpf}.`, serviceCode: DPF_SERVICE }],
      tokens: { [secrets['IIJ DPF token']]: 'SA0000042' },
      dns,
    });
    iijDo = await IijDoEmulator.start({
      serviceCode: DO_SERVICE,
      zones: [ZONES.do],
      credentials: { [doAccessKey]: secrets['IIJ DO-API secret key'] },
      dns,
    });
    const listenerCa = readFileSync(pebble.listenerCaFile, 'utf8');
    proxy = await CaFaultProxy.start(pebble.directoryUrl, listenerCa);
    const tls = kubeconfigTls(info.kubeconfigFile);
    const admin = new KubeRest(info.apiserverUrl, tls);
    for (const ns of [CLUSTER_NAMESPACE, NAMESPACE]) {
      await admin.send('POST', '/api/v1/namespaces', { metadata: { name: ns } });
    }
    await admin.send('POST', `/api/v1/namespaces/${CLUSTER_NAMESPACE}/secrets`, {
      metadata: { name: CREDENTIALS },
      stringData: {
        tsig: secrets['TSIG secret'],
        'dpf-token': secrets['IIJ DPF token'],
        'do-access': doAccessKey,
        'do-secret': secrets['IIJ DO-API secret key'],
      },
    });
    const targets = {
      directoryUrl: proxy.directoryUrl,
      caBundlePem: proxy.caPem,
      dnsPrimary: dns.primary,
      dnsSecondary: dns.secondary,
      tsigKeyName: dns.tsig.keyName,
      dpfEndpoint: dpf.endpoint,
      dpfServiceCode: DPF_SERVICE,
      doEndpoint: iijDo.endpoint,
      doServiceCode: DO_SERVICE,
    };
    for (const kind of KINDS) {
      await admin.send('POST', '/apis/acme6.io/v1alpha1/clusterissuers', clusterIssuer(kind, targets));
    }
    const certs = soakCertificates(CERTS);
    for (const c of certs.filter((x) => x.kind === 'http01')) {
      await setHostAddresses(dns, c.dnsNames[0]!, { a: ['127.0.0.1'], ttl: 1 });
    }

    // The emulators' certificates are trusted as a private CA would be.
    const emulatorCa = join(info.dir, 'soak-emulators-ca.pem');
    writeFileSync(emulatorCa, `${dpf.caPem}\n${iijDo.caPem}\n`);
    replicas = new ControllerReplicas(
      process.execPath,
      [
        ENTRY,
        'controller',
        '--kubeconfig',
        info.kubeconfigFile,
        '--cluster-resource-namespace',
        CLUSTER_NAMESPACE,
        '--log-level',
        LOG_LEVEL,
        '--metrics-bind-address=127.0.0.1:0',
        '--health-probe-bind-address=127.0.0.1:0',
        `--leader-election-namespace=${CLUSTER_NAMESPACE}`,
        // Shorter than the defaults (30s, 20s, 2s), so a standby takes over well within the kill
        // period, yet long enough that a leader on a loaded machine still renews in time.
        '--leader-election-lease-duration=15s',
        '--leader-election-renew-deadline=10s',
        '--leader-election-retry-period=2s',
        '--failure-backoff-initial=5s',
        '--failure-backoff-max=30s',
        '--acme-http01-solver-image=ghcr.io/acme6/acme6:test',
        `--acme-http01-solver-nameservers=${dns.primary}`,
        `--acme-http01-self-check-port=${info.ingress!.httpPort}`,
      ],
      info.dir,
      { NODE_EXTRA_CA_CERTS: emulatorCa },
    );
    replicas.start(2);
    await waitFor('ClusterIssuers Ready', 180, async () => {
      const list = await admin.send<{
        items: { status?: { conditions?: { type: string; status: string }[] } }[];
      }>('GET', '/apis/acme6.io/v1alpha1/clusterissuers');
      return (
        list.items.length === KINDS.length &&
        list.items.every((i) => i.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      );
    });
    const keysBefore = await accountKeyFingerprints(admin, KINDS);
    log('issuers Ready; creating the Certificates and starting the faults');

    await Promise.all(
      certs.map((c) =>
        admin.send(
          'POST',
          `/apis/acme6.io/v1alpha1/namespaces/${NAMESPACE}/certificates`,
          certificateObject(c),
        ),
      ),
    );
    proxy.failPercent(CA_ERRORS);
    dpf.faults.failPercent(DNS_API_ERRORS);
    iijDo.faults.failPercent(DNS_API_ERRORS);
    const faultEnd = Date.now() + FAULT_SECONDS * 1000;
    if (KILL_EVERY_SECONDS > 0) {
      killer = setInterval(() => {
        if (replicas?.killLeader()) log('SIGKILL to the leading controller');
      }, KILL_EVERY_SECONDS * 1000);
    }
    let apiserverRestarts = 0;
    const apiserverRestart = sleep((FAULT_SECONDS * 1000) / 2).then(async () => {
      log('restarting kube-apiserver');
      await testbed.restartApiserver();
      apiserverRestarts++;
      log('kube-apiserver is back');
    });
    const secretFaults = sleep((FAULT_SECONDS * 1000) / 3).then(() =>
      damageSecrets(admin, certs, pebble.issuerRootFile, faultEnd),
    );
    await sleep(FAULT_SECONDS * 1000);
    await apiserverRestart;
    let damaged = await secretFaults;
    clearInterval(killer);
    proxy.failPercent(0);
    dpf.faults.failPercent(0);
    iijDo.faults.failPercent(0);
    const faultsStopped = Date.now();
    log(`faults stopped (${proxy.injected} CA errors injected, ${replicas.killedBySoak} leaders killed)`);
    let damagedLate = false;
    if (!damaged.deleted) {
      // None was Ready during the faults (a short run): damage two as soon as they are, after them.
      damagedLate = true;
      damaged = await damageSecrets(admin, certs, pebble.issuerRootFile, Date.now() + SETTLE_SECONDS * 1000);
    }

    // The end state, bounded: all Ready with serving Secrets, then revisions, clean DNS and no solvers.
    const root = readFileSync(pebble.issuerRootFile, 'utf8');
    let secondsUntilReady: number | undefined;
    let ready: string[] = [];
    await waitFor('every Certificate Ready', SETTLE_SECONDS, async () => {
      // The conditions first (one list); the Secrets are read only once all claim Ready.
      const listed = await listCertificates(admin);
      if (!certs.every((c) => isReady(listed.get(c.name)))) return false;
      ready = await readyAndServing(admin, certs, root);
      if (ready.length < certs.length) return false;
      secondsUntilReady = (Date.now() - faultsStopped) / 1000;
      return true;
    });
    log(`${ready.length}/${certs.length} Ready; waiting for the clean-up`);
    const remaining = Math.max(60, SETTLE_SECONDS - (Date.now() - faultsStopped) / 1000);
    let txt: string[] = [];
    let solvers: string[] = [];
    await waitFor('revisions recorded, no TXT records, no solvers', remaining, async () => {
      const listed = await listCertificates(admin);
      txt = await leftoverTxt(dns, certs, dpf!, iijDo!);
      solvers = await leftoverSolverObjects(admin);
      return (
        certs.every((c) => (listed.get(c.name)?.status?.revision ?? 0) >= 1) &&
        txt.length === 0 &&
        solvers.length === 0
      );
    });
    ready = await retried(() => readyAndServing(admin, certs, root));
    const listed = await retried(() => listCertificates(admin));
    const keysAfter = await accountKeyFingerprints(admin, KINDS);
    const orders = await ordersByNames(
      join(info.dir, 'pebble.log'),
      pebble.directoryUrl,
      listenerCa,
      await accountKeys(admin, KINDS),
    );
    // Why a Certificate needed more than one order: its Events, read before the testbed goes.
    const offEvents = new Map<string, string[]>();
    for (const c of certs) {
      if ((orders.get(namesKey(c))?.length ?? 0) === (listed.get(c.name)?.status?.revision ?? 0)) continue;
      const selector = encodeURIComponent(`involvedObject.name=${c.name}`);
      const events = await admin
        .send<{ items: { type: string; reason: string; message: string; count?: number }[] }>(
          'GET',
          `/api/v1/namespaces/${NAMESPACE}/events?fieldSelector=${selector}`,
        )
        .catch(() => ({ items: [] }));
      offEvents.set(
        c.name,
        events.items.map((e) => `${e.type} ${e.reason} x${e.count ?? 1}: ${e.message.slice(0, 300)}`),
      );
    }
    await replicas.stop();
    const logFiles = logFilesUnder(info.dir);
    const leaks = scanLogFiles(logFiles, secrets);
    if (KEEP_LOGS) keepLogs(logFiles, info.dir, KEEP_LOGS);
    const measures: SoakMeasures = {
      certificates: certs.length,
      ready: ready.length,
      ordersPerCertificate: certs.map((c) => ({
        name: c.name,
        orders: orders.get(namesKey(c))?.length ?? 0,
        revision: listed.get(c.name)?.status?.revision ?? 0,
      })),
      accountKeys: {
        total: KINDS.length,
        unchanged: KINDS.filter((k) => keysBefore.get(k) === keysAfter.get(k)).length,
      },
      leftoverTxt: txt,
      leftoverSolverObjects: solvers,
      killedBySoak: replicas.killedBySoak,
      apiserverRestarts,
      crashes: replicas.unplannedExits.filter((e) => !e.leaseLost).length,
      leaseLostExits: replicas.unplannedExits.filter((e) => e.leaseLost).length,
      secondsUntilReady,
      settleBoundSeconds: SETTLE_SECONDS,
      logLines: leaks.lines,
      leakingLogLines: leaks.leakingLines,
      leakKinds: [...leaks.kinds].map(
        ([kind, files]) => `${kind} in ${[...files].map((f) => f.slice(info.dir.length + 1)).join(', ')}`,
      ),
    };
    for (const e of replicas.unplannedExits.filter((x) => !x.leaseLost)) {
      log(
        `controller crash: ${JSON.stringify(e.exit)}; log ${e.log}:\n${readFileSync(e.log, 'utf8').split('\n').slice(-15).join('\n')}`,
      );
    }
    for (const c of measures.ordersPerCertificate.filter((x) => x.orders !== x.revision)) {
      log(
        `${c.name}: ${c.orders} orders for ${c.revision} revisions: ${orders.get(namesKey(certs.find((x) => x.name === c.name)!))?.join(', ')}`,
      );
      for (const line of offEvents.get(c.name) ?? []) log(`  ${line}`);
    }
    const rows = soakRows(measures);
    console.log(`## acme6 soak: ${CERTS} Certificates, ${FAULT_SECONDS} s of faults\n`);
    console.log(
      `Faults: pebble rejecting ${NONCE_REJECT} % of nonces (whole run), ${CA_ERRORS} % of CA requests answered 500/503 ` +
        `(${proxy.injected} injected), IIJ DPF and DO-API failing ${DNS_API_ERRORS} % of requests with 5xx, ` +
        `leader SIGKILLed every ${KILL_EVERY_SECONDS} s, kube-apiserver restarted once, ` +
        `Secret ${damaged.deleted ?? '(none Ready in time)'} deleted and ${damaged.tampered ?? '(none Ready in time)'} tampered with` +
        `${damagedLate ? ' (after the faults stopped: no two Certificates were Ready during them)' : ''}. ` +
        `Run took ${((Date.now() - started) / 1000).toFixed(0)} s.\n`,
    );
    console.log(soakTable(rows));
    const missed = missedGoals(rows);
    if (missed.length > 0) console.log(`Missed: ${missed.join('; ')}`);
    return missed.length === 0 ? 0 : 1;
  } finally {
    clearInterval(killer);
    await replicas?.stop();
    unregister();
    await proxy?.close();
    await dpf?.close();
    await iijDo?.close();
    await testbed.stop();
  }
}

/** Copies the run's logs (paths relative to `dir`) into `target`, for reading after the run. */
function keepLogs(files: string[], dir: string, target: string): void {
  for (const file of files) {
    const copy = join(target, relative(dir, file));
    mkdirSync(dirname(copy), { recursive: true });
    copyFileSync(file, copy);
  }
  log(`logs kept in ${target}`);
}

/**
 * Deletes one Ready Certificate's Secret and puts another Ready one's certificate into a second
 * Secret (names and key no longer match): both must be issued again. Waits for two Ready ones until
 * `until`; returns the Secrets it damaged.
 */
async function damageSecrets(
  admin: KubeRest,
  certs: SoakCertificate[],
  rootFile: string,
  until: number,
): Promise<{ deleted?: string; tampered?: string }> {
  const root = readFileSync(rootFile, 'utf8');
  while (Date.now() < until) {
    const listed = await listCertificates(admin).catch(() => new Map<string, never>());
    const ready: string[] = [];
    for (const c of certs.filter((x) => isReady(listed.get(x.name)))) {
      if (ready.length < 2 && (await secretServes(admin, c, root))) ready.push(c.name);
    }
    if (ready.length >= 2) {
      const [victim, donor] = ready as [string, string];
      const deleted = `${ready[1]}-tls`;
      const tampered = `${victim}-tls`;
      const donorSecret = await admin.send<{ data: Record<string, string> }>(
        'GET',
        `/api/v1/namespaces/${NAMESPACE}/secrets/${donor}-tls`,
      );
      await retried(() =>
        admin.send(
          'PATCH',
          `/api/v1/namespaces/${NAMESPACE}/secrets/${tampered}`,
          { data: { 'tls.crt': donorSecret.data['tls.crt'] } },
          'merge',
        ),
      );
      await retried(() => admin.send('DELETE', `/api/v1/namespaces/${NAMESPACE}/secrets/${deleted}`));
      log(`deleted Secret ${deleted}; tampered with ${tampered} (holds ${donor}'s certificate)`);
      return { deleted, tampered };
    }
    await sleep(3000);
  }
  return {};
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
