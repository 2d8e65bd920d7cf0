// The RFC 2136 provider against the testbed's real BIND primary (and its secondary): the shared
// conformance suite, then how each kind of refusal and failure reaches the user.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  Dns01TerminalError,
  Dns01TransientError,
  type ChallengeRecord,
} from '../../src/solvers/dns01/provider.ts';
import { isTerminalError } from '../../src/runtime/errors.ts';
import { digTxt } from '../testbed/dns-dig.ts';
import { freePort } from '../testbed/ports.ts';
import { describeDns01Conformance } from './dns01-conformance.ts';
import { testbedDns, testbedProvider, txtAtBothServers, uniqueLabel } from './dns01-testbed.ts';

describeDns01Conformance(
  'RFC 2136 (BIND primary, TSIG HMAC-SHA256)',
  () => testbedProvider(),
  txtAtBothServers,
  {
    zone: 'example.test.',
  },
);

const record = (value = randomBytes(32).toString('base64url')): ChallengeRecord => ({
  fqdn: `_acme-challenge.${uniqueLabel('rfc2136')}.example.test.`,
  zone: 'example.test.',
  value,
});

/** The error `promise` rejects with. */
async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('RFC 2136 provider against BIND', () => {
  it('writes a value longer than 255 bytes as one record that reads back whole', async () => {
    const long = record('v'.repeat(300));
    await testbedProvider().present(long);
    expect(await digTxt(testbedDns().primary, long.fqdn)).toEqual([long.value]);
    await testbedProvider().cleanUp(long);
    expect(await digTxt(testbedDns().primary, long.fqdn)).toEqual([]);
  });

  it('reaches the primary over IPv6 too', async ({ skip }) => {
    const v6 = testbedDns().primaryV6;
    if (!v6) return skip('no IPv6 loopback on this host');
    const r = record();
    await testbedProvider({ nameserver: v6 }).present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await testbedProvider({ nameserver: v6 }).cleanUp(r);
  });

  it('reports a wrong TSIG secret as terminal BADSIG, naming the server but never the secret', async () => {
    const wrongSecret = randomBytes(32).toString('base64');
    const r = record();
    const err = await failure(
      testbedProvider({
        tsig: { keyName: testbedDns().tsig.keyName, algorithm: 'HMACSHA256', secret: wrongSecret },
      }).present(r),
    );
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(isTerminalError(err)).toBe(true);
    expect(err.message).toBe(
      `RFC 2136 update of ${r.fqdn} at ${testbedDns().primary} refused: NOTAUTH (TSIG BADSIG: is the secret right?)`,
    );
    expect(err.message).not.toContain(wrongSecret);
    expect(err.message).not.toContain(testbedDns().tsig.secret);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([]);
  });

  it('reports a key the server does not know as terminal BADKEY', async () => {
    const err = await failure(
      testbedProvider({
        tsig: { keyName: 'unknown-key.', algorithm: 'HMACSHA256', secret: testbedDns().tsig.secret },
      }).present(record()),
    );
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(err.message).toContain('refused: NOTAUTH (TSIG BADKEY: the server does not know key unknown-key.');
  });

  it('reports the right key with the wrong algorithm as terminal', async () => {
    const { keyName, secret } = testbedDns().tsig;
    const err = await failure(
      testbedProvider({ tsig: { keyName, algorithm: 'HMACSHA512', secret } }).present(record()),
    );
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(err.message).toMatch(/refused: NOTAUTH \(TSIG BAD(KEY|SIG)/);
  });

  it('reports an unsigned update as terminal REFUSED, pointing at the missing key', async () => {
    const err = await failure(testbedProvider({ tsig: undefined }).present(record()));
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(err.message).toContain(
      'refused: REFUSED (the server does not allow unsigned updates to zone example.test.',
    );
  });

  it('reports an update sent to the secondary as terminal (it knows no key and takes no updates)', async () => {
    const err = await failure(testbedProvider({ nameserver: testbedDns().secondary }).present(record()));
    expect(err).toBeInstanceOf(Dns01TerminalError);
    // BIND checks the signature before anything else, so the secondary answers BADKEY.
    expect(err.message).toContain(`at ${testbedDns().secondary} refused: REFUSED (TSIG BADKEY`);
  });

  it('reports a zone the server is not authoritative for as terminal NOTAUTH', async () => {
    const err = await failure(
      testbedProvider().present({
        fqdn: '_acme-challenge.elsewhere.invalid.',
        zone: 'elsewhere.invalid.',
        value: 'x',
      }),
    );
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(err.message).toContain(
      'refused: NOTAUTH (the server is not authoritative for zone elsewhere.invalid.',
    );
  });

  it('reports a clock far off the server as transient BADTIME', async () => {
    const skewed = testbedProvider({ clock: { now: () => new Date(Date.now() - 3600_000) } });
    const err = await failure(skewed.present(record()));
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect(err.message).toContain('TSIG BADTIME');
  });

  it('reports an unreachable server as transient, naming it', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const r = record();
    const err = await failure(testbedProvider({ nameserver: closed, timeoutMs: 2000 }).present(r));
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect(isTerminalError(err)).toBe(false);
    expect(err.message).toBe(
      `RFC 2136 update of ${r.fqdn} at ${closed} failed over TCP: connection refused (is a DNS server listening there?)`,
    );
  });
});
