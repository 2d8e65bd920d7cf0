// http-01 end to end: pebble validates app.example.test through Traefik to the solver pod acme6
// runs, and nothing of the solver remains afterwards; an annotated Ingress gets its certificate the
// same way; wildcards are refused with a clear message.
import { describe, expect, it } from 'vitest';
import { apply, certificate, certStatus, tlsSecret } from './certificate-dns01.ts';
import { pointHost, solverObjects, http01Suite } from './http01-fixtures.ts';
import { kubectl } from './kube.ts';

const HOST = 'app.example.test';
const SHOP = 'shop.example.test';
const namespace = http01Suite('http01', [HOST, SHOP]);

describe('http-01 issuance', () => {
  it('issues app.example.test through the ingress controller and removes the solver afterwards', async () => {
    const ns = namespace();
    await pointHost(HOST);
    await apply(ns, certificate('app', 'web', [HOST]));
    // While the challenge is pending, the solver's Pod, Service and Ingress exist.
    await expect.poll(() => solverObjects(ns), { timeout: 60_000 }).toHaveLength(3);
    await kubectl('wait', '--for=condition=Ready', 'certificate/app', '-n', ns, '--timeout=180s');
    const tls = await tlsSecret(ns, 'app-tls');
    expect(tls.chainVerdict).toEqual({ valid: true });
    expect(tls.leaf.dnsNames).toEqual([HOST]);
    expect(tls.keyMatches).toBe(true);
    // Ready follows the Secret; the revision comes with the issuance's own write, just after it.
    await expect.poll(() => certStatus(ns, 'app', '{.status.revision}'), { timeout: 30_000 }).toBe('1');
    await expect.poll(() => solverObjects(ns), { timeout: 60_000 }).toEqual([]);
  });

  it('gives an Ingress annotated with the http-01 issuer a Ready Certificate and a valid Secret', async () => {
    const ns = namespace();
    await pointHost(SHOP);
    await apply(ns, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'shop', annotations: { 'acme6.io/issuer': 'web' } },
      spec: {
        ingressClassName: 'traefik',
        tls: [{ hosts: [SHOP], secretName: 'shop-tls' }],
        rules: [
          {
            host: SHOP,
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'shop', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });
    await kubectl('wait', '--for=create', 'certificate/shop-tls', '-n', ns, '--timeout=60s');
    await kubectl('wait', '--for=condition=Ready', 'certificate/shop-tls', '-n', ns, '--timeout=180s');
    const tls = await tlsSecret(ns, 'shop-tls');
    expect(tls.chainVerdict).toEqual({ valid: true });
    expect(tls.leaf.dnsNames).toEqual([SHOP]);
    // The shim's Certificate: owned by the Ingress, on the issuer's only (http-01) solver.
    expect(await certStatus(ns, 'shop-tls', '{.metadata.ownerReferences[0].name}')).toBe('shop');
    await expect.poll(() => solverObjects(ns), { timeout: 60_000 }).toEqual([]);
  });

  it('refuses a wildcard name on an http-01-only issuer with a clear message', async () => {
    const ns = namespace();
    await apply(ns, certificate('wild', 'web', ['*.wild.example.test']));
    await expect
      .poll(() => certStatus(ns, 'wild', '{.status.conditions[?(@.type=="Issuing")].message}'), {
        timeout: 30_000,
      })
      .toBe(
        '*.wild.example.test is a wildcard name, which only dns-01 can validate, and no dns01 solver of the issuer matches it',
      );
    expect(await certStatus(ns, 'wild', '{.status.conditions[?(@.type=="Ready")].status}')).toBe('False');
    expect(await solverObjects(ns)).toEqual([]);
  });
});
