import { describe, expect, it } from 'vitest';
import { ANNOTATION_EXPOSE_IPV6, ANNOTATION_EXPOSE_PORTS } from '../api/group.ts';
import { service, slice } from './testing.ts';
import {
  serviceKey,
  sliceBelongsTo,
  sliceSelectorOf,
  slimServiceMeta,
  wantsPublishing,
  watchChanges,
} from './watch-selection.ts';

describe('wantsPublishing', () => {
  it('wants "true" and any other value but "false" (the model reports those); not absent or "false"', () => {
    expect(wantsPublishing(service('a/s', []))).toBe(true);
    expect(wantsPublishing(service('a/s', [], { expose: 'yes' }))).toBe(true);
    expect(wantsPublishing(service('a/s', [], { expose: '' }))).toBe(true);
    expect(wantsPublishing(service('a/s', [], { expose: 'false' }))).toBe(false);
    expect(wantsPublishing(service('a/s', [], {}))).toBe(false);
    expect(wantsPublishing(service('a/s', [], { ports: 'https' }))).toBe(false);
    expect(wantsPublishing({})).toBe(false);
  });
});

describe('slimServiceMeta', () => {
  it('keeps identity and acme6 annotations only, and still answers wantsPublishing', () => {
    const slim = slimServiceMeta({
      apiVersion: 'meta.k8s.io/v1',
      kind: 'PartialObjectMetadata',
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'u-1',
        resourceVersion: '42',
        labels: { app: 'web' },
        annotations: {
          [ANNOTATION_EXPOSE_IPV6]: 'true',
          [ANNOTATION_EXPOSE_PORTS]: 'https',
          'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(4096),
          'other.acme6.io.example/x': 'y',
        },
        managedFields: [{ manager: 'kubectl', operation: 'Apply' }],
      },
    });
    expect(slim).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web',
        namespace: 'shop',
        uid: 'u-1',
        resourceVersion: '42',
        annotations: { [ANNOTATION_EXPOSE_IPV6]: 'true', [ANNOTATION_EXPOSE_PORTS]: 'https' },
      },
    });
    expect(wantsPublishing(slim)).toBe(true);
    expect(serviceKey(slim)).toBe('shop/web');
  });

  it('has no annotations at all for a Service without acme6 ones', () => {
    const slim = slimServiceMeta({ metadata: { name: 'db', namespace: 'shop', annotations: { a: 'b' } } });
    expect(slim.metadata).toEqual({ name: 'db', namespace: 'shop' });
    expect(wantsPublishing(slim)).toBe(false);
  });
});

describe('which EndpointSlices belong to a Service', () => {
  const ep = [{ address: 'fd00::2', node: 'n' }];
  it('selects by the service-name label in the Service namespace', () => {
    expect(sliceSelectorOf('web')).toBe('kubernetes.io/service-name=web');
    expect(sliceBelongsTo(slice('shop/web', [], ep), 'shop/web')).toBe(true);
    expect(sliceBelongsTo(slice('other/web', [], ep), 'shop/web')).toBe(false);
    expect(sliceBelongsTo(slice('shop/web2', [], ep), 'shop/web')).toBe(false);
    expect(
      sliceBelongsTo({ addressType: 'IPv6', metadata: { namespace: 'shop', name: 'orphan' } }, 'shop/web'),
    ).toBe(false);
  });
});

describe('watchChanges', () => {
  it('starts the newly wanted and stops the no longer wanted, leaving the rest', () => {
    expect(watchChanges(['a/x', 'a/y'], ['a/y', 'b/z', 'a/w'])).toEqual({
      start: ['a/w', 'b/z'],
      stop: ['a/x'],
    });
    expect(watchChanges([], [])).toEqual({ start: [], stop: [] });
    expect(watchChanges(['a/x'], ['a/x'])).toEqual({ start: [], stop: [] });
  });
});
