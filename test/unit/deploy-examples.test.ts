// The shipped examples and CRD copies are what users apply first: every example must pass the same
// zod schemas the controller enforces, and deploy/'s CRD copies must match crds/ byte for byte.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { certificate } from '../../src/api/certificate.ts';
import { clusterIssuer, issuer } from '../../src/api/issuer.ts';
import { planGateway, type StoredGateway } from '../../src/controllers/gateway/plan.ts';
import { repoRoot } from '../testbed/paths.ts';

const examplesDir = join(repoRoot, 'deploy/examples');

// hack/demo.sh fills these into the testbed examples; plausible values keep them checkable here.
const placeholders: Record<string, string> = {
  PEBBLE_DIRECTORY_URL: 'https://127.0.0.1:14000/dir',
  PEBBLE_CA_BUNDLE_BASE64: Buffer.from('-----BEGIN CERTIFICATE-----').toString('base64'),
  DNS_PRIMARY: '127.0.0.1:5353',
  DNS_SECONDARY: '127.0.0.1:5354',
  TSIG_KEY_NAME: 'acme6-testbed.',
  IIJ_DPF_ENDPOINT: 'https://127.0.0.1:8443',
  IIJ_DO_ENDPOINT: 'https://127.0.0.1:8444',
};

/** Fills @NAME@ placeholders in the object's string values (comments are already gone). */
function fillPlaceholders(value: unknown, unknown: Set<string>): unknown {
  if (typeof value === 'string')
    return value.replace(/@([A-Z0-9_]+)@/g, (whole, name: string) => {
      const filled = placeholders[name];
      if (filled === undefined) unknown.add(name);
      return filled ?? whole;
    });
  if (Array.isArray(value)) return value.map((v) => fillPlaceholders(v, unknown));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillPlaceholders(v, unknown)]));
  return value;
}

const schemas: Record<string, z.ZodType> = {
  ClusterIssuer: clusterIssuer,
  Issuer: issuer,
  Certificate: certificate,
};

interface Example {
  file: string;
  kind: string;
  object: unknown;
  /** Placeholders this test has no plausible value for. */
  unknownPlaceholders: string[];
}

function exampleObjects(): Example[] {
  return readdirSync(examplesDir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(examplesDir, file), 'utf8'))
        .map((doc) => doc.toJS() as { kind?: string } | null)
        .filter((o): o is { kind: string } => typeof o?.kind === 'string')
        .map((raw) => {
          const unknown = new Set<string>();
          const object = fillPlaceholders(raw, unknown);
          return { file, kind: raw.kind, object, unknownPlaceholders: [...unknown] };
        }),
    );
}

describe('deploy/examples', () => {
  const objects = exampleObjects();

  it('has the ClusterIssuers docs/install.md points to', () => {
    const files = new Set(objects.filter((o) => o.kind === 'ClusterIssuer').map((o) => o.file));
    for (const name of [
      'clusterissuer-letsencrypt-staging.yaml',
      'clusterissuer-letsencrypt-production.yaml',
      'clusterissuer-letsencrypt-dns01.yaml',
      'clusterissuer-rfc2136.yaml',
      'clusterissuer-iij-dpf.yaml',
    ]) {
      expect(files, name).toContain(name);
    }
  });

  it.each(objects.filter((o) => o.kind in schemas).map((o) => [`${o.file} ${o.kind}`, o] as const))(
    '%s passes the schema',
    (_, { kind, object, unknownPlaceholders }) => {
      expect(unknownPlaceholders, 'add a plausible value to `placeholders` in this test').toEqual([]);
      const result = (schemas[kind] as z.ZodType).safeParse(object);
      expect(result.success ? [] : result.error.issues).toEqual([]);
    },
  );

  // planGateway checks each Certificate spec against the schema: no badConfig means they are valid.
  it('has a Gateway whose listeners give one valid Certificate per Secret', () => {
    const gateway = objects.find((o) => o.file === 'gateway-demo.yaml' && o.kind === 'Gateway');
    const raw = gateway?.object as StoredGateway;
    const stored = { ...raw, metadata: { ...raw.metadata, namespace: 'default', uid: 'u' } };
    const plan = planGateway({ gateway: stored, certificates: [], gateways: [stored], defaults: {} });
    expect(plan.badConfig).toEqual([]);
    expect(plan.warnings).toEqual([]);
    const created = plan.actions.map((a) => (a.type === 'create' ? a.certificate : undefined));
    expect(created.map((c) => [c?.name, c?.spec.dnsNames])).toEqual([
      ['shop-demo-tls', ['shop.example.test']],
      ['www-demo-tls', ['www.example.test']],
    ]);
  });

  it('uses http-01 with an ingressClassName in the Let’s Encrypt examples', () => {
    const le = objects.filter((o) => o.file.startsWith('clusterissuer-letsencrypt-stag'));
    expect(JSON.stringify(le.map((o) => o.object))).toContain('"ingressClassName":"nginx"');
  });
});

describe('CRD copies in deploy/', () => {
  const crds = readdirSync(join(repoRoot, 'crds')).filter((f) => f.endsWith('.yaml'));

  // The chart renders its CRDs from files/crds/ (templates/crds.yaml), so `helm upgrade` updates them.
  it.each(['deploy/kustomize/crds', 'deploy/helm/acme6/files/crds'])('%s matches crds/', (dir) => {
    const copies = readdirSync(join(repoRoot, dir)).filter((f) => f.endsWith('.yaml'));
    expect(copies.sort(), `refresh with: cp crds/*.yaml ${dir}/`).toEqual([...crds].sort());
    for (const file of crds) {
      expect(
        readFileSync(join(repoRoot, dir, file), 'utf8'),
        `${dir}/${file} differs; cp crds/*.yaml ${dir}/`,
      ).toBe(readFileSync(join(repoRoot, 'crds', file), 'utf8'));
    }
  });
});
