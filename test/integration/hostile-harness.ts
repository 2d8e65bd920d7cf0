// What every hostile-input case shares: one controller per test file, a certificate issued before
// the cases start (it must come through unchanged and still serve), one issued while they run, and
// the checks that a case was reported, lost nothing and crashed nothing.
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, vi } from 'vitest';
import { repoRoot } from '../testbed/paths.ts';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, certStatus, dns01Issuer, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, eventsOf, kubectl, testbed } from './kube.ts';

const run = promisify(execFile);

/** The Issuer every harness namespace has, on the testbed's pebble and BIND. */
export const WORKING_ISSUER = 'plain';

/** Bound on any condition message or Event acme6 writes (README: bounded quoting). */
export const MAX_MESSAGE = 4096;

/** One file's controller and the two certificates that prove nothing is lost and work goes on. */
export interface Harness {
  ns: string;
  controller: ManagedProcess;
  pid: number;
  /** An Issuer on the testbed's pebble and BIND that works. */
  issuer: string;
  /** tls.crt of the baseline certificate's Secret before any case ran. */
  baselineChain: string;
}

/**
 * Starts the controller (with `env`, e.g. NODE_EXTRA_CA_CERTS for hostile HTTPS servers), issues
 * the baseline certificate, and creates the one that must be issued while the cases run.
 */
export async function startHarness(prefix: string, env: NodeJS.ProcessEnv = {}): Promise<Harness> {
  const ns = await createTestNamespace(prefix);
  const controller = await startController([], env);
  const issuer = WORKING_ISSUER;
  await apply(ns, ...dns01Issuer(issuer));
  await kubectl('wait', '--for=condition=Ready', `issuer/${issuer}`, '-n', ns, '--timeout=60s');
  await apply(ns, certificate('baseline', issuer, [`baseline.${prefix}.example.test`]));
  await waitReady(ns, 'baseline');
  const baselineChain = (await tlsSecret(ns, 'baseline-tls')).chain;
  await apply(ns, certificate('meanwhile', issuer, [`meanwhile.${prefix}.example.test`]));
  return { ns, controller, pid: controller.pid!, issuer, baselineChain };
}

export function waitReady(ns: string, name: string, timeout = '180s'): Promise<string> {
  return kubectl('wait', '--for=condition=Ready', `certificate/${name}`, '-n', ns, `--timeout=${timeout}`);
}

/** `kubectl acme6 renew`, run as the plugin program. */
export async function renew(ns: string, name: string): Promise<void> {
  await run(process.execPath, [join(repoRoot, 'src/cmd/kubectl-acme6.ts'), 'renew', name, '-n', ns], {
    env: { ...process.env, KUBECONFIG: testbed().kubeconfigFile },
  });
}

/** How a case must be reported on its Certificate. */
export interface Report {
  /** The Issuing condition's reason, e.g. `Failed`. */
  reason: string;
  /** The Warning Event's reason, e.g. `Failed` or `Retrying`. */
  warning: string;
  /** What the Warning Event's message must say. */
  message: RegExp;
}

/**
 * Waits for the Warning Event and the Issuing reason on Certificate `name`, and checks that every
 * message is bounded. Returns the Event's message.
 */
export async function expectReported(
  ns: string,
  name: string,
  report: Report,
  timeout = 180_000,
): Promise<string> {
  const matching = async (): Promise<string | undefined> =>
    (await eventsOf(ns, name, { reason: report.warning })).find(
      (e) => e.type === 'Warning' && report.message.test(e.message ?? ''),
    )?.message;
  // vi.waitFor, not expect.poll: cases run side by side inside one test (runBatch).
  await vi.waitFor(
    async () => {
      if (await matching()) return;
      const seen = (await eventsOf(ns, name)).map((e) => `${e.reason}: ${e.message}`);
      throw new Error(
        `no ${report.warning} Event matching ${report.message} on ${name}; seen: ${seen.join(' | ')}`,
      );
    },
    { timeout, interval: 1000 },
  );
  const issuing = (field: string) =>
    certStatus(ns, name, `{.status.conditions[?(@.type=="Issuing")].${field}}`);
  await vi.waitFor(
    async () => {
      const reason = await issuing('reason');
      if (reason !== report.reason)
        throw new Error(
          `Issuing reason of ${name} is ${reason}, not ${report.reason}: ${await issuing('message')}`,
        );
    },
    { timeout: 30_000, interval: 1000 },
  );
  expect((await issuing('message')).length).toBeLessThanOrEqual(MAX_MESSAGE);
  for (const event of await eventsOf(ns, name))
    expect(event.message!.length).toBeLessThanOrEqual(MAX_MESSAGE);
  return (await matching())!;
}

/** The baseline Secret is byte for byte what it was and still serves; the controller has its pid. */
export async function expectNothingLost(h: Harness): Promise<void> {
  const baseline = await tlsSecret(h.ns, 'baseline-tls');
  expect(baseline.chain).toBe(h.baselineChain);
  expect(baseline.chainVerdict).toEqual({ valid: true });
  expect(baseline.keyMatches).toBe(true);
  expect(h.controller.running, `the controller exited; its log ends:\n${h.controller.tail(15)}`).toBe(true);
  expect(h.controller.pid).toBe(h.pid);
}

/** At the end of a file: the certificate created as the cases started was issued, and nothing is lost. */
export async function expectWorkWentOn(h: Harness): Promise<void> {
  await waitReady(h.ns, 'meanwhile');
  expect((await tlsSecret(h.ns, 'meanwhile-tls')).chainVerdict).toEqual({ valid: true });
  expect(await certStatus(h.ns, 'baseline', '{.status.conditions[?(@.type=="Ready")].status}')).toBe('True');
  await expectNothingLost(h);
}

/**
 * Runs independent cases side by side (one `it` per class of cases keeps vitest's concurrency limit
 * out of the way) and fails naming every case that failed.
 */
export async function runBatch<C extends readonly [string, ...unknown[]]>(
  cases: readonly C[],
  run: (...args: C) => Promise<void>,
): Promise<void> {
  const results = await Promise.allSettled(cases.map((c) => run(...c)));
  const failed = results.flatMap((result, i) =>
    result.status === 'rejected'
      ? [`${cases[i]![0]}: ${result.reason instanceof Error ? result.reason.message : String(result.reason)}`]
      : [],
  );
  expect(failed, `${failed.length} of ${cases.length} cases failed`).toEqual([]);
}
