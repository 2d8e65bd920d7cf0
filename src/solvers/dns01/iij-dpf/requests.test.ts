import { describe, expect, it } from 'vitest';
import {
  canonicalName,
  commitBody,
  createTxtBody,
  isInZone,
  quoteTxtValue,
  searchPath,
  updateRdataBody,
} from './requests.ts';

describe('DPF request building', () => {
  it('canonicalises names: lower case with a trailing dot', () => {
    expect(canonicalName('_ACME-Challenge.Example.COM')).toBe('_acme-challenge.example.com.');
    expect(canonicalName('example.com.')).toBe('example.com.');
  });

  it('tells whether a name is in a zone by whole labels', () => {
    expect(isInZone('_acme-challenge.example.com.', 'example.com.')).toBe(true);
    expect(isInZone('example.com.', 'example.com.')).toBe(true);
    expect(isInZone('notexample.com.', 'example.com.')).toBe(false);
  });

  it('wraps TXT values in double quotes, escaping quotes and backslashes', () => {
    expect(quoteTxtValue('Zm9vYmFy')).toBe('"Zm9vYmFy"');
    expect(quoteTxtValue('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it('builds keyword searches with escaped brackets, sorted keys, and paging', () => {
    expect(searchPath('/zones', { service_code: 'dpm12345678' })).toBe(
      '/zones?_keywords_service_code%5B%5D=dpm12345678',
    );
    expect(
      searchPath(
        '/zones/m1/records',
        { rrtype: 'TXT', name: '_acme-challenge.a.' },
        { offset: 0, limit: 100 },
      ),
    ).toBe('/zones/m1/records?_keywords_name%5B%5D=_acme-challenge.a.&_keywords_rrtype%5B%5D=TXT&limit=100');
    expect(searchPath('/zones', {}, { offset: 200, limit: 100 })).toBe('/zones?limit=100&offset=200');
    expect(searchPath('/jobs/x', {})).toBe('/jobs/x');
  });

  it('builds the record and commit bodies lego-style', () => {
    expect(createTxtBody('_acme-challenge.a.', 300, ['"v"'])).toEqual({
      name: '_acme-challenge.a.',
      ttl: 300,
      rrtype: 'TXT',
      rdata: [{ value: '"v"' }],
      description: 'ACME (acme6)',
    });
    expect(updateRdataBody([{ value: '"a"' }, { value: '"b"' }])).toEqual({
      rdata: [{ value: '"a"' }, { value: '"b"' }],
    });
    expect(commitBody()).toEqual({ description: 'ACME Processing (acme6)' });
    expect(String(commitBody().description as string).length).toBeLessThanOrEqual(80);
  });
});
