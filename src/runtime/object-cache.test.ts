import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ObjectCache } from './object-cache.ts';

function obj(name: string, resourceVersion: string | undefined, namespace?: string): KubernetesObject {
  return { metadata: { name, namespace, resourceVersion } };
}

describe('ObjectCache', () => {
  it('reports adds and updates, but not re-puts of the same resourceVersion', () => {
    const cache = new ObjectCache();
    expect(cache.upsert(obj('a', '1', 'ns'))?.type).toBe('add');
    expect(cache.upsert(obj('a', '1', 'ns'))).toBeUndefined();
    const update = cache.upsert(obj('a', '2', 'ns'));
    expect(update).toMatchObject({ type: 'update', old: { metadata: { resourceVersion: '1' } } });
    expect(cache.size).toBe(1);
  });

  it('treats objects without a resourceVersion as changed every time', () => {
    const cache = new ObjectCache();
    cache.upsert(obj('a', undefined));
    expect(cache.upsert(obj('a', undefined))?.type).toBe('update');
  });

  it('separates namespaces and cluster-scoped objects', () => {
    const cache = new ObjectCache();
    cache.upsert(obj('a', '1', 'x'));
    cache.upsert(obj('a', '1', 'y'));
    cache.upsert(obj('a', '1'));
    expect(cache.get('a', 'x')?.metadata?.namespace).toBe('x');
    expect(cache.get('a')?.metadata?.namespace).toBeUndefined();
    expect(cache.list('y')).toHaveLength(1);
    expect(cache.list()).toHaveLength(3);
    expect(cache.list('missing')).toEqual([]);
  });

  it('removes objects once', () => {
    const cache = new ObjectCache();
    cache.upsert(obj('a', '1', 'x'));
    expect(cache.remove(obj('a', '2', 'x'))).toMatchObject({ type: 'delete' });
    expect(cache.remove(obj('a', '2', 'x'))).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('replaces its contents with a full list, reporting every difference', () => {
    const cache = new ObjectCache();
    cache.replaceAll([obj('keep', '1', 'n'), obj('gone', '1', 'n'), obj('change', '1', 'n')]);
    const changes = cache.replaceAll([obj('keep', '1', 'n'), obj('change', '2', 'n'), obj('new', '1', 'n')]);
    expect(changes.map((change) => `${change.type} ${change.obj.metadata?.name}`).sort()).toEqual([
      'add new',
      'delete gone',
      'update change',
    ]);
    expect(cache.size).toBe(3);
  });
});
