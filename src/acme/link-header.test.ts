import { describe, expect, it } from 'vitest';
import { linkTargets } from './link-header.ts';

describe('linkTargets', () => {
  const base = 'https://ca.test/acme/cert/1';

  it('returns the alternate chains of a certificate answer, resolved against its URL', () => {
    const header =
      '<https://ca.test/dir>;rel="index", <https://ca.test/acme/cert/1/1>;rel="alternate", </acme/cert/1/2>; rel=alternate';
    expect(linkTargets(header, 'alternate', base)).toEqual([
      'https://ca.test/acme/cert/1/1',
      'https://ca.test/acme/cert/1/2',
    ]);
    expect(linkTargets(header, 'index', base)).toEqual(['https://ca.test/dir']);
  });

  it('handles several relations in one link and commas inside URLs', () => {
    expect(linkTargets('<https://ca.test/a,b>; rel="up alternate"', 'alternate', base)).toEqual([
      'https://ca.test/a,b',
    ]);
  });

  it('returns nothing without a header', () => {
    expect(linkTargets(undefined, 'alternate', base)).toEqual([]);
  });
});
