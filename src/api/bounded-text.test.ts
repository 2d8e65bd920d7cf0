import { describe, expect, it } from 'vitest';
import { boundedText, boundedUrl, MAX_FOREIGN_TEXT, MAX_URL } from './bounded-text.ts';

describe('boundedText', () => {
  it('keeps short text as it is', () => {
    expect(boundedText('badNonce: try again')).toBe('badNonce: try again');
    expect(boundedText('x'.repeat(MAX_FOREIGN_TEXT))).toBe('x'.repeat(MAX_FOREIGN_TEXT));
  });

  it('cuts long text to the limit, keeping head and tail and saying how much went', () => {
    const text = `${'h'.repeat(60_000)}${'m'.repeat(40_000)}; next attempt at 2026-12-05T15:00:00Z`;
    const bounded = boundedText(text, 4096);
    expect(bounded.length).toBeLessThanOrEqual(4096);
    expect(bounded.length).toBeGreaterThan(4000);
    expect(bounded.startsWith('hhhh')).toBe(true);
    expect(bounded.endsWith('; next attempt at 2026-12-05T15:00:00Z')).toBe(true);
    const cut = Number(/… \[truncated (\d+) characters\] …/.exec(bounded)?.[1]);
    expect(bounded.length - ` … [truncated ${cut} characters] … `.length + cut).toBe(text.length);
  });

  it('never splits a surrogate pair', () => {
    const bounded = boundedText('😀'.repeat(5000), 1000);
    expect(bounded.length).toBeLessThanOrEqual(1000);
    expect(Buffer.from(bounded, 'utf8').toString('utf8')).toBe(bounded);
    expect(bounded).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });

  it('bounds URLs', () => {
    const url = `https://ca.example/acme/order/${'a'.repeat(10_000)}`;
    expect(boundedUrl(url).length).toBeLessThanOrEqual(MAX_URL);
    expect(boundedUrl('https://ca.example/dir')).toBe('https://ca.example/dir');
  });
});
