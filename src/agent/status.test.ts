import { describe, expect, it } from 'vitest';
import type { Mapping } from './model.ts';
import {
  publishedChanges,
  publishedData,
  publishedValues,
  statusConfigMapName,
  statusDataKey,
} from './status.ts';

const m = (service: string, protocol: 'TCP' | 'UDP', port: number, targetPort: number): Mapping => ({
  service,
  protocol,
  nodeAddress: '2001:db8::1',
  port,
  podAddress: 'fd00::2',
  targetPort,
});

describe('status ConfigMap', () => {
  it('has one ConfigMap per node, shortened with a hash past 253 characters', () => {
    expect(statusConfigMapName('node-a')).toBe('acme6-published-node-a');
    const long = `${'a'.repeat(250)}.example.com`;
    const name = statusConfigMapName(long);
    expect(name).toHaveLength(253);
    expect(name).toMatch(/-[0-9a-f]{16}$/);
    expect(statusConfigMapName(`${'a'.repeat(250)}.example.org`)).not.toBe(name);
  });

  it('keys the data by ns.name, sorted', () => {
    expect(statusDataKey('web/shop')).toBe('web.shop');
    expect(Object.keys(publishedData('node-a', [m('web/z', 'TCP', 1, 1), m('web/a', 'TCP', 2, 2)]))).toEqual([
      'web.a',
      'web.z',
    ]);
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

  it('changes only what differs: new values, removed ones, not equal ones', () => {
    const before = new Map([
      ['web/same', 'v1'],
      ['web/stale', 'old'],
    ]);
    const after = new Map([
      ['web/same', 'v1'],
      ['web/new', 'v2'],
    ]);
    expect(publishedChanges(before, after)).toEqual([
      { service: 'web/new', value: 'v2' },
      { service: 'web/stale', value: null },
    ]);
  });
});
