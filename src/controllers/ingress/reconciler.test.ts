import { ApiException, type V1Ingress } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import type { EventRecorder } from '../../kube/events.ts';
import { silentLogger } from '../../runtime/logger.ts';
import type { CertificateWriter } from './certificate-writer.ts';
import type { DesiredCertificate } from './plan.ts';
import { IngressShimReconciler } from './reconciler.ts';

/** A state-based fake of the Certificates of one namespace, as the apiserver would hold them. */
class FakeCertificates implements CertificateWriter {
  readonly stored = new Map<string, Certificate>();
  private version = 1;
  failNext: ApiException<unknown> | undefined;

  private save(want: DesiredCertificate): void {
    this.stored.set(want.name, {
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'Certificate',
      metadata: {
        name: want.name,
        namespace: want.namespace,
        uid: `uid-${want.name}`,
        resourceVersion: String(++this.version),
        labels: want.labels,
        annotations: want.annotations,
        ownerReferences: [want.owner],
      },
      spec: want.spec as Certificate['spec'],
    });
  }

  private maybeFail(): void {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
  }

  create(want: DesiredCertificate): Promise<void> {
    this.maybeFail();
    this.save(want);
    return Promise.resolve();
  }

  update(want: DesiredCertificate, resourceVersion: string): Promise<boolean> {
    this.maybeFail();
    if (this.stored.get(want.name)?.metadata.resourceVersion !== resourceVersion) {
      throw new ApiException(409, 'Conflict', {}, {});
    }
    this.save(want);
    return Promise.resolve(true);
  }

  delete(_ns: string, name: string, pre: { uid: string }): Promise<boolean> {
    this.maybeFail();
    if (this.stored.get(name)?.metadata.uid !== pre.uid) return Promise.resolve(false);
    this.stored.delete(name);
    return Promise.resolve(true);
  }
}

function setup(annotations: Record<string, string>, hosts = ['a.example.test']) {
  let current: V1Ingress | undefined = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'web', namespace: 'team', uid: 'uid-web', annotations },
    spec: { tls: [{ hosts, secretName: 'web-tls' }] },
  };
  const certificates = new FakeCertificates();
  const events: string[] = [];
  const recorder: EventRecorder = {
    normal: (ref, reason, message) =>
      void events.push(`Normal ${reason} ${ref.kind}/${ref.name}: ${message}`),
    warning: (ref, reason, message) =>
      void events.push(`Warning ${reason} ${ref.kind}/${ref.name}: ${message}`),
  };
  const reconciler = new IngressShimReconciler({
    getIngress: () => current,
    listIngresses: () => (current ? [current] : []),
    listCertificates: () => [...certificates.stored.values()],
    writer: certificates,
    recorder,
    defaults: {},
    logger: silentLogger,
  });
  return {
    certificates,
    events,
    run: () => reconciler.reconcile('team/web'),
    edit: (change: (i: V1Ingress) => void) => {
      if (current) change(current);
    },
    remove: () => (current = undefined),
  };
}

describe('ingress-shim reconciler', () => {
  it('creates, updates and deletes the Certificate, each with one Event on the Ingress', async () => {
    const t = setup({ 'acme6.io/issuer': 'team-ca' });
    await t.run();
    expect(t.certificates.stored.get('web-tls')?.spec.dnsNames).toEqual(['a.example.test']);
    await t.run(); // nothing changed: no write, no Event
    t.edit((i) => i.spec!.tls![0]!.hosts!.push('b.example.test'));
    await t.run();
    expect(t.certificates.stored.get('web-tls')?.spec.dnsNames).toEqual(['a.example.test', 'b.example.test']);
    t.edit((i) => (i.metadata!.annotations = {}));
    await t.run();
    expect(t.certificates.stored.size).toBe(0);
    expect(t.events).toEqual([
      'Normal CreateCertificate Ingress/web: Created Certificate web-tls for a.example.test',
      'Normal UpdateCertificate Ingress/web: Updated Certificate web-tls for a.example.test, b.example.test',
      'Normal DeleteCertificate Ingress/web: Deleted Certificate web-tls: the Ingress no longer asks for certificates (no acme6 issuer annotation)',
    ]);
  });

  it('records BadConfig naming the annotation and writes nothing', async () => {
    const t = setup({ 'acme6.io/issuer': 'team-ca', 'acme6.io/renew-before': 'soon' });
    await t.run();
    expect(t.certificates.stored.size).toBe(0);
    expect(t.events).toEqual([
      expect.stringMatching(
        /^Warning BadConfig Ingress\/web: acme6\.io\/renew-before: must be a Go duration .*; no Certificate was changed$/,
      ),
    ]);
  });

  it('retries a conflict (stale cache) and reports an apiserver refusal without retrying', async () => {
    const t = setup({ 'acme6.io/issuer': 'team-ca' });
    t.certificates.failNext = new ApiException(409, 'Conflict', {}, {});
    await expect(t.run()).rejects.toMatchObject({ code: 409 });
    t.certificates.failNext = new ApiException(422, 'Invalid', { message: 'spec.dnsNames: Too many' }, {});
    await expect(t.run()).resolves.toEqual({});
    expect(t.events).toEqual([
      'Warning BadConfig Ingress/web: Certificate web-tls was refused by the apiserver: spec.dnsNames: Too many',
    ]);
    await t.run();
    expect(t.certificates.stored.has('web-tls')).toBe(true);
  });

  it('leaves Certificates to garbage collection once the Ingress is gone', async () => {
    const t = setup({ 'acme6.io/issuer': 'team-ca' });
    await t.run();
    t.remove();
    await t.run();
    expect(t.certificates.stored.has('web-tls')).toBe(true);
    expect(t.events).toHaveLength(1);
  });
});
