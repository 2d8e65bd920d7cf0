import { describe, expect, it } from 'vitest';
import { encodeSegment, formatExpire, signRequest, stringToSign } from './signing.ts';

const keys = { accessKey: 'AKEXAMPLE', secretKey: 'secret-key' };
const expire = new Date('2026-01-01T00:00:00.000Z');

describe('DO-API signing', () => {
  it('formats Expire in UTC without fractional seconds', () => {
    expect(formatExpire(new Date('2026-03-04T05:06:07.891Z'))).toBe('2026-03-04T05:06:07Z');
  });

  it('lays out the StringToSign as §4.2: empty MD5 and Content-Type lines, sorted lowercase headers', () => {
    const sts = stringToSign(
      'get',
      '',
      { 'X-Iijapi-SignatureVersion': '2', 'x-iijapi-Expire': 'E', 'x-iijapi-SignatureMethod': 'HmacSHA256' },
      '/r/20140601/do1/zones.json',
    );
    expect(sts).toBe(
      'GET\n\n\nx-iijapi-expire:E\nx-iijapi-signaturemethod:HmacSHA256\nx-iijapi-signatureversion:2\n/r/20140601/do1/zones.json',
    );
  });

  // Expected values from the manual's recipe: printf '<sts>' | openssl dgst -sha256 -binary -hmac … | base64.
  it('signs a GET like openssl does', () => {
    const headers = signRequest(
      { method: 'GET', path: '/r/20140601/do0000001/zones.json', hasBody: false },
      keys,
      expire,
    );
    expect(headers).toEqual({
      'x-iijapi-Expire': '2026-01-01T00:00:00Z',
      'x-iijapi-SignatureMethod': 'HmacSHA256',
      'x-iijapi-SignatureVersion': '2',
      Authorization: 'IIJAPI AKEXAMPLE:BMwWYjegt8ewbDJbIpqUxUX1KW1S6HWwAic6fpkQ0Jo=',
    });
  });

  it('signs Content-Type on a POST with a body', () => {
    const headers = signRequest(
      { method: 'POST', path: '/r/20140601/do0000001/example.com/record.json', hasBody: true },
      keys,
      expire,
    );
    expect(headers.Authorization).toBe('IIJAPI AKEXAMPLE:nL3nY47EobBVDsQs5YRyW0MjKO2Uhna/c1tzbos7BF4=');
    expect(headers['Content-Type']).toBe('application/json');
  });

  it('percent-encodes path segments with upper-case hex', () => {
    expect(encodeSegment('192.0.2.0/24')).toBe('192.0.2.0%2F24');
    expect(encodeSegment('a b:c~_-.')).toBe('a%20b%3Ac~_-.');
  });
});
