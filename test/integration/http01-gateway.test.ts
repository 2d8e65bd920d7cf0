// http-01 through the Gateway API: pebble validates a name through Traefik's Gateway listener to
// the solver pod, routed by the HTTPRoute acme6 creates (no Ingress), which is gone afterwards; a
// route the Gateway does not accept is named in the Certificate's status with the Gateway's reason;
// a dual-stack name whose AAAA goes nowhere is reported per address as for an Ingress.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, certificate, certStatus, testbedAcme, tlsSecret } from './certificate-dns01.ts';
import { dropHost, pointHost, readyCondition, startHttp01Controller } from './http01-fixtures.ts';
import { createTestNamespace, kubectl, testbed } from './kube.ts';

let ns = '';
let controller: ManagedProcess | undefined;
const hosts: string[] = [];

/** An Issuer for pebble whose only solver is http-01 through an HTTPRoute on the testbed Gateway. */
function gatewayIssuer(name: string, sectionName: string): object {
  const gateway = testbed().ingress!.gateway!;
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Issuer',
    metadata: { name },
    spec: {
      acme: {
        ...testbedAcme(name),
        solvers: [
          {
            http01: {
              gatewayHTTPRoute: {
                parentRefs: [{ name: gateway.name, namespace: gateway.namespace, sectionName }],
              },
              selfCheck: { interval: '1s', passes: 1 },
            },
          },
        ],
      },
    },
  };
}

/** Names of the solver Pods, Services, Ingresses and HTTPRoutes left in the namespace. */
async function solverObjects(): Promise<string[]> {
  const out = await kubectl(
    'get',
    'pods,services,ingresses,httproutes',
    '-n',
    ns,
    '-l',
    'acme6.io/http01-solver=true',
    '-o',
    'name',
  );
  return out.split('\n').filter(Boolean).sort();
}

async function host(name: string, aaaa: string[] = []): Promise<string> {
  const full = `${name}-${ns}.example.test`;
  hosts.push(full);
  await pointHost(full, aaaa);
  return full;
}

beforeAll(async () => {
  ns = await createTestNamespace('http01-gw');
  controller = await startHttp01Controller();
  const listener = testbed().ingress!.gateway!.httpListener;
  await apply(ns, gatewayIssuer('gw', listener), gatewayIssuer('nolistener', 'nope'));
  for (const issuer of ['gw', 'nolistener'])
    await kubectl('wait', '--for=condition=Ready', `issuer/${issuer}`, '-n', ns, '--timeout=60s');
});
afterAll(async () => {
  await controller?.stop();
  for (const name of hosts) await dropHost(name);
});

describe('http-01 through a Gateway (gatewayHTTPRoute)', () => {
  it('issues through the Gateway with an HTTPRoute and removes the solver afterwards', async () => {
    const name = await host('route');
    await apply(ns, certificate('route', 'gw', [name]));
    await expect
      .poll(solverObjects, { timeout: 60_000 })
      .toEqual([
        expect.stringMatching(/^httproute\.gateway\.networking\.k8s\.io\/acme6-http01-route-/),
        expect.stringMatching(/^pod\/acme6-http01-route-/),
        expect.stringMatching(/^service\/acme6-http01-route-/),
      ]);
    await kubectl('wait', '--for=condition=Ready', 'certificate/route', '-n', ns, '--timeout=180s');
    const tls = await tlsSecret(ns, 'route-tls');
    expect(tls.chainVerdict).toEqual({ valid: true });
    expect(tls.leaf.dnsNames).toEqual([name]);
    await expect.poll(solverObjects, { timeout: 60_000 }).toEqual([]);
  });

  it('names the HTTPRoute and the reason from its status when the Gateway does not accept it', async () => {
    const name = await host('refused');
    await apply(ns, certificate('refused', 'nolistener', [name]));
    const gateway = testbed().ingress!.gateway!;
    await expect
      .poll(async () => (await readyCondition(ns, 'refused')).message, { timeout: 90_000 })
      .toMatch(
        new RegExp(
          `HTTPRoute ${ns}/acme6-http01-refused-[0-9a-f]+ is not accepted by Gateway ` +
            `${gateway.namespace}/${gateway.name} listener nope: NoMatchingParent`,
        ),
      );
    expect((await readyCondition(ns, 'refused')).status).toBe('False');
    expect(await certStatus(ns, 'refused', '{.status.acme.challenges[0].state}')).toBe('pending');
    expect(await certStatus(ns, 'refused', '{.status.acme.challenges[0].selfCheck}')).toContain(
      '(no listener of the Gateway has that sectionName or port)',
    );
  });

  it('reports a dual-stack name per address when its AAAA goes nowhere, as for an Ingress', async () => {
    const name = await host('dual', ['::1']);
    const port = testbed().ingress!.httpPort;
    await apply(ns, certificate('dual', 'gw', [name]));
    const expected = `AAAA [::1]:${port} connection refused; A 127.0.0.1:${port} ok`;
    await expect
      .poll(async () => (await readyCondition(ns, 'dual')).message, { timeout: 90_000 })
      .toContain(expected);
    // The route itself is accepted: nothing about it in the message.
    expect((await readyCondition(ns, 'dual')).message).not.toContain('HTTPRoute');
    expect(await certStatus(ns, 'dual', '{.status.acme.challenges[0].state}')).toBe('pending');
  });
});
