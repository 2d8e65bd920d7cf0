import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import type { DesiredCertificate } from '../ingress/plan.ts';
import { gatewayKeysForCertificate, gatewayKeysForGateway } from './keys.ts';
import { planGateway, type StoredGateway } from './plan.ts';
import type { GatewayListener } from './types.ts';

function gateway(
  name: string,
  listeners: GatewayListener[],
  annotations: Record<string, string> = { 'acme6.io/cluster-issuer': 'prod' },
  created = '2026-01-01T00:00:00Z',
): StoredGateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: {
      name,
      namespace: 'web',
      uid: `uid-${name}`,
      labels: { app: name },
      annotations,
      creationTimestamp: new Date(created),
    },
    spec: { gatewayClassName: 'traefik', listeners },
  };
}

const https = (
  name: string,
  hostname: string | undefined,
  secret: string,
  extra: object = {},
): GatewayListener => ({
  name,
  ...(hostname !== undefined && { hostname }),
  port: 443,
  protocol: 'HTTPS',
  tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', group: '', name: secret, ...extra }] },
});

/** A Certificate as the apiserver stores what the shim applied. */
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

const plan = (gw: StoredGateway, certificates: Certificate[] = [], others: StoredGateway[] = []) =>
  planGateway({ gateway: gw, certificates, gateways: [gw, ...others], defaults: {} });

const createdBy = (gw: StoredGateway): DesiredCertificate[] =>
  plan(gw).actions.flatMap((a) => (a.type === 'create' ? [a.certificate] : []));

describe('gateway-shim plan', () => {
  const web = gateway('web', [
    { name: 'http', port: 80, protocol: 'HTTP', hostname: 'a.example.test' },
    https('a', 'a.example.test', 'ab-tls'),
    https('b', 'b.example.test', 'ab-tls'),
    https('c', 'c.example.test', 'c-tls'),
    https('a-again', 'a.example.test', 'ab-tls'),
  ]);

  it('creates one Certificate per distinct Secret with its listeners hostnames, owned by the Gateway', () => {
    const created = createdBy(web);
    expect(created.map((c) => [c.name, c.spec.dnsNames])).toEqual([
      ['ab-tls', ['a.example.test', 'b.example.test']],
      ['c-tls', ['c.example.test']],
    ]);
    expect(created[0]).toEqual({
      name: 'ab-tls',
      namespace: 'web',
      labels: { app: 'web' },
      annotations: {},
      owner: {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
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
    expect(plan(web).warnings).toEqual([]);
  });

  it('reads the option annotations as the Ingress shim does', () => {
    const gw = gateway('opts', [https('a', 'a.example.test', 'a-tls')], {
      'acme6.io/issuer': 'local',
      'acme6.io/private-key-algorithm': 'RSA',
      'acme6.io/private-key-size': '3072',
      'acme6.io/renew-before': '360h',
    });
    expect(createdBy(gw)[0]!.spec).toEqual({
      secretName: 'a-tls',
      dnsNames: ['a.example.test'],
      issuerRef: { name: 'local', kind: 'Issuer' },
      renewBefore: '360h',
      privateKey: { algorithm: 'RSA', size: 3072 },
    });
  });

  it('refuses bad annotations as a whole, naming the annotation, and writes nothing', () => {
    const gw = gateway('bad', [https('a', 'a.example.test', 'a-tls')], {
      'acme6.io/cluster-issuer': 'prod',
      'acme6.io/private-key-size': 'big',
    });
    const result = plan(gw);
    expect(result.actions).toEqual([]);
    expect(result.badConfig).toEqual([
      { where: 'acme6.io/private-key-size', message: '"big" is not a whole number' },
    ]);
  });

  it('skips a listener without hostname and a certificateRef elsewhere, with a warning each', () => {
    const gw = gateway('mixed', [
      https('nohost', undefined, 'x-tls'),
      https('other-ns', 'o.example.test', 'o-tls', { namespace: 'certs' }),
      https('other-kind', 'k.example.test', 'k-tls', { group: 'example.com', kind: 'Vault' }),
      https('good', 'g.example.test', 'g-tls'),
      https('same-ns', 's.example.test', 's-tls', { namespace: 'web' }),
    ]);
    const result = plan(gw);
    expect(result.actions.map((a) => (a.type === 'create' ? a.certificate.name : a.type))).toEqual([
      'g-tls',
      's-tls',
    ]);
    expect(result.warnings).toEqual([
      'listener nohost has no hostname: a certificate needs one, so it was skipped (set spec.listeners[].hostname to the name to certify)',
      "listener other-ns: certificateRef Secret certs/o-tls is not a Secret in the Gateway's namespace web: acme6 only writes Secrets there, so it was skipped",
      "listener other-kind: certificateRef example.com/Vault web/k-tls is not a Secret in the Gateway's namespace web: acme6 only writes Secrets there, so it was skipped",
    ]);
  });

  it('ignores HTTP listeners and TLS passthrough, and says so when nothing is left', () => {
    const gw = gateway('plain', [
      { name: 'http', port: 80, protocol: 'HTTP', hostname: 'a.example.test' },
      { name: 'pass', port: 443, protocol: 'TLS', hostname: 'p.example.test', tls: { mode: 'Passthrough' } },
    ]);
    const result = plan(gw);
    expect(result.actions).toEqual([]);
    expect(result.warnings).toEqual([
      'no HTTPS or TLS listener names a Secret in tls.certificateRefs: there is no certificate to request',
    ]);
  });

  it('updates a Certificate whose hostnames changed and prunes one whose listener is gone', () => {
    const before = createdBy(web);
    const after = gateway('web', [https('a', 'a.example.test', 'ab-tls')]);
    const result = plan(
      after,
      before.map((c) => stored(c)),
    );
    expect(result.actions).toEqual([
      expect.objectContaining({ type: 'update', resourceVersion: '7' }),
      {
        type: 'delete',
        name: 'c-tls',
        uid: 'cert-c-tls',
        resourceVersion: '7',
        why: 'no listener of the Gateway names its Secret any more',
      },
    ]);
    const update = result.actions[0]!;
    expect(update.type === 'update' && update.certificate.spec.dnsNames).toEqual(['a.example.test']);
  });

  it('leaves up-to-date Certificates alone', () => {
    const certs = createdBy(web).map((c) => stored(c));
    expect(plan(web, certs).actions).toEqual([]);
  });

  it('deletes its Certificates when the issuer annotation goes', () => {
    const certs = createdBy(web).map((c) => stored(c));
    const bare = gateway('web', web.spec!.listeners!, {});
    expect(plan(bare, certs).actions.map((a) => a.type)).toEqual(['delete', 'delete']);
  });

  it('does not touch a Certificate another object controls, and lets the first Gateway take a shared Secret', () => {
    const other = gateway(
      'older',
      [https('x', 'x.example.test', 'c-tls')],
      undefined,
      '2025-01-01T00:00:00Z',
    );
    const result = plan(web, [], [other]);
    expect(result.actions.map((a) => (a.type === 'create' ? a.certificate.name : a.type))).toEqual([
      'ab-tls',
    ]);
    expect(result.warnings).toEqual([
      'Secret c-tls is also claimed by Gateway older: one Certificate can have only one Gateway, so give each Gateway its own Secret',
    ]);
    const byIngress = { ...createdBy(other)[0]!, name: 'ab-tls' };
    byIngress.owner = { ...byIngress.owner, kind: 'Ingress', apiVersion: 'networking.k8s.io/v1' };
    const foreign = stored(byIngress);
    expect(plan(web, [foreign]).warnings).toEqual([
      'Certificate ab-tls exists and is not controlled by this Gateway (its controller is Ingress older): it was left unchanged',
    ]);
  });

  it('names the listener whose hostname the Certificate schema refuses', () => {
    const gw = gateway('long', [
      https('a', 'a.example.test', 'a-tls'),
      https('b', `${'x'.repeat(70)}.example.test`, 'a-tls'),
    ]);
    const result = plan(gw);
    expect(result.actions).toEqual([]);
    expect(result.badConfig.map((p) => p.where)).toEqual(['spec.listeners[1].hostname']);
  });
});

describe('gateway-shim keys', () => {
  const web = gateway('web', [https('a', 'a.example.test', 'a-tls')]);
  const other = gateway('other', [
    https('a', 'a.example.test', 'a-tls'),
    https('b', 'b.example.test', 'b-tls'),
  ]);
  const gatewaysIn = () => [web, other];

  it('maps a Certificate to its controller and every Gateway naming its Secret', () => {
    const cert = stored(createdBy(web)[0]!);
    expect(gatewayKeysForCertificate(cert, gatewaysIn).sort()).toEqual(['web/other', 'web/web']);
  });

  it('maps a Gateway to itself and the Gateways sharing one of its Secrets', () => {
    expect(gatewayKeysForGateway(other, gatewaysIn).sort()).toEqual(['web/other', 'web/web']);
  });
});
