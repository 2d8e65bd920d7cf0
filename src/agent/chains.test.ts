import { describe, expect, it } from 'vitest';
import { Chains, isOwnedChain, MAX_CHAIN_NAME, serviceChain } from './chains.ts';

describe('chain names', () => {
  it('fit the 28-character limit, even for the longest Service keys', () => {
    const longest = `${'n'.repeat(63)}/${'s'.repeat(63)}`;
    for (const name of [...Object.values(Chains), serviceChain(longest), serviceChain('a/b')]) {
      expect(name.length).toBeLessThanOrEqual(MAX_CHAIN_NAME);
      expect(isOwnedChain(name)).toBe(true);
    }
  });

  it('are stable and distinct per Service', () => {
    expect(serviceChain('web/shop')).toBe(serviceChain('web/shop'));
    expect(serviceChain('web/shop')).toMatch(/^ACME6-SVC-[0-9A-F]{16}$/);
    expect(serviceChain('web/shop')).not.toBe(serviceChain('web/shop2'));
    // Pinned so an accidental change of the scheme (which would orphan every host's chains) shows.
    expect(serviceChain('web/shop')).toMatchInlineSnapshot(`"ACME6-SVC-4586AE564E21E933"`);
  });

  it('does not claim other tools’ chains', () => {
    expect(isOwnedChain('KUBE-SERVICES')).toBe(false);
    expect(isOwnedChain('DOCKER')).toBe(false);
  });
});
