// The behaviour every dns-01 provider must show against real DNS servers, after cert-manager's
// provider conformance suite: run it once per provider (RFC 2136 here; the IIJ providers later).
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChallengeRecord, Dns01Provider } from '../../src/solvers/dns01/provider.ts';

/** The TXT values each authoritative server holds at `fqdn`, keyed by a name for the server. */
export type CheckVisible = (fqdn: string) => Promise<Record<string, string[]>>;

/** Where the suite may write, and how long values may take to reach every server. */
export interface ConformanceOptions {
  /** A zone the provider can write in, fully qualified ("example.test."). */
  zone: string;
  /** How long a change may take to show at every server (default 30 s). */
  propagationTimeoutMs?: number;
}

/** A fresh challenge name and a value shaped like a real key authorization digest. */
function freshRecord(zone: string): ChallengeRecord {
  return {
    fqdn: `_acme-challenge.conformance-${randomBytes(4).toString('hex')}.${zone}`,
    zone,
    value: randomBytes(32).toString('base64url'),
  };
}

/** Defines the conformance tests for one provider. */
export function describeDns01Conformance(
  name: string,
  makeProvider: () => Dns01Provider | Promise<Dns01Provider>,
  checkVisible: CheckVisible,
  options: ConformanceOptions,
): void {
  const timeout = options.propagationTimeoutMs ?? 30_000;
  const presented: ChallengeRecord[] = [];

  const present = async (provider: Dns01Provider, record: ChallengeRecord): Promise<void> => {
    presented.push(record);
    await provider.present(record);
  };

  /** Waits until every server holds exactly `values` at `fqdn`; fails naming the servers that do not. */
  const expectEverywhere = async (fqdn: string, values: string[]): Promise<void> => {
    const servers = Object.keys(await checkVisible(fqdn));
    expect(servers.length, 'checkVisible names at least one server').toBeGreaterThan(0);
    const expected = Object.fromEntries(servers.map((server) => [server, [...values].sort()]));
    await expect
      .poll(
        async () =>
          Object.fromEntries(
            Object.entries(await checkVisible(fqdn)).map(([server, found]) => [server, [...found].sort()]),
          ),
        { timeout, interval: 100 },
      )
      .toEqual(expected);
  };

  describe(`dns-01 provider conformance: ${name}`, () => {
    afterAll(async () => {
      const provider = await makeProvider();
      for (const record of presented) await provider.cleanUp(record);
    });

    it('present makes the value visible at every authoritative server', async () => {
      const provider = await makeProvider();
      const record = freshRecord(options.zone);
      await present(provider, record);
      await expectEverywhere(record.fqdn, [record.value]);
    });

    it('keeps two values at one name (a wildcard and its apex)', async () => {
      const provider = await makeProvider();
      const first = freshRecord(options.zone);
      const second = { ...first, value: randomBytes(32).toString('base64url') };
      await present(provider, first);
      await present(provider, second);
      await expectEverywhere(first.fqdn, [first.value, second.value]);
    });

    it('present is idempotent: twice leaves one value', async () => {
      const provider = await makeProvider();
      const record = freshRecord(options.zone);
      await present(provider, record);
      await present(provider, record);
      await expectEverywhere(record.fqdn, [record.value]);
    });

    it('cleanUp removes only its own value', async () => {
      const provider = await makeProvider();
      const kept = freshRecord(options.zone);
      const removed = { ...kept, value: randomBytes(32).toString('base64url') };
      await present(provider, kept);
      await present(provider, removed);
      await expectEverywhere(kept.fqdn, [kept.value, removed.value]);
      await provider.cleanUp(removed);
      await expectEverywhere(kept.fqdn, [kept.value]);
    });

    it('cleanUp of a value that is not there succeeds, and so does a second cleanUp', async () => {
      const provider = await makeProvider();
      const never = freshRecord(options.zone);
      await expect(provider.cleanUp(never)).resolves.toBeUndefined();
      const once = freshRecord(options.zone);
      await present(provider, once);
      await provider.cleanUp(once);
      await expect(provider.cleanUp(once)).resolves.toBeUndefined();
      await expectEverywhere(once.fqdn, []);
      await expectEverywhere(never.fqdn, []);
    });
  });
}
