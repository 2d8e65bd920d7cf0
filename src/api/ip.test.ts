import { describe, expect, it } from 'vitest';
import { isCelIPv6, parseIPv4, parseIPv6 } from './ip.ts';

describe('parseIPv6 (Go netip rules)', () => {
  it.each([
    '::',
    '::1',
    '2001:db8::53',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:7::',
    '::1:2:3:4:5:6:7',
    '0001:db8::',
    '::1.2.3.4',
    '1:2:3:4:5:6:1.2.3.4',
    'FE80::1',
  ])('accepts %s', (text) => {
    expect(parseIPv6(text)).toBeDefined();
  });

  it.each([
    '',
    ':',
    ':::',
    '1::2::3',
    '12345::',
    '1:2:3:4:5:6:7:8::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:',
    ':1',
    '::1:',
    '1:2:3:4:5:6:7:1.2.3.4',
    '::01.2.3.4',
    '::1.2.3',
    'g::1',
  ])('rejects %j', (text) => {
    expect(parseIPv6(text)).toBeUndefined();
  });

  it('expands the ellipsis in the right place', () => {
    expect([...(parseIPv6('2001:db8::53') ?? [])]).toEqual([
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53,
    ]);
  });
});

describe('isCelIPv6 (CEL isIP() for IPv6)', () => {
  it('rejects zones and IPv4-mapped addresses', () => {
    expect(isCelIPv6('fe80::1%eth0')).toBe(false);
    expect(isCelIPv6('::ffff:192.0.2.1')).toBe(false);
    expect(isCelIPv6('::ffff:c000:201')).toBe(false);
    expect(isCelIPv6('::192.0.2.1')).toBe(true);
    expect(isCelIPv6('2001:db8::1')).toBe(true);
  });
});

describe('parseIPv4', () => {
  it('accepts dotted quads and rejects leading zeros and out-of-range octets', () => {
    expect(parseIPv4('192.0.2.1')).toEqual(new Uint8Array([192, 0, 2, 1]));
    expect(parseIPv4('192.0.2.01')).toBeUndefined();
    expect(parseIPv4('256.0.0.1')).toBeUndefined();
    expect(parseIPv4('1.2.3')).toBeUndefined();
  });
});
