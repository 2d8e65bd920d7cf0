import type { V1Service } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { Mapping } from './model.ts';
import { annotationChanges, publishedAnnotationKey, publishedValues } from './status.ts';

const m = (service: string, protocol: 'TCP' | 'UDP', port: number, targetPort: number): Mapping => ({
  service,
  protocol,
  nodeAddress: '2001:db8::1',
  port,
  podAddress: 'fd00::2',
  targetPort,
});

const svc = (name: string, annotations: Record<string, string> = {}): V1Service => ({
  metadata: { namespace: 'web', name, annotations },
});

describe('status annotation', () => {
  it('has one key per node, shortened with a hash past 63 characters', () => {
    expect(publishedAnnotationKey('node-a')).toBe('ipv6-published.acme6.io/node-a');
    const long = `${'a'.repeat(60)}.example.com`;
    const key = publishedAnnotationKey(long);
    const name = key.split('/')[1] ?? '';
    expect(name).toHaveLength(63);
    expect(name).toMatch(/^a{46}-[0-9a-f]{16}$/);
    expect(publishedAnnotationKey(`${'a'.repeat(60)}.example.org`)).not.toBe(key);
  });

  it('lists node/[address]:port/PROTO -> [pod]:port per Service', () => {
    expect(
      publishedValues('node-a', [m('web/shop', 'TCP', 443, 8443), m('web/shop', 'UDP', 53, 5353)]),
    ).toEqual(
      new Map([
        [
          'web/shop',
          'node-a/[2001:db8::1]:443/TCP -> [fd00::2]:8443, node-a/[2001:db8::1]:53/UDP -> [fd00::2]:5353',
        ],
      ]),
    );
  });

  it('changes only what differs: sets new values, removes stale ones, leaves equal ones', () => {
    const key = publishedAnnotationKey('node-a');
    const services = [svc('same', { [key]: 'v1' }), svc('stale', { [key]: 'old' }), svc('new'), svc('other')];
    const wanted = new Map([
      ['web/same', 'v1'],
      ['web/new', 'v2'],
    ]);
    expect(annotationChanges(services, key, wanted).map((c) => [c.name, c.value])).toEqual([
      ['stale', null],
      ['new', 'v2'],
    ]);
  });
});
