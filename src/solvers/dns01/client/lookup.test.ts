import { describe, expect, it } from 'vitest';
import { Dns01TransientError } from '../provider.ts';
import { FakeDnsServers } from '../testing.ts';
import { Rcode, RecordType } from '../wire/constants.ts';
import { lookupThrough, systemNameservers } from './lookup.ts';
import { parseNameserver } from './nameserver.ts';

describe('lookupThrough', () => {
  it('asks the servers in order, with recursion desired, moving past one that refuses', async () => {
    const dns = new FakeDnsServers().serveZone('192.0.2.2:53', 'example.test', [
      { name: 'www.example.test', type: 'A', value: '192.0.2.80' },
    ]);
    dns.serveZone('192.0.2.1:53', 'other.test');
    const lookup = lookupThrough([parseNameserver('192.0.2.1'), parseNameserver('192.0.2.2')], dns);
    const response = await lookup.query('www.example.test.', RecordType.A);
    expect(response.answers.map((r) => r.data)).toEqual([{ kind: 'address', address: '192.0.2.80' }]);
    expect(dns.asked.map((a) => [a.server, a.question.recursionDesired])).toEqual([
      ['192.0.2.1:53', true],
      ['192.0.2.2:53', true],
    ]);
  });

  it('takes NXDOMAIN as an answer', async () => {
    const dns = new FakeDnsServers().serveZone('192.0.2.1:53', 'example.test');
    const response = await lookupThrough([parseNameserver('192.0.2.1')], dns).query(
      'nope.example.test.',
      RecordType.A,
    );
    expect(response.rcode).toBe(Rcode.NXDOMAIN);
  });

  it('fails transiently, listing what each server did, when none answers', async () => {
    const dns = new FakeDnsServers().serveZone('192.0.2.1:53', 'other.test');
    const lookup = lookupThrough(
      [parseNameserver('192.0.2.1', 'first'), parseNameserver('192.0.2.9', 'second')],
      dns,
    );
    const err = await lookup.query('www.example.test.', RecordType.A).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect((err as Error).message).toBe(
      'no nameserver answered www.example.test. A: 192.0.2.1:53 (first) answered REFUSED; 192.0.2.9:53 (second) over UDP: no answer within 3000 ms',
    );
  });

  it("reads the system resolver's servers", () => {
    expect(systemNameservers().every((s) => s.port > 0 && s.host !== '')).toBe(true);
  });
});
