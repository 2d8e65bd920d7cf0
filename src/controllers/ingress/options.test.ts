import { describe, expect, it } from 'vitest';
import { readIngressOptions } from './options.ts';

const withDefault = { defaultIssuer: { name: 'letsencrypt', kind: 'ClusterIssuer' as const } };

describe('ingress-shim annotations', () => {
  it('ignores Ingresses that do not ask, and tls-acme without a default issuer', () => {
    expect(readIngressOptions({}, withDefault)).toEqual({ kind: 'ignored' });
    expect(readIngressOptions({ 'kubernetes.io/tls-acme': 'true' }, {})).toEqual({ kind: 'ignored' });
    expect(readIngressOptions({ 'kubernetes.io/tls-acme': 'false' }, withDefault)).toEqual({
      kind: 'ignored',
    });
  });

  it('uses the default issuer for tls-acme, and the named one otherwise', () => {
    expect(readIngressOptions({ 'kubernetes.io/tls-acme': 'true' }, withDefault)).toMatchObject({
      kind: 'ok',
      options: { issuerRef: { name: 'letsencrypt', kind: 'ClusterIssuer' } },
    });
    expect(readIngressOptions({ 'acme6.io/cluster-issuer': 'prod' }, {})).toMatchObject({
      options: { issuerRef: { name: 'prod', kind: 'ClusterIssuer' } },
    });
    expect(readIngressOptions({ 'acme6.io/issuer': 'team' }, withDefault)).toMatchObject({
      options: { issuerRef: { name: 'team', kind: 'Issuer' } },
    });
    expect(
      readIngressOptions({ 'acme6.io/issuer': 'prod', 'acme6.io/issuer-kind': 'ClusterIssuer' }, {}),
    ).toMatchObject({ options: { issuerRef: { name: 'prod', kind: 'ClusterIssuer' } } });
  });

  it('turns every option into its spec field or Certificate annotation', () => {
    const result = readIngressOptions(
      {
        'acme6.io/issuer': 'team',
        'acme6.io/renew-before': '360h',
        'acme6.io/private-key-algorithm': 'RSA',
        'acme6.io/private-key-size': '3072',
        'acme6.io/private-key-rotation-policy': 'Never',
        'acme6.io/secret-deletion-policy': 'Delete',
        'acme6.io/challenge-type': 'dns-01',
        'acme6.io/http01-ingress-class': 'nginx',
        'unrelated.example/x': 'y',
      },
      {},
    );
    expect(result).toEqual({
      kind: 'ok',
      options: {
        issuerRef: { name: 'team', kind: 'Issuer' },
        spec: {
          renewBefore: '360h',
          privateKey: { algorithm: 'RSA', size: 3072, rotationPolicy: 'Never' },
          secretDeletionPolicy: 'Delete',
        },
        certificateAnnotations: {
          'acme6.io/challenge-type': 'dns-01',
          'acme6.io/http01-ingress-class': 'nginx',
        },
      },
    });
    expect(
      readIngressOptions({ 'acme6.io/issuer': 'a', 'acme6.io/renew-before-percentage': '25' }, {}),
    ).toMatchObject({ options: { spec: { renewBeforePercentage: 25 } } });
  });

  it.each([
    [
      { 'acme6.io/issuer': 'a', 'acme6.io/cluster-issuer': 'b' },
      'acme6.io/issuer and acme6.io/cluster-issuer',
    ],
    [{ 'acme6.io/issuer': 'a', 'acme6.io/issuer-kind': 'Vault' }, 'acme6.io/issuer-kind'],
    [{ 'acme6.io/cluster-issuer': 'b', 'acme6.io/issuer-kind': 'Issuer' }, 'acme6.io/issuer-kind'],
    [{ 'acme6.io/issuer': '' }, 'acme6.io/issuer'],
    [{ 'acme6.io/cluster-issuer': 'UPPER' }, 'acme6.io/cluster-issuer'],
    [{ 'acme6.io/issuer': 'a', 'acme6.io/duration': '90d' }, 'acme6.io/duration'],
    [{ 'acme6.io/issuer': 'a', 'acme6.io/duration': '59m' }, 'acme6.io/duration'],
    [{ 'acme6.io/issuer': 'a', 'acme6.io/renew-before': '-1h' }, 'acme6.io/renew-before'],
    [{ 'acme6.io/issuer': 'a', 'acme6.io/duration': '2160h' }, 'acme6.io/duration'],
    [
      { 'acme6.io/issuer': 'a', 'acme6.io/renew-before': '1h', 'acme6.io/renew-before-percentage': '10' },
      'acme6.io/renew-before',
    ],
    [{ 'acme6.io/issuer': 'a', 'acme6.io/renew-before-percentage': '0' }, 'acme6.io/renew-before-percentage'],
    [{ 'acme6.io/issuer': 'a', 'acme6.io/private-key-algorithm': 'ecdsa' }, 'acme6.io/private-key-algorithm'],
    [{ 'acme6.io/issuer': 'a', 'acme6.io/private-key-size': '2048' }, 'acme6.io/private-key-size'],
    [{ 'acme6.io/issuer': 'a', 'acme6.io/private-key-size': '25 6' }, 'acme6.io/private-key-size'],
    [
      {
        'acme6.io/issuer': 'a',
        'acme6.io/private-key-algorithm': 'Ed25519',
        'acme6.io/private-key-size': '256',
      },
      'acme6.io/private-key-size',
    ],
    [
      { 'acme6.io/issuer': 'a', 'acme6.io/private-key-rotation-policy': 'always' },
      'acme6.io/private-key-rotation-policy',
    ],
    [
      { 'acme6.io/issuer': 'a', 'acme6.io/secret-deletion-policy': 'Orphan' },
      'acme6.io/secret-deletion-policy',
    ],
    [{ 'acme6.io/issuer': 'a', 'acme6.io/challenge-type': 'http01' }, 'acme6.io/challenge-type'],
    [{ 'acme6.io/issuer': 'a', 'acme6.io/http01-ingress-class': '' }, 'acme6.io/http01-ingress-class'],
  ])('rejects %j naming %s', (annotations, where) => {
    const result = readIngressOptions(annotations, {});
    expect(result.kind).toBe('invalid');
    const problems = result.kind === 'invalid' ? result.problems : [];
    expect(problems.map((p) => p.where)).toEqual([where]);
    expect(problems[0]!.message.length).toBeGreaterThan(5);
  });

  it('refuses acme6.io/duration, which the CA would ignore, and says what to use instead', () => {
    const result = readIngressOptions({ 'acme6.io/issuer': 'a', 'acme6.io/duration': '2160h' }, {});
    expect(result).toEqual({
      kind: 'invalid',
      problems: [
        {
          where: 'acme6.io/duration',
          message:
            "duration is not supported: the ACME CA sets the certificate lifetime (Let's Encrypt refuses a requested one); remove it, and choose when to renew with renewBefore or renewBeforePercentage",
        },
      ],
    });
  });

  it('reports every bad annotation of one Ingress, once each', () => {
    const result = readIngressOptions(
      { 'acme6.io/issuer': 'a', 'acme6.io/duration': 'x', 'acme6.io/challenge-type': 'y' },
      {},
    );
    expect(result.kind === 'invalid' && result.problems.map((p) => p.where).sort()).toEqual([
      'acme6.io/challenge-type',
      'acme6.io/duration',
    ]);
  });
});
