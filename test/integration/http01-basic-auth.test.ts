// S4: a site behind basic auth gets its certificate and a renewal over http-01, because the solver
// has its own Ingress for exactly the challenge path; the site answers throughout.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../testbed/paths.ts';
import { apply, certificate, certStatus, tlsSecret } from './certificate-dns01.ts';
import {
  createSite,
  pointHost,
  SITE_AUTH,
  solverObjects,
  http01Suite,
  viaIngress,
} from './http01-fixtures.ts';
import { kubectl, testbed } from './kube.ts';

const run = promisify(execFile);
const HOST = 'app.example.test';
const namespace = http01Suite('http01-auth', [HOST]);

/** Polls the site every 200 ms with and without the password; collects anything unexpected. */
function watchSite(ns: string) {
  const problems: string[] = [];
  let answered = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        const withAuth = await viaIngress(HOST, '/', { Authorization: SITE_AUTH });
        if (withAuth.status !== 200 || withAuth.body !== `site ${ns}/site`)
          problems.push(`with password: ${withAuth.status} ${withAuth.body}`);
        const without = await viaIngress(HOST, '/');
        if (without.status !== 401) problems.push(`without password: ${without.status}`);
        answered++;
      } catch (err) {
        problems.push(String(err));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    problems,
    answered: () => answered,
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

describe('S4: renewal behind basic auth', () => {
  it('issues and renews while the site keeps serving behind its password', async () => {
    const ns = namespace();
    await pointHost(HOST);
    await createSite(ns, 'site', HOST, true);
    await expect
      .poll(async () => (await viaIngress(HOST, '/', { Authorization: SITE_AUTH })).status, {
        timeout: 60_000,
      })
      .toBe(200);
    const site = watchSite(ns);
    try {
      await apply(ns, certificate('app', 'web', [HOST]));
      await kubectl('wait', '--for=condition=Ready', 'certificate/app', '-n', ns, '--timeout=180s');
      const first = await tlsSecret(ns, 'app-tls');
      expect(first.chainVerdict).toEqual({ valid: true });

      // A renewal, asked for as a user does; the old certificate stays until the new one is written.
      const { stdout } = await run(
        process.execPath,
        [join(repoRoot, 'src/cmd/kubectl-acme6.ts'), 'renew', 'app', '-n', ns],
        { env: { ...process.env, KUBECONFIG: testbed().kubeconfigFile } },
      );
      expect(stdout).toBe(`certificates.acme6.io ${ns}/app: renewal requested\n`);
      await expect.poll(() => certStatus(ns, 'app', '{.status.revision}'), { timeout: 180_000 }).toBe('2');
      const second = await tlsSecret(ns, 'app-tls');
      expect(second.chainVerdict).toEqual({ valid: true });
      expect(second.leaf.serialNumber).not.toBe(first.leaf.serialNumber);
      expect(await certStatus(ns, 'app', '{.status.conditions[?(@.type=="Ready")].status}')).toBe('True');
      await expect.poll(() => solverObjects(ns), { timeout: 60_000 }).toEqual([]);
    } finally {
      await site.stop();
    }
    expect(site.problems).toEqual([]);
    expect(site.answered()).toBeGreaterThan(10);
  });
});
