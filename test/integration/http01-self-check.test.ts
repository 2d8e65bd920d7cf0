// The self-check before the CA is asked (S1 and the usual routing mistakes): every A and AAAA
// address is tried, a failure is named by address and family in Ready and in a Warning Event while
// pebble's challenge is still pending, and it explains 401 and 404. One stuck Certificate does not
// hold up ten others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, certStatus } from './certificate-dns01.ts';
import {
  createSite,
  dropHost,
  http01Issuer,
  pointHost,
  readyCondition,
  solverObjects,
  startHttp01Controller,
} from './http01-fixtures.ts';
import { createTestNamespace, eventsOf, kubectl, testbed } from './kube.ts';

let ns: string;
let controller: ManagedProcess;
const hosts: string[] = [];

beforeAll(async () => {
  ns = await createTestNamespace('http01-check');
  controller = await startHttp01Controller();
  // `nginx` is a class nothing serves in the testbed: the solver's route never exists.
  await apply(ns, http01Issuer('web'), http01Issuer('unserved', 'nginx'));
  await kubectl('wait', '--for=condition=Ready', 'issuer/web', 'issuer/unserved', '-n', ns, '--timeout=60s');
});
afterAll(async () => {
  await controller?.stop();
  for (const host of hosts) await dropHost(host);
});

async function host(name: string, aaaa: string[] = []): Promise<string> {
  hosts.push(name);
  await pointHost(name, aaaa);
  return name;
}

const challengeState = (name: string) => certStatus(ns, name, '{.status.acme.challenges[0].state}');

describe('http-01 self-check', () => {
  it('S1: names the AAAA address nothing answers on before pebble is asked, then issues once fixed', async () => {
    const name = await host('app.example.test', ['::1']);
    const port = testbed().ingress!.httpPort;
    await apply(ns, certificate('s1', 'web', [name]));
    const expected = `AAAA [::1]:${port} connection refused; A 127.0.0.1:${port} ok`;
    await expect
      .poll(async () => (await readyCondition(ns, 's1')).message, { timeout: 90_000 })
      .toContain(expected);
    expect((await readyCondition(ns, 's1')).status).toBe('False');
    // Pebble's challenge (read from the CA on every step) is still pending: nothing was burned.
    expect(await challengeState('s1')).toBe('pending');
    expect(await certStatus(ns, 's1', '{.status.acme.challenges[0].selfCheck}')).toBe(expected);
    expect(await eventsOf(ns, 's1')).toContainEqual(
      expect.objectContaining({
        type: 'Warning',
        reason: 'SelfCheckFailed',
        message: `http-01 self-check for ${name}: ${expected}`,
      }),
    );

    await pointHost(name, []);
    await kubectl('wait', '--for=condition=Ready', 'certificate/s1', '-n', ns, '--timeout=180s');
    await expect.poll(() => solverObjects(ns), { timeout: 60_000 }).toEqual([]);
  });

  it('explains a 401 (the path is behind authentication) and a 404 (the solver route is not served)', async () => {
    const port = testbed().ingress!.httpPort;
    // Behind basic auth, with the solver's Ingress of a class nothing serves: the site's auth answers.
    const locked = await host('locked.example.test');
    await createSite(ns, 'locked', locked, true);
    await apply(ns, certificate('locked', 'unserved', [locked]));
    // No route at all for this name: Traefik's 404.
    const lost = await host('lost.example.test');
    await apply(ns, certificate('lost', 'unserved', [lost]));
    await expect
      .poll(async () => (await readyCondition(ns, 'locked')).message, { timeout: 90_000 })
      .toContain(
        `A 127.0.0.1:${port} 401 Unauthorized from 127.0.0.1 (the path is behind authentication? The solver Ingress must route /.well-known/acme-challenge/ around it)`,
      );
    await expect
      .poll(async () => (await readyCondition(ns, 'lost')).message, { timeout: 90_000 })
      .toContain(
        `A 127.0.0.1:${port} 404 Not Found from 127.0.0.1 (is the solver Ingress served by the controller of class nginx, and does this address reach it?)`,
      );
    expect(await challengeState('locked')).toBe('pending');
    expect(await challengeState('lost')).toBe('pending');
    // Deleting the Certificates takes their solvers down (finalizer, and owner references).
    await kubectl('delete', 'certificate', 'locked', 'lost', '-n', ns, '--timeout=60s');
    await expect.poll(() => solverObjects(ns), { timeout: 60_000 }).toEqual([]);
  });

  it('issues ten Certificates at once while another is stuck in its self-check', async () => {
    const stuck = await host('stuck.example.test', ['::1']);
    await apply(ns, certificate('stuck', 'web', [stuck]));
    await expect
      .poll(async () => (await readyCondition(ns, 'stuck')).message, { timeout: 90_000 })
      .toContain('connection refused');
    const names = Array.from({ length: 10 }, (_, i) => `many${i}`);
    for (const name of names) await host(`${name}.example.test`);
    await apply(ns, ...names.map((name) => certificate(name, 'web', [`${name}.example.test`])));
    // All of them, each with its own message if not: a table of Ready per Certificate.
    const readiness = () =>
      kubectl(
        'get',
        'certificates',
        '-n',
        ns,
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].message}{"\\n"}{end}',
      );
    const allReady = async (): Promise<string> => {
      const table = await readiness();
      const ready = names.filter((n) => table.includes(`${n}=True `));
      return ready.length === names.length ? 'all ready' : table;
    };
    await expect.poll(allReady, { timeout: 300_000, interval: 2000 }).toBe('all ready');
    const stuckNow = await readyCondition(ns, 'stuck');
    expect(stuckNow.status).toBe('False');
    expect(stuckNow.message).toContain('AAAA [::1]');
    expect(await challengeState('stuck')).toBe('pending');
  }, 420_000); // eleven solver pods each start a node process on a small, shared machine
});
