// kubectl acme6, found by the testbed's real kubectl on the PATH as a user installs it: the status
// and inspect views of a certificate pebble issued, and renew forcing a new certificate while the
// failure backoff would hold the next attempt for an hour.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../testbed/paths.ts';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, certStatus, dns01Issuer, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, kubectl, testbed } from './kube.ts';

const run = promisify(execFile);
let ns: string;
let controller: ManagedProcess;
let binDir: string;

beforeAll(async () => {
  ns = await createTestNamespace('plugin');
  // The default failure backoff (1 h): only a manual renewal can get past it within this test.
  controller = await startController();
  await apply(ns, ...dns01Issuer('pebble'));
  binDir = join(testbed().dir, `plugin-bin-${ns}`);
  mkdirSync(binDir, { recursive: true });
  const plugin = join(binDir, 'kubectl-acme6');
  const script = `#!/bin/sh\nexec '${process.execPath}' '${join(repoRoot, 'src/cmd/kubectl-acme6.ts')}' "$@"\n`;
  writeFileSync(plugin, script);
  chmodSync(plugin, 0o755);
  await kubectl('wait', '--for=condition=Ready', 'issuer/pebble', '-n', ns, '--timeout=60s');
});
afterAll(async () => {
  await controller.stop();
});

/** `kubectl ARGS` with the plugin's directory on the PATH and the testbed's kubeconfig in $KUBECONFIG. */
async function kubectlWithPlugin(...args: string[]): Promise<string> {
  const tb = testbed();
  const env = { ...process.env, PATH: `${binDir}:${process.env.PATH ?? ''}`, KUBECONFIG: tb.kubeconfigFile };
  try {
    return (await run(tb.kubectl, args, { env })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr ?? e.message}\n${e.stdout ?? ''}`, {
      cause: err,
    });
  }
}

const waitReady = (name: string) =>
  kubectl('wait', '--for=condition=Ready', `certificate/${name}`, '-n', ns, '--timeout=120s');

describe('kubectl acme6', () => {
  it('is discovered by kubectl and shows an issued certificate and its Secret', async () => {
    expect(await kubectlWithPlugin('plugin', 'list')).toContain(join(binDir, 'kubectl-acme6'));
    await apply(ns, certificate('shown', 'pebble', ['plugin.example.test', '*.plugin.example.test']));
    await waitReady('shown');
    const { leaf } = await tlsSecret(ns, 'shown-tls');

    const status = await kubectlWithPlugin('acme6', 'status', 'certificate', 'shown', '-n', ns);
    expect(status).toContain(`certificates.acme6.io ${ns}/shown (generation 1)`);
    expect(status).toMatch(/DNS names: +plugin\.example\.test, \*\.plugin\.example\.test\n/);
    expect(status).toMatch(/Ready=True {2}Ready {2}\(since /);
    expect(status).toMatch(/Private key: +ECDSA 256, rotation Always\n/);
    expect(status).toMatch(/ARI window: +\S+ \(in \d+d/); // pebble offers ARI
    expect(status).toMatch(/Current revision: +1\n/);
    expect(status).toContain('Secret shown-tls: present (type kubernetes.io/tls)');
    expect(status).toMatch(new RegExp(`Serial: +${leaf.serialNumber}\n`));
    expect(status).toMatch(/Key: +ECDSA 256, matches the certificate/);
    expect(status).toContain('Order: none in flight');
    expect(status).toMatch(/Normal +OrderCreated: created ACME order/);
    expect(status).toMatch(/Normal +Issued: certificate revision 1 written to Secret shown-tls/);
    expect(status).not.toContain('Failures:');

    // --kubeconfig after the plugin's name works too (kubectl refuses flags before it).
    const inspect = await kubectlWithPlugin(
      'acme6',
      'inspect',
      'secret',
      'shown-tls',
      '--namespace',
      ns,
      '--kubeconfig',
      testbed().kubeconfigFile,
    );
    expect(inspect).toContain(`Secret ${ns}/shown-tls (type kubernetes.io/tls)`);
    expect(inspect).toMatch(
      /Written by: +acme6\n +Certificate: +shown\n +Issuer: +Issuer pebble\n +Revision: +1/,
    );
    expect(inspect).toMatch(/DNS names: +plugin\.example\.test, \*\.plugin\.example\.test\n/);
    expect(inspect).toMatch(/Issuer: +CN=Pebble Intermediate CA/);
    expect(inspect).toMatch(new RegExp(`Serial: +${leaf.serialNumber}\n`));
    expect(inspect).toContain(`to ${leaf.notAfter.toISOString().replace(/\.\d{3}Z$/, 'Z')} (in `);
    expect(inspect).toMatch(/Private key: +ECDSA 256, matches the certificate/);
    expect(inspect).toMatch(
      /Chain \(\d certificates, leaf first\):\n {2}0 {2}.*\n {5}issued by CN=Pebble Intermediate CA/,
    );
    expect(inspect).not.toContain('Problems:');
  });

  it('says what is not there, with a non-zero exit', async () => {
    await expect(kubectlWithPlugin('acme6', 'status', 'certificate', 'absent', '-n', ns)).rejects.toThrow(
      `certificates.acme6.io ${ns}/absent not found`,
    );
    await expect(kubectlWithPlugin('acme6', 'inspect', 'secret', 'absent-tls', '-n', ns)).rejects.toThrow(
      `secret ${ns}/absent-tls not found`,
    );
  });

  it('renew forces a new certificate even while the failure backoff holds', async () => {
    await apply(ns, ...dns01Issuer('flaky'));
    await kubectl('wait', '--for=condition=Ready', 'issuer/flaky', '-n', ns, '--timeout=60s');
    await apply(ns, certificate('renewed', 'flaky', ['renewed.example.test']));
    await waitReady('renewed');
    const first = (await tlsSecret(ns, 'renewed-tls')).leaf.serialNumber;

    // A wrong TSIG key: the requested renewal fails and the backoff schedules the next try in 1 h.
    await apply(
      ns,
      ...dns01Issuer('flaky', Buffer.from('not the right key at all!!').toString('base64')).slice(0, 1),
    );
    expect(await kubectlWithPlugin('acme6', 'renew', 'renewed', '-n', ns)).toBe(
      `certificates.acme6.io ${ns}/renewed: renewal requested\n`,
    );
    // The failure is counted in status and stays in Issuing=False/Failed while the old certificate
    // still serves: nothing more is to be issued, but the failed request must stay visible.
    const issuing = () => certStatus(ns, 'renewed', '{.status.conditions[?(@.type=="Issuing")].reason}');
    await expect.poll(issuing, { timeout: 60_000 }).toBe('Failed');
    expect(await certStatus(ns, 'renewed', '{.status.failedIssuanceAttempts}')).toBe('1');
    await new Promise((r) => setTimeout(r, 3000)); // several reconciles of a valid certificate later
    expect(await issuing()).toBe('Failed');
    expect(await certStatus(ns, 'renewed', '{.status.conditions[?(@.type=="Issuing")].message}')).toMatch(
      /NOTAUTH \(TSIG BADSIG.*next attempt at .* \(failure 1\)$/,
    );
    const nextAttempt = new Date(await certStatus(ns, 'renewed', '{.status.nextAttemptTime}'));
    expect(nextAttempt.getTime() - Date.now()).toBeGreaterThan(30 * 60_000);
    const failed = await kubectlWithPlugin('acme6', 'status', 'certificate', 'renewed', '-n', ns);
    expect(failed).toMatch(/Warning +Failed: RFC 2136 update .* refused: NOTAUTH \(TSIG BADSIG/);
    expect(failed).toMatch(/Failed attempts: +1\n/);
    expect(failed).toContain(`(to try again now: kubectl acme6 renew renewed -n ${ns})`);
    expect(failed).toMatch(/Ready=True/); // the old certificate still serves
    expect(failed).toMatch(/Issuing=False +Failed/);

    // Fixed; without a manual renewal nothing would happen for an hour.
    await apply(ns, ...dns01Issuer('flaky').slice(0, 1));
    const revisions = async (): Promise<string[]> =>
      (
        await kubectl(
          'get',
          'certificates',
          '-n',
          ns,
          '-o',
          'jsonpath={range .items[*]}{.metadata.name}={.status.revision} {end}',
        )
      )
        .trim()
        .split(' ');
    const before = await revisions();
    const renewed = await kubectlWithPlugin('acme6', 'renew', '--all', '-n', ns);
    for (const entry of before)
      expect(renewed).toContain(`certificates.acme6.io ${ns}/${entry.split('=')[0]}: renewal requested\n`);
    // Every Certificate of the namespace gets its next revision; none is left with an order in flight.
    const after = before.map((entry) => entry.replace(/=(\d+)$/, (_m, n: string) => `=${Number(n) + 1}`));
    await expect.poll(revisions, { timeout: 90_000 }).toEqual(after);
    expect(after).toContain('renewed=2');
    await waitReady('renewed');
    const second = await tlsSecret(ns, 'renewed-tls');
    expect(second.leaf.serialNumber).not.toBe(first);
    expect(second.keyMatches).toBe(true);
    // The request was the issuance's own condition: gone with the issuance, not left behind.
    expect(await certStatus(ns, 'renewed', '{.status.conditions[?(@.type=="Issuing")]}')).toBe('');
    expect(await certStatus(ns, 'renewed', '{.status.failedIssuanceAttempts}')).toBe('');
  });
});
