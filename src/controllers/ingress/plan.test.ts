import type { V1IngressTLS } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import { ingressKeysForCertificate, ingressKeysForIngress } from './keys.ts';
import { planIngress, type DesiredCertificate, type StoredIngress } from './plan.ts';

function ingress(
  name: string,
  tls: V1IngressTLS[] | undefined,
  annotations: Record<string, string> = { 'acme6.io/cluster-issuer': 'prod' },
  created = '2026-01-01T00:00:00Z',
): StoredIngress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name,
      namespace: 'web',
      uid: `uid-${name}`,
      labels: { app: name },
      annotations,
      creationTimestamp: new Date(created),
    },
    spec: { tls },
  };
}

/** A Certificate as the apiserver stores what the shim applied for `owner` (defaults filled in). */
function stored(want: DesiredCertificate, overrides: Partial<Certificate['spec']> = {}): Certificate {
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: {
      name: want.name,
      namespace: want.namespace,
      uid: `cert-${want.name}`,
      resourceVersion: '7',
      labels: want.labels,
      annotations: want.annotations,
      ownerReferences: [want.owner],
    },
    spec: {
      ...(want.spec as Certificate['spec']),
      issuerRef: { ...want.spec.issuerRef, group: 'acme6.io' } as Certificate['spec']['issuerRef'],
      privateKey: { algorithm: 'ECDSA', rotationPolicy: 'Always' },
      ...overrides,
    },
  };
}

const plan = (ing: StoredIngress, certificates: Certificate[] = [], others: StoredIngress[] = []) =>
  planIngress({ ingress: ing, certificates, ingresses: [ing, ...others], defaults: {} });

const createdBy = (ing: StoredIngress): DesiredCertificate[] =>
  plan(ing).actions.flatMap((a) => (a.type === 'create' ? [a.certificate] : []));

describe('ingress-shim plan', () => {
  const web = ingress('web', [
    { hosts: ['a.example.test', 'b.example.test', 'a.example.test'], secretName: 'ab-tls' },
    { hosts: ['c.example.test'], secretName: 'c-tls' },
  ]);

  it('creates one Certificate per tls entry, owned by the Ingress and labelled like it', () => {
    const created = createdBy(web);
    expect(created).toHaveLength(2);
    expect(created[0]).toEqual({
      name: 'ab-tls',
      namespace: 'web',
      labels: { app: 'web' },
      annotations: {},
      owner: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        name: 'web',
        uid: 'uid-web',
        controller: true,
        blockOwnerDeletion: true,
      },
      spec: {
        secretName: 'ab-tls',
        dnsNames: ['a.example.test', 'b.example.test'],
        issuerRef: { name: 'prod', kind: 'ClusterIssuer' },
      },
    });
    expect(created[1]!.spec.dnsNames).toEqual(['c.example.test']);
  });

  it('does nothing when the stored Certificates already match, whatever the defaults', () => {
    const existing = createdBy(web).map((c) => stored(c));
    expect(plan(web, existing)).toEqual({ actions: [], badConfig: [], conflicts: [] });
  });

  it('updates a Certificate whose hosts, options or labels changed', () => {
    const existing = createdBy(web).map((c) => stored(c));
    const more = ingress('web', [
      { hosts: ['a.example.test', 'b.example.test', 'd.example.test'], secretName: 'ab-tls' },
      { hosts: ['c.example.test'], secretName: 'c-tls' },
    ]);
    const result = plan(more, existing);
    expect(result.actions).toMatchObject([
      {
        type: 'update',
        resourceVersion: '7',
        certificate: {
          name: 'ab-tls',
          spec: { dnsNames: ['a.example.test', 'b.example.test', 'd.example.test'] },
        },
      },
    ]);

    const rsa = ingress('web', web.spec!.tls, {
      'acme6.io/cluster-issuer': 'prod',
      'acme6.io/private-key-algorithm': 'RSA',
    });
    expect(plan(rsa, existing).actions.map((a) => a.type)).toEqual(['update', 'update']);

    const relabelled = { ...web, metadata: { ...web.metadata, labels: { app: 'web', tier: 'front' } } };
    expect(plan(relabelled, existing).actions.map((a) => a.type)).toEqual(['update', 'update']);

    const withClass = ingress('web', web.spec!.tls, {
      'acme6.io/cluster-issuer': 'prod',
      'acme6.io/http01-ingress-class': 'nginx',
    });
    const [first] = plan(withClass, existing).actions;
    expect(first).toMatchObject({
      type: 'update',
      certificate: { annotations: { 'acme6.io/http01-ingress-class': 'nginx' } },
    });
  });

  it('deletes its Certificate when the tls entry or the annotation goes', () => {
    const existing = createdBy(web).map((c) => stored(c));
    const fewer = ingress('web', [web.spec!.tls![0]!]);
    expect(plan(fewer, existing).actions).toEqual([
      {
        type: 'delete',
        name: 'c-tls',
        uid: 'cert-c-tls',
        resourceVersion: '7',
        why: 'its tls entry is no longer in the Ingress',
      },
    ]);
    const unannotated = ingress('web', web.spec!.tls, {});
    expect(plan(unannotated, existing).actions.map((a) => a.type === 'delete' && a.name)).toEqual([
      'ab-tls',
      'c-tls',
    ]);
  });

  it('never touches a Certificate another object controls, and says so', () => {
    const foreign = stored(createdBy(web)[0]!);
    foreign.metadata.ownerReferences = undefined;
    const other = stored(createdBy(ingress('other', web.spec!.tls))[1]!);
    const result = plan(web, [foreign, other]);
    expect(result.actions).toEqual([]);
    expect(result.conflicts).toEqual([
      'Certificate ab-tls exists and is not controlled by this Ingress: it was left unchanged',
      'Certificate c-tls exists and is not controlled by this Ingress (its controller is Ingress other): it was left unchanged',
    ]);
    // Not deleted either when the Ingress stops asking: only Certificates it controls go.
    expect(plan(ingress('web', web.spec!.tls, {}), [foreign, other]).actions).toEqual([]);
  });

  it('lets only the first of two Ingresses claiming one secretName create it, and warns both', () => {
    const tls = [{ hosts: ['x.example.test'], secretName: 'x-tls' }];
    const older = ingress('older', tls, undefined, '2026-01-01T00:00:00Z');
    const newer = ingress(
      'newer',
      [{ hosts: ['y.example.test'], secretName: 'x-tls' }],
      undefined,
      '2026-02-01T00:00:00Z',
    );
    const olderPlan = plan(older, [], [newer]);
    const newerPlan = plan(newer, [], [older]);
    expect(olderPlan.actions.map((a) => a.type)).toEqual(['create']);
    expect(newerPlan.actions).toEqual([]);
    expect(olderPlan.conflicts).toEqual([expect.stringContaining('also claimed by Ingress newer')]);
    expect(newerPlan.conflicts).toEqual([expect.stringContaining('also claimed by Ingress older')]);
    // An Ingress that only uses the Secret (no acme6 annotation) is no rival.
    const reader = ingress('reader', tls, {});
    expect(plan(older, [], [reader]).conflicts).toEqual([]);
  });

  it.each([
    [[{ hosts: ['a.example.test'] }], 'spec.tls[0].secretName'],
    [[{ hosts: [], secretName: 'a-tls' }], 'spec.tls[0].hosts'],
    [[], 'spec.tls'],
    [
      [
        { hosts: ['a.example.test'], secretName: 'a-tls' },
        { hosts: ['b.example.test'], secretName: 'a-tls' },
      ],
      'spec.tls[1].secretName',
    ],
    [[{ hosts: ['a.example.test', '10.0.0.1'], secretName: 'a-tls' }], 'spec.tls[0].hosts[1]'],
    [[{ hosts: ['a.example.test'], secretName: 'Bad_Name' }], 'spec.tls[0].secretName'],
  ])('reports bad tls entries %j at %s and changes nothing', (tls, where) => {
    const existing = createdBy(web).map((c) => stored(c));
    const result = plan(ingress('web', tls), existing);
    expect(result.actions).toEqual([]);
    expect(result.badConfig.map((p) => p.where)).toEqual([where]);
  });

  it('changes nothing, not even deletions, when an annotation is bad', () => {
    const existing = createdBy(web).map((c) => stored(c));
    const bad = ingress('web', [], { 'acme6.io/cluster-issuer': 'prod', 'acme6.io/duration': '1d' });
    const result = plan(bad, existing);
    expect(result.actions).toEqual([]);
    expect(result.badConfig.map((p) => p.where)).toEqual(['acme6.io/duration']);
    expect(result.badConfig[0]!.message).toContain('Go duration');
  });
});

describe('ingress-shim keys', () => {
  const a = ingress('a', [{ hosts: ['a.example.test'], secretName: 'shared' }]);
  const b = ingress('b', [{ hosts: ['b.example.test'], secretName: 'shared' }]);
  const c = ingress('c', [{ hosts: ['c.example.test'], secretName: 'c-tls' }]);
  const all = (): StoredIngress[] => [a, b, c];

  it('maps a Certificate to its controller and to every Ingress naming its Secret', () => {
    const cert = stored(createdBy(c)[0]!);
    expect(ingressKeysForCertificate(cert, all)).toEqual(['web/c']);
    const shared = { metadata: { name: 'shared', namespace: 'web' } };
    expect(ingressKeysForCertificate(shared, all).sort()).toEqual(['web/a', 'web/b']);
  });

  it('maps an Ingress to itself and its rivals for a secretName', () => {
    expect(ingressKeysForIngress(a, all).sort()).toEqual(['web/a', 'web/b']);
    expect(ingressKeysForIngress(c, all)).toEqual(['web/c']);
  });
});
