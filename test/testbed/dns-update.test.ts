import { describe, expect, it } from 'vitest';
import { zoneOf } from './dns-update.ts';

const dns = { zones: ['example.test.', 'acme6.test.', 'sub.example.test.'] };

describe('zoneOf', () => {
  it('finds the most specific zone of a name, with or without the final dot', () => {
    expect(zoneOf(dns, 'app.example.test')).toBe('example.test.');
    expect(zoneOf(dns, 'www.sub.example.test.')).toBe('sub.example.test.');
    expect(zoneOf(dns, 'APP.Acme6.Test')).toBe('acme6.test.');
    expect(zoneOf(dns, 'example.test')).toBe('example.test.');
  });

  it('refuses a name outside the testbed zones', () => {
    expect(() => zoneOf(dns, 'app.notexample.test')).toThrow(/none of the testbed's zones/);
  });
});
