import { describe, expect, it } from 'vitest';
import { renderCleanup } from './cleanup.ts';

const nat = `*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:ACME6-PREROUTING - [0:0]
:ACME6-SVC-0123456789ABCDEF - [0:0]
:OTHER-CHAIN - [0:0]
-A PREROUTING -j OTHER-CHAIN
-A PREROUTING -m comment --comment "acme6: hook" -j ACME6-PREROUTING
-A ACME6-PREROUTING -m comment --comment "acme6: service web/shop" -j ACME6-SVC-0123456789ABCDEF
-A OTHER-CHAIN -s 2001:db8:99::/64 -j RETURN
COMMIT
`;

describe('renderCleanup', () => {
  it('flushes and deletes our chains and deletes only the tagged jumps of built-in chains', () => {
    expect(renderCleanup({ nat, filter: '*filter\n:FORWARD DROP [0:0]\nCOMMIT\n' })).toBe(
      [
        '*nat',
        ':ACME6-PREROUTING - [0:0]',
        ':ACME6-SVC-0123456789ABCDEF - [0:0]',
        '-D PREROUTING -m comment --comment "acme6: hook" -j ACME6-PREROUTING',
        '-X ACME6-PREROUTING',
        '-X ACME6-SVC-0123456789ABCDEF',
        'COMMIT',
        '',
      ].join('\n'),
    );
  });

  it('is empty when nothing of ours is installed', () => {
    expect(renderCleanup({ nat: '*nat\n:PREROUTING ACCEPT [0:0]\nCOMMIT\n', filter: '' })).toBe('');
  });
});
