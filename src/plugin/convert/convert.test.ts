import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateObject } from '../../api/schemas.ts';
import { convertObjects, type Converted } from './convert.ts';
import { parseObjects } from './input.ts';
import { renderNotes, renderYaml } from './render.ts';

const dir = new URL('../../../test/fixtures/cert-manager/', import.meta.url).pathname;
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseObjects(readFileSync(join(dir, f), 'utf8'), f));
const converted = convertObjects(fixtures, 'default');

const find = (source: string): Converted => {
  const found = converted.find((c) => c.source === source);
  if (!found) throw new Error(`no result for ${source}: ${converted.map((c) => c.source).join(', ')}`);
  return found;
};
const notesOf = (source: string): Record<string, string> =>
  Object.fromEntries(find(source).notes.map((n) => [n.field, n.reason]));
interface LooseSpec {
  privateKey?: unknown;
  acme: { solvers: unknown[] } & Record<string, unknown>;
  [key: string]: unknown;
}
const spec = (source: string): LooseSpec => (find(source).object as { spec: LooseSpec }).spec;

describe('kubectl acme6 convert on the cert-manager fixtures', () => {
  it('covers every issuer type and solver type of the fixtures', () => {
    const text = readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('\n');
    for (const field of [
      'acme:',
      'ca:',
      'selfSigned:',
      'vault:',
      'venafi:',
      'http01:',
      'gatewayHTTPRoute:',
    ]) {
      expect(text).toContain(field);
    }
    for (const provider of [
      'acmeDNS',
      'akamai',
      'azureDNS',
      'cloudDNS',
      'cloudflare',
      'digitalocean',
      'rfc2136',
      'route53',
      'webhook',
    ]) {
      expect(text).toContain(`${provider}:`);
    }
  });

  it('writes only objects the acme6 API accepts (the CRDs zod twin)', () => {
    const objects = converted.flatMap((c) => (c.object ? [c.object] : []));
    expect(objects.length).toBe(5);
    for (const object of objects) {
      const result = validateObject(object);
      expect(result.ok ? [] : result.errors, JSON.stringify(object)).toEqual([]);
    }
  });

  it('does not convert non-ACME issuers, saying why', () => {
    for (const [source, field] of [
      ['issuers.cert-manager.io team-a/internal-ca', 'spec.ca'],
      ['clusterissuers.cert-manager.io selfsigned', 'spec.selfSigned'],
      ['issuers.cert-manager.io team-a/vault', 'spec.vault'],
      ['issuers.cert-manager.io team-a/venafi', 'spec.venafi'],
    ] as const) {
      expect(find(source).object).toBeUndefined();
      expect(notesOf(source)[field]).toMatch(/acme6 only gets certificates from ACME CAs; not converted$/);
    }
  });

  it("keeps cert-manager's key type (RSA 2048 by default), so the Secret's key still matches", () => {
    expect(spec('certificates.cert-manager.io team-a/web').privateKey).toEqual({
      algorithm: 'RSA',
      size: 2048,
    });
    expect(spec('certificates.cert-manager.io team-b/wildcard').privateKey).toEqual({
      algorithm: 'ECDSA',
      rotationPolicy: 'Always',
    });
  });

  it('names the issuer in acme6.io and keeps names, renewal and the secret template, not the lifetime', () => {
    expect(spec('certificates.cert-manager.io team-a/everything')).not.toHaveProperty('duration');
    expect(spec('certificates.cert-manager.io team-a/everything')).toMatchObject({
      secretName: 'everything-tls',
      dnsNames: ['shop.example.com', 'www.shop.example.com'],
      issuerRef: { name: 'letsencrypt-prod', kind: 'ClusterIssuer', group: 'acme6.io' },
      renewBefore: '360h',
      privateKey: { algorithm: 'ECDSA', size: 384, rotationPolicy: 'Never' },
      secretTemplate: {
        labels: { app: 'shop' },
        annotations: { 'reflector.v1.k8s.emberstack.com/reflection-allowed': 'true' },
      },
    });
  });

  it('says per field what a Certificate loses', () => {
    const notes = notesOf('certificates.cert-manager.io team-a/everything');
    expect(Object.keys(notes).sort()).toEqual(
      [
        'spec.additionalOutputFormats',
        'spec.commonName',
        'spec.duration',
        'spec.emailAddresses',
        'spec.ipAddresses',
        'spec.isCA',
        'spec.keystores',
        'spec.privateKey.encoding',
        'spec.revisionHistoryLimit',
        'spec.secretTemplate.annotations.cert-manager.io/allow-direct-injection',
        'spec.subject',
        'spec.uris',
        'spec.usages',
      ].sort(),
    );
    expect(notes['spec.keystores']).toContain('no JKS or PKCS#12 keystores');
  });

  it("leaves Certificates of cert-manager's ingress-shim to acme6's ingress-shim", () => {
    const source = 'certificates.cert-manager.io team-b/shop-tls';
    expect(find(source).object).toBeUndefined();
    expect(notesOf(source)['metadata.ownerReferences']).toContain(
      "made by cert-manager's ingress-shim for Ingress shop: acme6's ingress-shim makes its own Certificate",
    );
  });

  it('does not convert Certificates of non-ACME or external issuers', () => {
    expect(find('certificates.cert-manager.io team-a/internal').object).toBeUndefined();
    expect(notesOf('certificates.cert-manager.io team-a/internal')['spec.issuerRef']).toContain(
      'not an ACME issuer',
    );
    expect(find('certificates.cert-manager.io team-a/private-pki').object).toBeUndefined();
    expect(notesOf('certificates.cert-manager.io team-a/private-pki')['spec.issuerRef.group']).toContain(
      'awspca.cert-manager.io',
    );
  });

  it('carries rfc2136, webhook and http01 solvers over and names the built-in DNS providers it cannot', () => {
    const source = 'clusterissuers.cert-manager.io letsencrypt-prod';
    const acme = spec(source).acme;
    expect(acme.solvers).toEqual([
      {
        selector: { dnsZones: ['example.com'] },
        dns01: {
          rfc2136: {
            nameserver: 'ns1.example.com:53',
            tsigKeyName: 'acme-update',
            tsigAlgorithm: 'HMACSHA256',
            tsigSecretSecretRef: { name: 'tsig-secret', key: 'secret' },
          },
          cnameStrategy: 'None',
        },
      },
      {
        selector: { dnsNames: ['legacy.example.net'] },
        dns01: {
          rfc2136: {
            nameserver: '[2001:db8::53]:5353',
            tsigKeyName: 'acme-update.example.net.',
            tsigAlgorithm: 'HMACSHA512',
            tsigSecretSecretRef: { name: 'tsig-secret-512', key: 'secret' },
          },
          cnameStrategy: 'Follow',
        },
      },
      {
        selector: { dnsZones: ['example.org'] },
        dns01: {
          webhook: {
            groupName: 'acme.example.org',
            solverName: 'hetzner',
            config: {
              secretName: 'hetzner-token',
              zoneName: 'example.org',
              apiUrl: 'https://dns.hetzner.com/api/v1',
            },
          },
          cnameStrategy: 'None',
        },
      },
      {
        http01: {
          ingress: {
            ingressClassName: 'nginx',
            serviceType: 'NodePort',
            podTemplate: {
              metadata: { labels: { app: 'acme-solver' } },
              spec: {
                nodeSelector: { 'kubernetes.io/os': 'linux' },
                tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'edge', effect: 'NoSchedule' }],
                priorityClassName: 'system-cluster-critical',
              },
            },
            ingressTemplate: {
              metadata: {
                annotations: { 'nginx.ingress.kubernetes.io/whitelist-source-range': '0.0.0.0/0' },
              },
            },
          },
        },
      },
    ]);
    const notes = notesOf(source);
    for (const [i, provider] of [
      'acmeDNS',
      'akamai',
      'azureDNS',
      'cloudDNS',
      'cloudflare',
      'digitalocean',
      'route53',
    ].entries()) {
      expect(notes[`spec.acme.solvers[${i + 3}].dns01.${provider}`]).toContain('use dns01.webhook');
    }
    expect(notes['spec.acme.solvers[10].http01.gatewayHTTPRoute']).toContain('no Gateway API');
    expect(notes['spec.acme.solvers[0].dns01.rfc2136.tsigAlgorithm']).toContain(
      "HMACMD5 (cert-manager's default)",
    );
    expect(notes['spec.acme.solvers[11].http01.ingress.podTemplate.spec.affinity']).toBeDefined();
    expect(notes['spec.acme.disableAccountKeyGeneration']).toBeDefined();
    expect(notes['spec.acme.skipTLSVerify']).toBeUndefined(); // false: nothing lost
    expect(notes['spec.acme']).toContain("read from acme6's namespace");
    expect(acme).toMatchObject({
      server: 'https://acme-v02.api.letsencrypt.org/directory',
      privateKeySecretRef: { name: 'letsencrypt-prod-account', key: 'tls.key' },
      externalAccountBinding: { keyID: 'kid-1234', keySecretRef: { name: 'eab-secret', key: 'secret' } },
      preferredChain: 'ISRG Root X1',
      profile: 'tlsserver',
    });
    expect(find(source).object).toMatchObject({
      metadata: { name: 'letsencrypt-prod', labels: { team: 'platform' } },
    });
    expect(find(source).object).not.toHaveProperty('metadata.annotations');
  });

  it('notes an http01 solver that edits an existing Ingress', () => {
    expect(
      notesOf('issuers.cert-manager.io team-a/letsencrypt-staging')[
        'spec.acme.solvers[1].http01.ingress.name'
      ],
    ).toContain('never edits an existing one');
    expect(spec('issuers.cert-manager.io team-a/letsencrypt-staging').acme.solvers[1]).toEqual({
      http01: { ingress: { class: 'traefik' } },
    });
  });
});

describe('convertObjects on its own', () => {
  it('skips what is not cert-manager, puts namespace-less objects in the default namespace, notes unknown fields', () => {
    const out = convertObjects(
      [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
        {
          apiVersion: 'cert-manager.io/v1',
          kind: 'Certificate',
          metadata: { name: 'c' },
          spec: {
            secretName: 'c-tls',
            dnsNames: ['a.example.com'],
            issuerRef: { name: 'le' },
            futureField: 1,
          },
        },
      ],
      'team-z',
    );
    expect(out[0]).toMatchObject({ notes: [{ field: 'kind' }] });
    expect(out[0]!.object).toBeUndefined();
    expect(out[1]!.object).toMatchObject({ metadata: { name: 'c', namespace: 'team-z' } });
    expect(out[1]!.notes.map((n) => n.field)).toEqual(['spec.issuerRef', 'spec.futureField']);
  });

  it('renders YAML with the notes as comments, and one stderr line per note', () => {
    const yaml = renderYaml(converted);
    expect(yaml).toContain('# from certificates.cert-manager.io team-a/internal: NOT CONVERTED\n');
    expect(yaml).toContain('#   spec.keystores: acme6 writes tls.crt and tls.key only');
    expect(parseObjects(yaml, 'out').length).toBe(5);
    const lines = renderNotes(converted).trim().split('\n');
    expect(lines.length).toBe(converted.reduce((n, c) => n + c.notes.length, 0));
    expect(lines).toContain(
      'issuers.cert-manager.io team-a/vault: spec.vault: a Vault issuer asks HashiCorp Vault; acme6 only gets certificates from ACME CAs; not converted',
    );
  });
});

describe('convert details', () => {
  const issuerWith = (solver: object, acme: object = {}) =>
    convertObjects(
      [
        {
          apiVersion: 'cert-manager.io/v1',
          kind: 'ClusterIssuer',
          metadata: { name: 'x' },
          spec: {
            acme: {
              server: 'https://acme.example.com/directory',
              privateKeySecretRef: { name: 'acct' },
              solvers: [solver],
              ...acme,
            },
          },
        },
      ],
      'default',
    )[0]!;

  it.each([
    ['ns1.example.com', 'ns1.example.com:53'],
    ['192.0.2.53:5353', '192.0.2.53:5353'],
    ['2001:db8::53', '[2001:db8::53]:53'],
    ['[2001:db8::53]:53', '[2001:db8::53]:53'],
  ])('writes the RFC 2136 nameserver %s as %s', (given, written) => {
    const out = issuerWith({ dns01: { rfc2136: { nameserver: given } } });
    expect((out.object as { spec: { acme: { solvers: unknown[] } } }).spec.acme.solvers[0]).toEqual({
      dns01: { rfc2136: { nameserver: written }, cnameStrategy: 'None' },
    });
    expect(validateObject(out.object).ok).toBe(true);
  });

  it('does not convert an issuer none of whose solvers carries over', () => {
    const out = issuerWith({ dns01: { route53: { region: 'eu-west-1' } } });
    expect(out.object).toBeUndefined();
    expect(out.notes.map((n) => n.field)).toEqual([
      'spec.acme.solvers[0].dns01.route53',
      'spec.acme.solvers',
    ]);
  });

  it('asks for the EAB key within the Secret when cert-manager left it out', () => {
    const out = issuerWith(
      { http01: { ingress: {} } },
      { externalAccountBinding: { keyID: 'kid', keySecretRef: { name: 'eab' } } },
    );
    expect(out.notes.map((n) => n.field)).toContain('spec.acme.externalAccountBinding.keySecretRef.key');
  });
});
