// P4 the renewal wave: `certificates` Certificates that are Ready and all enter their renewal window
// at the same moment, on a running controller.
//   - Their Secrets are written by the benchmark (a leaf from a local test CA, labelled and annotated
//     by the controller's own buildTlsSecret, as P2 does) with a 90-day validity whose last third
//     starts at one moment `wave` a little after seeding: the lifetime rule (ARI does not apply,
//     pebble answers `malformed` for certificates it did not issue) makes them all due at `wave`.
//   - Measured: seconds from `wave` until every Secret holds a certificate pebble issued; orders
//     pebble received meanwhile (one per Certificate if the total is the wave plus the probe and
//     every Secret is renewed); peak Certificates with Issuing=True at once (sampled every 2 s);
//     and a new Certificate (name + *.name, as P1's) created during the wave, against the same one
//     created on the idle controller just before.
import { X509Certificate } from 'node:crypto';
import { buildTlsSecret } from '../../src/controllers/certificate/tls-secret.ts';
import type { CertificateSpec } from '../../src/api/certificate.ts';
import type { KubeRest } from '../../test/testbed/kube-rest.ts';
import { createCertificateAuthority, issueCertificate } from '../../test/testbed/pki.ts';
import { pool } from './p2-scale.ts';
import { countCaRequests, logLines, ordersSince, since } from './pebble-log.ts';
import { fixed, table } from './table.ts';

export const P4_NAMESPACE = 'p4';
const CA_NAME = 'acme6 bench P4 test CA';
const DAY_MS = 24 * 3600_000;
const CONCURRENCY = 32;

interface Condition {
  type: string;
  status: string;
  reason?: string;
}
interface Listed<T> {
  items: T[];
}
type Cert = { metadata: { name: string }; status?: { conditions?: Condition[] } };
type Secret = { metadata: { name: string }; data?: Record<string, string> };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (message: string): void => void process.stderr.write(`[bench] ${message}\n`);
// Issuing=True, Queued: waiting for a slot under --max-concurrent-issuances, no order yet.
const queued = (c: Cert): boolean =>
  c.status?.conditions?.some((x) => x.type === 'Issuing' && x.reason === 'Queued') ?? false;
const condition = (c: Cert, type: string): boolean =>
  c.status?.conditions?.some((x) => x.type === type && x.status === 'True') ?? false;

export interface P4Options {
  certificates: number;
  /** Seconds from the start of seeding to the wave: long enough for seeding and evaluation. */
  leadSeconds: number;
  zone: string;
  issuer: string;
  pebbleLog: string;
  /** The controller's issuance concurrency limit, if it has one (shown as the goal). */
  limit?: number;
}

function spec(name: string, dnsNames: string[], issuer: string): CertificateSpec {
  return {
    secretName: `${name}-tls`,
    dnsNames,
    issuerRef: { kind: 'ClusterIssuer', name: issuer },
    privateKey: { algorithm: 'ECDSA', size: 256 },
  } as CertificateSpec;
}

/** Creates one Certificate (name + *.name) and resolves with the seconds until it is Ready. */
async function timeToReady(admin: KubeRest, name: string, o: P4Options): Promise<number> {
  const t0 = performance.now();
  await admin.send('POST', `/apis/acme6.io/v1alpha1/namespaces/${P4_NAMESPACE}/certificates`, {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: { name, namespace: P4_NAMESPACE },
    spec: spec(name, [`${name}.${o.zone}`, `*.${name}.${o.zone}`], o.issuer),
  });
  const deadline = Date.now() + 20 * 60_000;
  for (;;) {
    const c = await admin.send<Cert>(
      'GET',
      `/apis/acme6.io/v1alpha1/namespaces/${P4_NAMESPACE}/certificates/${name}`,
    );
    if (condition(c, 'Ready')) return (performance.now() - t0) / 1000;
    if (Date.now() > deadline) throw new Error(`${name} not Ready after 20 min`);
    await sleep(250);
  }
}

/** Runs P4 on a running, idle controller; resolves with its table. */
export async function runP4(admin: KubeRest, o: P4Options): Promise<string> {
  const certsPath = `/apis/acme6.io/v1alpha1/namespaces/${P4_NAMESPACE}/certificates`;
  const secretsPath = `/api/v1/namespaces/${P4_NAMESPACE}/secrets`;
  await admin.send('POST', '/api/v1/namespaces', { metadata: { name: P4_NAMESPACE } });

  const idleSeconds = await timeToReady(admin, 'p4-idle', o);
  log(`P4: a new Certificate on the idle controller was Ready in ${fixed(idleSeconds)} s`);

  // Renewal at notAfter - lifetime / 3 = wave, to the second.
  const seedStart = Date.now();
  const wave = new Date(Math.ceil((seedStart + o.leadSeconds * 1000) / 1000) * 1000);
  const period = {
    notBefore: new Date(wave.getTime() - 60 * DAY_MS),
    notAfter: new Date(wave.getTime() + 30 * DAY_MS),
  };
  const ca = await createCertificateAuthority(CA_NAME);
  await pool(o.certificates, CONCURRENCY, async (i) => {
    const name = `p4-${i}`;
    const dnsNames = [`${name}.${o.zone}`];
    const s = spec(name, dnsNames, o.issuer);
    const leaf = await issueCertificate(
      ca,
      { kind: 'server', commonName: dnsNames[0]!, dnsNames, ipAddresses: [] },
      period,
    );
    await admin.send(
      'POST',
      secretsPath,
      buildTlsSecret(
        { name, namespace: P4_NAMESPACE, spec: s },
        { chainPem: leaf.certPem, keyPem: leaf.keyPem, dnsNames, notAfter: period.notAfter, revision: 1 },
      ),
    );
    await admin.send('POST', certsPath, {
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'Certificate',
      metadata: { name, namespace: P4_NAMESPACE },
      spec: s,
    });
  });
  const seeded = (Date.now() - seedStart) / 1000;
  log(
    `P4: ${o.certificates} Certificates seeded in ${fixed(seeded)} s; the wave is at ${wave.toISOString()}`,
  );

  const isWave = (c: Cert): boolean => /^p4-\d+$/.test(c.metadata.name);
  let readyBefore: number;
  for (;;) {
    const list = await admin.send<Listed<Cert>>('GET', certsPath);
    readyBefore = list.items.filter((c) => isWave(c) && condition(c, 'Ready')).length;
    if (Date.now() >= wave.getTime() - 1000) break;
    await sleep(1000);
  }
  if (wave.getTime() > Date.now()) await sleep(wave.getTime() - Date.now());
  const caBefore = countCaRequests(o.pebbleLog);
  const linesBefore = logLines(o.pebbleLog);
  const t0 = performance.now();
  log(`P4: the wave starts; ${readyBefore} of ${o.certificates} were Ready just before`);

  // The probe: a new Certificate a few seconds into the wave, timed on its own.
  const during = sleep(3000)
    .then(() => timeToReady(admin, 'p4-during', o))
    .catch((error: unknown) => {
      log(`P4: the Certificate created during the wave failed: ${String(error)}`);
      return Number.NaN;
    });
  const renewedBy = (secret: Secret): boolean => {
    const pem = secret.data?.['tls.crt'];
    if (!pem) return false;
    return !new X509Certificate(Buffer.from(pem, 'base64')).issuer.includes(CA_NAME);
  };
  let peakIssuing = 0;
  let renewed: number;
  const deadline = Date.now() + 30 * 60_000;
  for (;;) {
    const [certs, secrets] = await Promise.all([
      admin.send<Listed<Cert>>('GET', certsPath),
      admin.send<Listed<Secret>>('GET', secretsPath),
    ]);
    peakIssuing = Math.max(
      peakIssuing,
      certs.items.filter((c) => isWave(c) && condition(c, 'Issuing') && !queued(c)).length,
    );
    renewed = secrets.items.filter((s) => /^p4-\d+-tls$/.test(s.metadata.name) && renewedBy(s)).length;
    if (renewed >= o.certificates) break;
    if (Date.now() > deadline) break;
    await sleep(2000);
  }
  const waveSeconds = (performance.now() - t0) / 1000;
  const duringSeconds = await during;
  // Orders of the wave and the probe; any late retry would be counted too, so wait for the tail.
  await sleep(5000);
  const ca2 = since(countCaRequests(o.pebbleLog), caBefore);
  const orders = ordersSince(o.pebbleLog, linesBefore);
  log(
    `P4: ${renewed} renewed in ${fixed(waveSeconds)} s, ${orders.placed} orders placed (${ca2.orders} requested), at most ${orders.peakOpen} open, peak Issuing ${peakIssuing}`,
  );

  const expectedOrders = o.certificates + 1;
  return table(
    `P4 renewal wave: ${o.certificates} Ready Certificates due at the same second (seeded in ${fixed(seeded)} s${seeded > o.leadSeconds ? ', past the wave: raise BENCH_P4_LEAD' : ''}; ${readyBefore} Ready just before the wave)`,
    ['measure', 'goal', 'measured'],
    [
      [
        'seconds until every Secret holds a certificate from pebble',
        '(as fast as it goes)',
        `${fixed(waveSeconds)} (${renewed} of ${o.certificates} renewed)`,
      ],
      ['  renewals / s', '', fixed(renewed / waveSeconds, 2)],
      [
        'orders pebble placed during the wave (wave + 1 probe)',
        `${expectedOrders} (exactly 1 per Certificate)`,
        `${orders.placed}${orders.placed === expectedOrders && renewed === o.certificates ? ' (1 each)' : ''}`,
      ],
      ['  new-order requests (refused ones included)', '', ca2.orders],
      ['  CA requests / renewal', '', fixed(ca2.requests / expectedOrders)],
      [
        'peak orders open at once at pebble (placed, not yet issued)',
        o.limit === undefined
          ? 'the configured limit: this build has none'
          : `<= ${o.limit} (--max-concurrent-issuances)`,
        orders.peakOpen,
      ],
      ['  peak Certificates Issuing=True, not Queued, at once (sampled every 2 s)', '', peakIssuing],
      [
        'new Certificate (name + *.name), idle controller: seconds to Ready',
        '(reference)',
        fixed(idleSeconds),
      ],
      [
        '  the same, created 3 s into the wave',
        `about ${fixed(idleSeconds)} (its normal time)`,
        `${fixed(duringSeconds)} (${fixed(duringSeconds / idleSeconds)} x)`,
      ],
    ],
  );
}
