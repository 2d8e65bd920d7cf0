// validateObject and its helpers. The expected defaulted objects were recorded from the apiserver's
// own defaulting code (apiextensions-apiserver v0.36) for the same input.
import { describe, expect, it } from 'vitest';
import { loadCorpus } from '../../test/fixtures/api-corpus/corpus.ts';
import { effectiveKeySize } from './certificate.ts';
import { formatFieldPath } from './field-path.ts';
import { validateObject } from './schemas.ts';

const corpus = new Map(loadCorpus().map((e) => [e.name, e.object]));
const spec = (name: string): unknown => {
  const result = validateObject(corpus.get(name));
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.value.spec;
};

describe('validateObject', () => {
  it('applies the Certificate defaults the apiserver applies', () => {
    expect(spec('cert-minimal')).toEqual({
      dnsNames: ['www.example.com'],
      issuerRef: { group: 'acme6.io', kind: 'Issuer', name: 'letsencrypt' },
      privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' },
      secretName: 'www-example-com-tls',
    });
  });

  it('applies the nested solver defaults the apiserver applies', () => {
    const selfCheck = {
      mode: 'Check',
      passes: 2,
      interval: '5s',
      requestTimeout: '10s',
      timeout: '10m',
      skipWait: '30s',
    };
    expect(spec('issuer-http01-minimal')).toEqual({
      acme: {
        privateKeySecretRef: { key: 'account.pem', name: 'staging-account' },
        server: 'https://acme-staging-v02.api.letsencrypt.org/directory',
        solvers: [
          { http01: { ingress: { pathType: 'Exact', serviceType: 'ClusterIP' }, selfCheck } },
          {
            http01: {
              ingress: { class: 'traefik', pathType: 'Exact', serviceType: 'ClusterIP' },
              selfCheck,
            },
            selector: { dnsZones: ['legacy.example.com'] },
          },
        ],
      },
    });
    expect(spec('issuer-rfc2136-unsigned')).toEqual({
      acme: {
        privateKeySecretRef: { key: 'tls.key', name: 'pebble-account' },
        server: 'https://[2001:db8::14]:14000/dir',
        solvers: [
          {
            dns01: {
              cnameStrategy: 'None',
              propagation: { interval: '10s', nameservers: ['10.96.0.10:53'], timeout: '10m' },
              rfc2136: { nameserver: 'dns.lab.example:53', tsigAlgorithm: 'HMACSHA256' },
            },
          },
        ],
      },
    });
  });

  it('drops null fields before validating, as the apiserver prunes them', () => {
    const object = structuredClone(corpus.get('cert-minimal')) as { spec: Record<string, unknown> };
    object.spec.privateKey = null;
    object.spec.renewBefore = null;
    const result = validateObject(object);
    expect(result.ok && result.value.spec).toMatchObject({ privateKey: { algorithm: 'ECDSA' } });
  });

  it('names each unknown field, as strict field validation does', () => {
    const object = structuredClone(corpus.get('cert-minimal')) as { spec: Record<string, unknown> };
    object.spec.commonName = 'x';
    object.spec.usages = [];
    const result = validateObject(object);
    expect(result.ok ? [] : result.errors.map((e) => e.field)).toEqual(['spec.commonName', 'spec.usages']);
  });

  it('rejects http01 self-check settings out of range', () => {
    const object = structuredClone(corpus.get('issuer-http01-minimal')) as {
      spec: { acme: { solvers: { http01?: Record<string, unknown> }[] } };
    };
    object.spec.acme.solvers[0]!.http01 = { selfCheck: { passes: 0, mode: 'Maybe', interval: '0s' } };
    const result = validateObject(object);
    expect(result.ok ? [] : result.errors.map((e) => e.field).sort()).toEqual([
      'spec.acme.solvers[0].http01.selfCheck.interval',
      'spec.acme.solvers[0].http01.selfCheck.mode',
      'spec.acme.solvers[0].http01.selfCheck.passes',
    ]);
  });

  it('rejects objects of other kinds', () => {
    expect(validateObject({ kind: 'Secret' })).toMatchObject({ ok: false, errors: [{ field: 'kind' }] });
    expect(validateObject(null).ok).toBe(false);
  });
});

describe('formatFieldPath', () => {
  it('joins fields with dots and list indexes in brackets, like the apiserver', () => {
    expect(formatFieldPath(['spec', 'acme', 'solvers', 0, 'dns01'])).toBe('spec.acme.solvers[0].dns01');
    expect(formatFieldPath(['spec', 'dnsNames', 3])).toBe('spec.dnsNames[3]');
    expect(formatFieldPath(['spec', 'secretTemplate', 'labels', 'app.kubernetes.io/name'])).toBe(
      'spec.secretTemplate.labels.app.kubernetes.io/name',
    );
    expect(formatFieldPath([])).toBe('');
  });
});

describe('effectiveKeySize', () => {
  it('uses the algorithm default when size is unset', () => {
    expect(effectiveKeySize({ algorithm: 'ECDSA', rotationPolicy: 'Always' })).toBe(256);
    expect(effectiveKeySize({ algorithm: 'RSA', rotationPolicy: 'Always' })).toBe(2048);
    expect(effectiveKeySize({ algorithm: 'RSA', size: 4096, rotationPolicy: 'Never' })).toBe(4096);
    expect(effectiveKeySize({ algorithm: 'Ed25519', rotationPolicy: 'Always' })).toBeUndefined();
  });
});
