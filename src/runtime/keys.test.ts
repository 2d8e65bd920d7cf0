import { describe, expect, it } from 'vitest';
import { objectKey, parseKey } from './keys.ts';

describe('objectKey / parseKey', () => {
  it('keys namespaced objects as namespace/name and cluster-scoped ones as name', () => {
    expect(objectKey({ metadata: { namespace: 'team-a', name: 'www' } })).toBe('team-a/www');
    expect(objectKey({ metadata: { name: 'letsencrypt' } })).toBe('letsencrypt');
    expect(objectKey({ metadata: { name: 'letsencrypt', namespace: '' } })).toBe('letsencrypt');
  });

  it('refuses an object without a name', () => {
    expect(() => objectKey({ metadata: { namespace: 'team-a' } })).toThrow(/metadata.name/);
  });

  it('parses keys back into references', () => {
    expect(parseKey('team-a/www')).toEqual({ namespace: 'team-a', name: 'www' });
    expect(parseKey('letsencrypt')).toEqual({ namespace: undefined, name: 'letsencrypt' });
    expect(parseKey(objectKey({ metadata: { namespace: 'n', name: 'x' } }))).toEqual({
      namespace: 'n',
      name: 'x',
    });
  });

  it('rejects malformed keys', () => {
    for (const key of ['', '/', 'a/', '/b', 'a/b/c'])
      expect(() => parseKey(key)).toThrow(/invalid object key/);
  });
});
