// What a user sees with kubectl: explain texts from the CRD schemas, printer columns, the category.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTestNamespace, kubectl, testbed } from './kube.ts';

let ns: string;

beforeAll(async () => {
  ns = await createTestNamespace('ux');
});

/** Applies a manifest given as an object, the way a user would (`kubectl apply -f`). */
async function apply(object: object): Promise<void> {
  const file = join(testbed().dir, `ux-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(object));
  await kubectl('apply', '-n', ns, '-f', file);
}

/** Splits `kubectl get` output into rows of columns (runs of 2+ spaces separate them). */
function table(out: string): string[][] {
  return out
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}

describe('kubectl', () => {
  it('explains certificate.spec.privateKey with real descriptions', async () => {
    const out = await kubectl('explain', 'certificate.spec.privateKey');
    expect(out).toMatch(/DESCRIPTION:\s+\S/);
    for (const field of ['algorithm', 'size', 'rotationPolicy']) {
      const block = new RegExp(`\\n  ${field}\\s+<[a-z]+>\\n(?:  enum: .*\\n)?    \\S`);
      expect(out, field).toMatch(block);
    }
    expect(out).not.toContain('<empty>');
    const spec = await kubectl('explain', 'issuer.spec.acme.solvers.dns01.rfc2136');
    expect(spec).toMatch(/tsigSecretSecretRef\s+<Object>\n\s+\S/);
  });

  it('shows the printer columns of certificates and issuers', async () => {
    await apply({
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'Certificate',
      metadata: { name: 'web' },
      spec: {
        secretName: 'web-tls',
        dnsNames: ['web.example.test'],
        issuerRef: { name: 'pebble', kind: 'ClusterIssuer' },
      },
    });
    const notAfter = new Date(Date.now() + 89.5 * 24 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
    const status = {
      status: {
        notAfter,
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'Ready',
            message: 'Certificate is up to date and has not expired',
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            observedGeneration: 1,
          },
        ],
      },
    };
    await kubectl(
      'patch',
      'certificate',
      'web',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    );

    const rows = table(await kubectl('get', 'certificates', '-n', ns));
    expect(rows[0]).toEqual(['NAME', 'READY', 'SECRET', 'ISSUER', 'EXPIRES', 'AGE']);
    // The expiry as a timestamp: a `date` column would print a future time as "<invalid>".
    expect(rows[1]?.slice(0, 5)).toEqual(['web', 'True', 'web-tls', 'pebble', notAfter]);

    const wide = table(await kubectl('get', 'a6cert', 'web', '-n', ns, '-o', 'wide'));
    expect(wide[0]).toContain('STATUS');
    expect(wide[1]).toContain('Certificate is up to date and has not expired');

    await apply({
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'Issuer',
      metadata: { name: 'local' },
      spec: {
        acme: {
          server: 'https://127.0.0.1:14000/dir',
          privateKeySecretRef: { name: 'local-account' },
          solvers: [{ http01: { ingress: {} } }],
        },
      },
    });
    const issuers = table(await kubectl('get', 'issuers', '-n', ns));
    expect(issuers[0]).toEqual(['NAME', 'READY', 'AGE']);
    expect(issuers[1]?.[0]).toBe('local');

    // `kubectl get acme6` lists every acme6 kind through the category.
    const all = await kubectl('get', 'acme6', '-n', ns, '-o', 'name');
    expect(all).toContain('certificate.acme6.io/web');
    expect(all).toContain('issuer.acme6.io/local');
  });
});
