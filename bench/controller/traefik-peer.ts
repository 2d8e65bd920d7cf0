// Traefik's built-in ACME (a certResolver, as seed S3 runs it) as a peer of `make bench`: its own
// Traefik process on loopback ports, a file provider with one router per certificate, its own
// account (a fresh acme.json). Measured from the moment the N routers are written until acme.json
// holds all N certificates; CPU and peak RSS from /proc.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { onProcessExit } from '../../test/testbed/exit-hooks.ts';
import { freePort } from '../../test/testbed/ports.ts';
import type { P1Row } from './p1-table.ts';
import { countCaRequests, since } from './pebble-log.ts';
import { cpuSeconds, memoryMb } from './process-stats.ts';
import { fixed } from './table.ts';

/** How Traefik answers its challenges. */
export type TraefikChallenge =
  | {
      kind: 'dns-01';
      /** The BIND primary (host:port): RFC 2136 updates and the propagation check. */
      nameserver: string;
      tsigKey: string;
      tsigSecret: string;
      /** 1 s propagation polling and 1 s between two challenges of an order, as lego tuned. */
      tuned: boolean;
    }
  | {
      kind: 'http-01';
      /** The loopback port pebble's VA dials: Traefik's challenge entryPoint. */
      port: number;
    };

export interface TraefikPeerOptions {
  binary: string;
  /** A fresh directory for this run's configuration, acme.json and log. */
  dir: string;
  directoryUrl: string;
  /** Trusted for pebble's HTTPS listener. */
  caFile: string;
  /** One router and one certificate per name; with `wildcard`, each certificate also holds *.name. */
  names: string[];
  wildcard: boolean;
  challenge: TraefikChallenge;
  timeoutMs: number;
}

const RESOLVER = 'bench';

/** Traefik's static configuration (pure). */
export function traefikStaticConfig(
  o: Pick<TraefikPeerOptions, 'directoryUrl' | 'caFile' | 'challenge'> & {
    dynamicDir: string;
    storage: string;
    httpsPort: number;
    pingPort: number;
  },
): Record<string, unknown> {
  const challenge =
    o.challenge.kind === 'dns-01'
      ? {
          dnsChallenge: {
            provider: 'rfc2136',
            resolvers: [o.challenge.nameserver],
            // The testbed's servers listen on loopback ports, not on their NS names' port 53: the
            // check asks the primary (as lego-batch and acme6's propagation.nameservers do).
            propagation: { disableANSChecks: true },
          },
        }
      : { httpChallenge: { entryPoint: 'web' } };
  return {
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    entryPoints: {
      websecure: { address: `127.0.0.1:${o.httpsPort}` },
      traefik: { address: `127.0.0.1:${o.pingPort}` },
      ...(o.challenge.kind === 'http-01' && { web: { address: `127.0.0.1:${o.challenge.port}` } }),
    },
    ping: { entryPoint: 'traefik' },
    log: { level: 'INFO', noColor: true },
    providers: { providersThrottleDuration: '0s', file: { directory: o.dynamicDir, watch: true } },
    certificatesResolvers: {
      [RESOLVER]: {
        acme: {
          caServer: o.directoryUrl,
          caCertificates: [o.caFile],
          storage: o.storage,
          keyType: 'EC256',
          ...challenge,
        },
      },
    },
  };
}

/** The file provider's routers: one per name, each asking the resolver for its certificate (pure). */
export function traefikRouters(names: string[], wildcard: boolean): Record<string, unknown> {
  const routers = Object.fromEntries(
    names.map((name, i) => [
      `cert-${i}`,
      {
        rule: `Host(\`${name}\`)`,
        entryPoints: ['websecure'],
        service: 'noop@internal',
        tls: {
          certResolver: RESOLVER,
          domains: [{ main: name, ...(wildcard && { sans: [`*.${name}`] }) }],
        },
      },
    ]),
  );
  return { http: { routers } };
}

/** The RFC 2136 provider's settings, from the environment as Traefik's lego reads them (pure). */
export function traefikEnv(challenge: TraefikChallenge, caFile: string): Record<string, string> {
  const env: Record<string, string> = { LEGO_CA_CERTIFICATES: caFile };
  if (challenge.kind !== 'dns-01') return env;
  return {
    ...env,
    RFC2136_NAMESERVER: challenge.nameserver,
    RFC2136_TSIG_KEY: challenge.tsigKey,
    RFC2136_TSIG_SECRET: challenge.tsigSecret,
    RFC2136_TSIG_ALGORITHM: 'hmac-sha256.',
    ...(challenge.tuned && { RFC2136_POLLING_INTERVAL: '1', RFC2136_SEQUENCE_INTERVAL: '1' }),
  };
}

export interface TraefikResult {
  seconds: number;
  cpu: number;
  peakMb: number;
  /** Attempts Traefik logged as failed (it retries them later), and the first one's reason. */
  failed: { count: number; first?: string };
}

/** Failed attempts in Traefik's log ("Unable to obtain ACME certificate for domains error=..."; pure). */
export function failedAttempts(log: string): TraefikResult['failed'] {
  const lines = log.split('\n').filter((l) => l.includes('Unable to obtain ACME certificate'));
  // The CA's problem detail, e.g. `... :: Error retrieving TXT records for DNS challenge (\"dial tcp ...\")`.
  const detail = lines[0] ? /:: urn:\S+ :: (.*?)(?:\\n)*" /.exec(lines[0])?.[1] : undefined;
  const reason = detail?.replaceAll('\\"', '"');
  return { count: lines.length, ...(reason && { first: reason }) };
}

/** A note for a run whose attempts failed and were retried (pure). */
export function retriedNote(failed: TraefikResult['failed']): string {
  if (failed.count === 0) return '';
  return `; ${failed.count} attempts failed and were retried by Traefik${failed.first ? `, the first: ${failed.first}` : ''}`;
}

/** Certificates in Traefik's acme.json for this resolver (0 while it is absent or half-written). */
export function storedCertificates(storage: string): number {
  if (!existsSync(storage)) return 0;
  try {
    const store = JSON.parse(readFileSync(storage, 'utf8')) as Record<
      string,
      { Certificates?: unknown[] | null } | undefined
    >;
    return store[RESOLVER]?.Certificates?.length ?? 0;
  } catch {
    return 0;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs one Traefik until acme.json holds a certificate for every name; rejects (with the end of its
 * log) when it exits or the time runs out. Traefik is stopped either way.
 */
export async function runTraefik(o: TraefikPeerOptions): Promise<TraefikResult> {
  const dynamicDir = join(o.dir, 'dynamic');
  mkdirSync(dynamicDir, { recursive: true });
  const storage = join(o.dir, 'acme.json');
  const [httpsPort, pingPort] = [await freePort(), await freePort()];
  const configFile = join(o.dir, 'traefik.yaml');
  writeFileSync(
    configFile,
    stringify(traefikStaticConfig({ ...o, dynamicDir, storage, httpsPort, pingPort })),
  );
  const logFile = join(o.dir, 'traefik.log');
  const out = openSync(logFile, 'a');
  const child = spawn(o.binary, [`--configFile=${configFile}`], {
    env: { ...process.env, ...traefikEnv(o.challenge, o.caFile) },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const unregister = onProcessExit(() => child.kill('SIGKILL'));
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `traefik exited with ${code ?? signal}`));
  const fail = (why: string): Error => {
    const tail = readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-5).join(' | ');
    return new Error(`${why}; its log ends: ${tail}`);
  };
  try {
    const pingDeadline = Date.now() + 30_000;
    while (
      !(await fetch(`http://127.0.0.1:${pingPort}/ping`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (exited) throw fail(exited);
      if (Date.now() > pingDeadline) throw fail('traefik did not answer /ping in 30 s');
      await sleep(100);
    }
    const pid = child.pid!;
    const cpu0 = cpuSeconds(pid);
    let peakMb = 0;
    const t0 = performance.now();
    // Written whole, then renamed: the file provider never reads half a file.
    const routers = join(o.dir, 'routers.yaml');
    writeFileSync(routers, stringify(traefikRouters(o.names, o.wildcard)));
    renameSync(routers, join(dynamicDir, 'routers.yaml'));
    const deadline = Date.now() + o.timeoutMs;
    let cpu = 0;
    while (storedCertificates(storage) < o.names.length) {
      if (exited) throw fail(exited);
      if (Date.now() > deadline) {
        throw fail(
          `${storedCertificates(storage)} of ${o.names.length} certificates after ${o.timeoutMs / 1000} s`,
        );
      }
      cpu = cpuSeconds(pid) - cpu0;
      peakMb = memoryMb(pid).peak;
      await sleep(100);
    }
    const seconds = (performance.now() - t0) / 1000;
    cpu = cpuSeconds(pid) - cpu0;
    peakMb = memoryMb(pid).peak;
    return { seconds, cpu, peakMb, failed: failedAttempts(readFileSync(logFile, 'utf8')) };
  } finally {
    if (!exited) {
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    }
    unregister();
  }
}

/**
 * P1 (dns-01, RFC 2136, name + *.name) for Traefik with its defaults and tuned, each a fresh
 * Traefik with its own account, one after the other so pebble's log separates them. A run that
 * fails is a row that says so.
 */
export async function traefikDns01Rows(o: {
  binary: string;
  dir: string;
  n: number;
  zone: string;
  directoryUrl: string;
  caFile: string;
  pebbleLog: string;
  nameserver: string;
  tsigKey: string;
  tsigSecret: string;
  log: (message: string) => void;
}): Promise<P1Row[]> {
  const rows: P1Row[] = [];
  const started = performance.now();
  for (const [name, tuned, note] of [
    [
      'Traefik (defaults)',
      false,
      "Traefik's rfc2136 defaults: propagation polled every 2 s, challenges of an order 60 s apart",
    ],
    ['Traefik (tuned)', true, 'tuned: propagation polled every 1 s, challenges 1 s apart'],
  ] as const) {
    const prefix = tuned ? 'traefikt' : 'traefikd';
    const dir = join(o.dir, `traefik-${prefix}`);
    mkdirSync(dir);
    const before = countCaRequests(o.pebbleLog);
    try {
      const result = await runTraefik({
        binary: o.binary,
        dir,
        directoryUrl: o.directoryUrl,
        caFile: o.caFile,
        names: Array.from({ length: o.n }, (_, i) => `${prefix}-${i}.${o.zone}`),
        wildcard: true,
        challenge: {
          kind: 'dns-01',
          nameserver: o.nameserver,
          tsigKey: o.tsigKey,
          tsigSecret: o.tsigSecret,
          tuned,
        },
        timeoutMs: 20 * 60_000,
      });
      rows.push({
        name,
        seconds: result.seconds,
        cpu: result.cpu,
        peakMb: result.peakMb,
        ca: since(countCaRequests(o.pebbleLog), before),
        note: `${note}; ${o.n} routers at once (file provider), one account; until acme.json holds all${retriedNote(result.failed)}`,
      });
    } catch (error) {
      const first = String(error instanceof Error ? error.message : error).split('\n')[0]!;
      o.log(`${name} failed: ${first}`);
      rows.push({
        name,
        seconds: Number.NaN,
        ca: since(countCaRequests(o.pebbleLog), before),
        cpu: Number.NaN,
        peakMb: Number.NaN,
        note: `FAILED: ${first.slice(0, 200)}`,
      });
    }
    o.log(`${name}: ${fixed(rows.at(-1)!.seconds)} s`);
  }
  o.log(`Traefik over dns-01 took ${fixed((performance.now() - started) / 1000)} s in all`);
  return rows;
}
