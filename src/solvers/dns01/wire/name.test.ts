import { describe, expect, it } from 'vitest';
import {
  encodeCanonicalName,
  encodeName,
  fqdn,
  isInZone,
  nameToLabels,
  parentName,
  readName,
  sameName,
} from './name.ts';

const wire = (...parts: (string | number)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.from([p]) : Buffer.from(p, 'latin1'))));

describe('presentation-form names', () => {
  it('qualifies names with one trailing dot', () => {
    expect(fqdn('example.test')).toBe('example.test.');
    expect(fqdn('example.test.')).toBe('example.test.');
    expect(fqdn('')).toBe('.');
    expect(fqdn('a\\.')).toBe('a\\..');
  });

  it('compares case-insensitively, with or without the trailing dot', () => {
    expect(sameName('_ACME-Challenge.Example.TEST', '_acme-challenge.example.test.')).toBe(true);
    expect(sameName('a.example.test', 'b.example.test')).toBe(false);
  });

  it('knows which names lie in a zone', () => {
    expect(isInZone('_acme-challenge.www.example.test.', 'example.test')).toBe(true);
    expect(isInZone('example.test', 'EXAMPLE.test.')).toBe(true);
    expect(isInZone('notexample.test', 'example.test')).toBe(false);
    expect(isInZone('anything.', '.')).toBe(true);
  });

  it('walks up one label at a time, respecting escaped dots', () => {
    expect(parentName('a.b.example.')).toBe('b.example.');
    expect(parentName('example.')).toBe('.');
    expect(parentName('.')).toBeUndefined();
    expect(parentName('a\\.b.example.')).toBe('example.');
  });

  it('resolves escapes into label bytes', () => {
    expect(nameToLabels('a\\.b.c\\032d.').map((l) => l.toString('latin1'))).toEqual(['a.b', 'c d']);
  });
});

describe('wire-form names', () => {
  it('encodes length-prefixed labels ending in the root', () => {
    expect(encodeName('www.example.test')).toEqual(wire(3, 'www', 7, 'example', 4, 'test', 0));
    expect(encodeName('.')).toEqual(wire(0));
  });

  it('refuses names DNS cannot carry', () => {
    expect(() => encodeName(`${'a'.repeat(64)}.test`)).toThrow(/longer than 63/);
    expect(() => encodeName(`${Array(64).fill('abc').join('.')}.test`)).toThrow(/longer than 255/);
    expect(() => encodeName('a..test')).toThrow(/empty label/);
  });

  it('lower-cases only letters in canonical form', () => {
    expect(encodeCanonicalName('Hmac-SHA256.')).toEqual(wire(11, 'hmac-sha256', 0));
  });

  it('reads compressed names and reports where the name ends in place', () => {
    // "example.test." at 0, then "www" + pointer to 0 at 14.
    const message = Buffer.concat([wire(7, 'example', 4, 'test', 0), wire(3, 'www', 0xc0, 0)]);
    expect(readName(message, 0)).toEqual({ name: 'example.test.', end: 14 });
    expect(readName(message, 14)).toEqual({ name: 'www.example.test.', end: 20 });
  });

  it('escapes dots and unprintable bytes inside labels when reading', () => {
    expect(readName(wire(3, 'a.b', 2, 'c ', 0), 0).name).toBe('a\\.b.c\\032.');
  });

  it('rejects pointer loops, forward pointers and truncation', () => {
    expect(() => readName(wire(0xc0, 0), 0)).toThrow(/backwards/);
    expect(() => readName(wire(1, 'a', 0xc0, 0), 0)).toThrow(/backwards/);
    expect(() => readName(wire(5, 'ab'), 0)).toThrow(/truncated/);
    expect(() => readName(wire(0x40), 0)).toThrow(/label type/);
  });
});
