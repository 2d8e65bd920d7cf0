import { describe, expect, it } from 'vitest';
import { parseRestore } from './parse.ts';
import { tracePacket } from './tracer.ts';

const RULES = parseRestore(`*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:SVC - [0:0]
:SKIP - [0:0]
-A PREROUTING -m comment --comment "svc hook" -j SVC
-A SVC -j SKIP
-A SVC -d 2001:db8::10/128 -p tcp -m tcp --dport 80 -m comment --comment "dnat" -j DNAT --to-destination [fd00::5]:8080
-A SKIP -s 2001:db8:bad::/48 -m comment --comment "skip" -j RETURN
-A POSTROUTING -s fd00::/8 ! -d fd00::/8 -m comment --comment "masq" -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -i eth0 -d fd00::5/128 -m conntrack --ctstate DNAT -m comment --comment "published" -j ACCEPT
-A FORWARD -i cni+ -m comment --comment "egress" -j ACCEPT
COMMIT
`);
const OPTIONS = { localAddresses: ['2001:db8::10'], masqueradeAddress: '2001:db8::10' };

describe('tracePacket', () => {
  it('follows jumps and returns, applies DNAT, and records the rules hit in order', () => {
    const result = tracePacket(
      RULES,
      {
        hook: 'PREROUTING',
        src: '2001:db8:1::1',
        dst: '2001:db8::10',
        proto: 'tcp',
        dport: 80,
        inInterface: 'eth0',
      },
      OPTIONS,
    );
    expect(result).toMatchObject({
      verdict: 'ACCEPT',
      delivery: 'out',
      dst: 'fd00::5',
      dport: 8080,
      dnat: true,
    });
    // The uncommented jump to SKIP is hit; SKIP's RETURN is not (the source does not match).
    expect(result.hits.map((h) => h.comment)).toEqual(['svc hook', undefined, 'dnat', 'published']);
  });

  it('returns from a user chain on RETURN and carries on in the caller', () => {
    const result = tracePacket(
      RULES,
      {
        hook: 'PREROUTING',
        src: '2001:db8:bad::1',
        dst: '2001:db8::10',
        proto: 'tcp',
        dport: 80,
        inInterface: 'eth0',
      },
      OPTIONS,
    );
    expect(result.hits.map((h) => h.comment)).toEqual(['svc hook', undefined, 'skip', 'dnat', 'published']);
  });

  it('delivers to INPUT when the destination stays local', () => {
    const result = tracePacket(
      RULES,
      {
        hook: 'PREROUTING',
        src: '2001:db8:1::1',
        dst: '2001:db8::10',
        proto: 'tcp',
        dport: 81,
        inInterface: 'eth0',
      },
      OPTIONS,
    );
    expect(result).toMatchObject({ verdict: 'ACCEPT', delivery: 'local', dnat: false });
  });

  it('applies the built-in policy when nothing accepts', () => {
    const result = tracePacket(
      RULES,
      {
        hook: 'PREROUTING',
        src: '2001:db8:1::1',
        dst: 'fd00::5',
        proto: 'tcp',
        dport: 8080,
        inInterface: 'eth0',
      },
      OPTIONS,
    );
    expect(result).toMatchObject({ verdict: 'DROP', delivery: 'none' });
  });

  it('masquerades in POSTROUTING, with interface wildcards', () => {
    const result = tracePacket(
      RULES,
      {
        hook: 'PREROUTING',
        src: 'fd00::5',
        dst: '2001:db8:1::1',
        proto: 'udp',
        dport: 53,
        inInterface: 'cni0',
      },
      OPTIONS,
    );
    expect(result).toMatchObject({ verdict: 'ACCEPT', src: '2001:db8::10', masqueraded: true });
  });

  it('skips nat chains for packets of established flows', () => {
    const result = tracePacket(
      RULES,
      { hook: 'OUTPUT', src: 'fd00::5', dst: '2001:db8:1::1', proto: 'tcp', dport: 80, state: 'ESTABLISHED' },
      OPTIONS,
    );
    expect(result).toMatchObject({ verdict: 'ACCEPT', src: 'fd00::5', masqueraded: false, hits: [] });
  });
});
