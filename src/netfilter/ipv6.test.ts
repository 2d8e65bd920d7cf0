import { describe, expect, it } from 'vitest';
import { canonicalIPv6, canonicalPrefix, inPrefix, isGlobalUnicast, isUla, prefixWithin } from './ipv6.ts';

describe('ipv6 helpers', () => {
  it.each([
    ['fd00:1::5', 'fc00::/7', true],
    ['fc00::1', 'fc00::/7', true],
    ['fe00::1', 'fc00::/7', false],
    ['fe80::1', 'fe80::/10', true],
    ['febf::1', 'fe80::/10', true],
    ['fec0::1', 'fe80::/10', false],
    ['2001:db8::10', '2001:db8::10/128', true],
    ['2001:db8::11', '2001:db8::10', false],
    ['2001:db8::1', '::/0', true],
    ['10.0.0.1', '::/0', false],
    ['2001:db8::1', '2001:db8::/129', false],
  ])('%s in %s is %s', (address, prefix, want) => {
    expect(inPrefix(address, prefix)).toBe(want);
  });

  it('classifies ULA and global unicast addresses', () => {
    expect(isUla('fd00::1')).toBe(true);
    expect(isUla('2001:db8::1')).toBe(false);
    expect(isGlobalUnicast('2001:db8::1')).toBe(true);
    expect(isGlobalUnicast('::1')).toBe(false);
    expect(isGlobalUnicast('fe80::1%eth0')).toBe(false);
  });

  it('canonicalises addresses and prefixes (RFC 5952)', () => {
    expect(canonicalIPv6('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIPv6('2001:db8:0:1:0:0:0:0')).toBe('2001:db8:0:1::');
    expect(canonicalIPv6('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(canonicalIPv6('not-an-address')).toBeUndefined();
    expect(canonicalPrefix('fd00:1::5/64')).toBe('fd00:1::/64');
    expect(canonicalPrefix('fd00:1::5')).toBe('fd00:1::5/128');
    expect(prefixWithin('fd00:1::/64', 'fc00::/7')).toBe(true);
    expect(prefixWithin('fc00::/6', 'fc00::/7')).toBe(false);
  });
});
