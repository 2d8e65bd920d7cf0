import { describe, expect, it } from 'vitest';
import { saveHasOurs } from './leftovers.ts';

describe('saveHasOurs', () => {
  it('sees our chains and tagged hook jumps, and nothing in a host without them', () => {
    expect(saveHasOurs('*nat\n:PREROUTING ACCEPT [0:0]\n:ACME6-SVC-0123456789abcdef - [0:0]\nCOMMIT\n')).toBe(
      true,
    );
    expect(saveHasOurs('*filter\n-A FORWARD -m comment --comment "acme6: hook" -j OLD-NAME\nCOMMIT\n')).toBe(
      true,
    );
    expect(
      saveHasOurs(
        '*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n',
      ),
    ).toBe(false);
    expect(saveHasOurs('')).toBe(false);
  });
});
