import { describe, expect, it } from 'vitest';
import { apiPath, splitName, txtRecordBody, unquoteRdata } from './requests.ts';

describe('DO-API requests', () => {
  it('picks the longest zone and a relative owner, case-insensitively', () => {
    const zones = ['example.com', 'sub.example.com'];
    expect(splitName('_acme-challenge.my.sub.example.com.', zones)).toEqual({
      zone: 'sub.example.com',
      owner: '_acme-challenge.my',
    });
    expect(splitName('_acme-challenge.Example.COM.', zones)).toEqual({
      zone: 'example.com',
      owner: '_acme-challenge',
    });
    expect(splitName('sub.example.com.', zones)).toEqual({ zone: 'sub.example.com', owner: '@' });
    expect(splitName('_acme-challenge.notexample.com.', zones)).toBeUndefined();
  });

  it('builds paths under /r/20140601/{svc}', () => {
    expect(apiPath('do1', 'example.com', 'record', '963.json')).toBe(
      '/r/20140601/do1/example.com/record/963.json',
    );
    expect(apiPath('do1', '192.0.2.0/24', 'records', 'DETAIL.json')).toBe(
      '/r/20140601/do1/192.0.2.0%2F24/records/DETAIL.json',
    );
  });

  it("sends the TXT value unquoted, in doapi's key order, TTL as a string", () => {
    expect(txtRecordBody('_acme-challenge', 300, 'abc')).toBe(
      '{"Owner":"_acme-challenge","TTL":"300","RecordType":"TXT","RData":"abc"}',
    );
  });

  it('compares TXT values quoted or not', () => {
    expect(unquoteRdata('"abc"')).toBe('abc');
    expect(unquoteRdata('abc')).toBe('abc');
    expect(unquoteRdata('"')).toBe('"');
  });
});
