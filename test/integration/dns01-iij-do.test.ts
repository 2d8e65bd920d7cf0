// The IIJ DO-API provider against the DO-API emulator, which publishes commits into the testbed's
// real BIND primary: the shared conformance suite (checked with dig at both servers), then zone
// choice, staging, and how key, signature-expiry and service failures reach the user.
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IijDoProvider, type IijDoSettings } from '../../src/solvers/dns01/iij-do/provider.ts';
import {
  Dns01TerminalError,
  Dns01TransientError,
  type ChallengeRecord,
} from '../../src/solvers/dns01/provider.ts';
import { isTerminalError } from '../../src/runtime/errors.ts';
import { IijDoEmulator } from '../emulators/iij-do/server.ts';
import { digTxt } from '../testbed/dns-dig.ts';
import { describeDns01Conformance } from './dns01-conformance.ts';
import { testbedDns, txtAtBothServers, uniqueLabel } from './dns01-testbed.ts';

const ZONE = 'acme6.test.';
const SERVICE_CODE = 'do0000001';
const ACCESS_KEY = `AK${randomBytes(8).toString('hex')}`;
const SECRET_KEY = `sk-${randomBytes(16).toString('hex')}`;

let emulator: IijDoEmulator | undefined;
const providers: IijDoProvider[] = [];

beforeAll(async () => {
  emulator = await IijDoEmulator.start({
    serviceCode: SERVICE_CODE,
    zones: ['acme6.test', 'example.test', 'sub.example.test'],
    credentials: { [ACCESS_KEY]: SECRET_KEY },
    dns: testbedDns(),
  });
});

afterAll(async () => {
  for (const p of providers) p.close();
  await emulator?.close();
});

/** The running emulator. */
function em(): IijDoEmulator {
  if (!emulator) throw new Error('emulator not started');
  return emulator;
}

/** A provider for the emulator, with short backoff, plus overrides. */
function provider(overrides: Partial<IijDoSettings> = {}): IijDoProvider {
  const p = new IijDoProvider({
    endpoint: em().endpoint,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    serviceCode: SERVICE_CODE,
    caBundlePem: em().caPem,
    timeoutMs: 5000,
    backoffMs: 50,
    ...overrides,
  });
  providers.push(p);
  return p;
}

describeDns01Conformance('IIJ DO-API (emulator publishing into BIND)', () => provider(), txtAtBothServers, {
  zone: ZONE,
});

const record = (zone = ZONE): ChallengeRecord => ({
  fqdn: `_acme-challenge.${uniqueLabel('do')}.${zone}`,
  zone,
  value: randomBytes(32).toString('base64url'),
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

/** Removes the test's record at `owner` in `zone`, whatever state a failed run left it in. */
function dropStaged(zone: string, owner: string): void {
  const left = em()
    .state.records(zone)
    .find((x) => x.Owner === owner && x.Status !== 'DELETING');
  if (left) em().state.delete(zone, left.Id);
}

/** POST lines among the requests since `seen`. */
const postsSince = (seen: number): string[] =>
  em()
    .requests.slice(seen)
    .filter((line) => line.startsWith('POST'));

describe('IIJ DO-API provider against the emulator', () => {
  it('uses the longest matching zone of the service and stores the value quoted', async () => {
    const r = { ...record('sub.example.test.'), zone: 'example.test.' };
    await provider().present(r);
    const owner = r.fqdn.replace(/\.sub\.example\.test\.$/, '');
    expect(em().state.records('sub.example.test')).toContainEqual(
      expect.objectContaining({
        Owner: owner,
        RecordType: 'TXT',
        RData: `"${r.value}"`,
        Status: 'UNCHANGED',
      }),
    );
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
    expect(em().state.records('sub.example.test')).toEqual([]);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([]);
  });

  it('keeps two records at one owner (wildcard + apex) and deletes only ours', async () => {
    const first = record();
    const second = { ...first, value: randomBytes(32).toString('base64url') };
    await provider().present(first);
    await provider().present(second);
    await provider().present(second);
    const owner = first.fqdn.slice(0, -ZONE.length - 1);
    expect(
      em()
        .state.records('acme6.test')
        .filter((x) => x.Owner === owner),
    ).toHaveLength(2);
    await provider().cleanUp(first);
    expect(await digTxt(testbedDns().primary, first.fqdn)).toEqual([second.value]);
    await provider().cleanUp(second);
    expect(await digTxt(testbedDns().primary, first.fqdn)).toEqual([]);
  });

  it('serves staged records only after a commit, which is service-wide, and refuses exact duplicates', () => {
    const label = uniqueLabel('staged');
    const body = { Owner: `${label}.${ZONE}`, TTL: '300', RecordType: 'TXT', RData: 'staged' };
    const staged = em().state.add('acme6.test', body);
    expect(staged).toMatchObject({ Owner: label, Status: 'ADDING', RData: '"staged"' });
    expect(() => em().state.add('acme6.test', { ...body, RData: '"staged"' })).toThrow(/already exists/);
    expect(() => em().state.add('acme6.test', { ...body, TTL: '60' })).toThrow(/invalid parameters/);
    em().state.add('example.test', { ...body, Owner: label });
    expect(
      em()
        .state.published('acme6.test')
        .find((x) => x.Id === staged.Id),
    ).toBeUndefined();
    // One commit publishes the staged edits of every zone of the service.
    em().state.commit();
    expect(em().state.published('acme6.test')).toContainEqual(expect.objectContaining({ Owner: label }));
    expect(em().state.published('example.test')).toContainEqual(expect.objectContaining({ Owner: label }));
    for (const zone of ['acme6.test', 'example.test']) {
      em().state.delete(
        zone,
        em()
          .state.records(zone)
          .find((x) => x.Owner === label)!.Id,
      );
    }
    em().state.commit();
    expect(
      em()
        .state.records('example.test')
        .filter((x) => x.Owner === label),
    ).toEqual([]);
  });

  it("never commits while another zone of the service has someone else's staged edit, and says why", async () => {
    const label = uniqueLabel('foreign');
    const foreign = em().state.add('example.test', {
      Owner: label,
      TTL: '300',
      RecordType: 'TXT',
      RData: 'half-finished change',
    });
    const r = record();
    try {
      const err = await failure(provider().present(r));
      expect(err).toBeInstanceOf(Dns01TransientError);
      expect(err.message).toContain(`service ${SERVICE_CODE} has 1 staged edit(s) that are not acme6's`);
      expect(err.message).toContain(`TXT ${label}.example.test (addition)`);
      expect(err.message).toContain('a commit is service-wide and would publish them too');
      // Nothing was published, ours was not even staged, and the foreign edit is still pending.
      expect(
        em()
          .state.records('example.test')
          .find((x) => x.Id === foreign.Id)?.Status,
      ).toBe('ADDING');
      expect(await digTxt(testbedDns().primary, `${label}.example.test.`)).toEqual([]);
      expect(
        em()
          .state.records('acme6.test')
          .filter((x) => x.RData === `"${r.value}"`),
      ).toEqual([]);
      // Nothing to remove means nothing to commit, so the foreign edit does not stand in the way.
      await expect(provider().cleanUp(r)).resolves.toBeUndefined();
    } finally {
      dropStaged('example.test', label);
    }
    await provider().present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([]);
  });

  it('looks again right before its commit: an edit staged meanwhile by someone else is not published', async () => {
    const label = uniqueLabel('meanwhile');
    let foreignId = '';
    em().faults.afterNextRecordWrite(() => {
      foreignId = em().state.add('sub.example.test', {
        Owner: label,
        TTL: '300',
        RecordType: 'A',
        RData: '192.0.2.7',
      }).Id;
    });
    const r = record();
    try {
      const err = await failure(provider().present(r));
      expect(err).toBeInstanceOf(Dns01TransientError);
      expect(err.message).toContain(`A ${label}.sub.example.test (addition)`);
      expect(
        em()
          .state.records('sub.example.test')
          .find((x) => x.Id === foreignId)?.Status,
      ).toBe('ADDING');
      // Ours stays staged; the next present commits it once the way is clear.
      expect(
        em()
          .state.records('acme6.test')
          .find((x) => x.RData === `"${r.value}"`)?.Status,
      ).toBe('ADDING');
      expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([]);
    } finally {
      em().faults.reset();
      dropStaged('sub.example.test', label);
    }
    await provider().present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
  });

  it('finishes a present or cleanUp whose commit never happened (staged by an interrupted run)', async () => {
    const r = record();
    const owner = r.fqdn.slice(0, -ZONE.length - 1);
    const staged = em().state.add('acme6.test', {
      Owner: owner,
      TTL: '300',
      RecordType: 'TXT',
      RData: r.value,
    });
    const seen = em().requests.length;
    await provider().present(r);
    expect(postsSince(seen)).toEqual([]);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    const committed = em()
      .state.records('acme6.test')
      .find((x) => x.Owner === owner)!;
    expect(committed.Id).not.toBe(staged.Id);
    em().state.delete('acme6.test', committed.Id);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
    expect(
      em()
        .state.records('acme6.test')
        .filter((x) => x.Owner === owner),
    ).toEqual([]);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([]);
  });

  it('reports a wrong secret key as terminal with the API error text, never the keys', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    const err = await failure(provider({ secretKey: wrong }).present(record()));
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(isTerminalError(err)).toBe(true);
    expect(err.message).toContain('HTTP 401 AuthenticationError: The signature does not match.');
    expect(err.message).toContain('secretKeySecretRef');
    expect(err.message).not.toContain(wrong);
    expect(err.message).not.toContain(SECRET_KEY);
  });

  it('rides out 503 for the first two requests', async () => {
    const r = record();
    em().faults.failRequests(2, 503);
    await provider().present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
  });

  it('retries a POST refused with 429 but never one that got a 500 (it may have been applied)', async () => {
    const r = record();
    let seen = em().requests.length;
    em().faults.failRequests(1, 429, 'POST');
    await provider().present(r);
    expect(postsSince(seen)).toHaveLength(2);
    await provider().cleanUp(r);

    seen = em().requests.length;
    em().faults.failRequests(1, 500, 'POST');
    const err = await failure(provider().present(r));
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect(err.message).toContain('HTTP 500 InternalServerError: System error occurred.');
    expect(postsSince(seen)).toHaveLength(1);
    await provider().present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
  });

  it('says the signature expired and points at the clock when this host runs behind', async () => {
    const err = await failure(provider({ clockSkewMs: -2 * 3600_000 }).present(record()));
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(err.message).toMatch(
      /AuthenticationError: The request has expired \(x-iijapi-Expire \S+Z is in the past\)/,
    );
    expect(err.message).toContain('check this host clock');
    expect(err.message).not.toContain(SECRET_KEY);
  });

  it('refuses a signature that expired on arrival (emulator clock ahead) and a later present works', async () => {
    em().faults.clockAheadMs = 2 * 3600_000;
    try {
      const err = await failure(provider().present(record()));
      expect(err).toBeInstanceOf(Dns01TerminalError);
      expect(err.message).toContain('The request has expired');
    } finally {
      em().faults.clockAheadMs = 0;
    }
    const r = record();
    await provider().present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
  });

  it('refuses unsigned requests with an ErrorResponse body', async () => {
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        `${em().endpoint}/r/20140601/${SERVICE_CODE}/zones.json`,
        { ca: em().caPem },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(401);
    expect(JSON.parse(text)).toMatchObject({ ErrorResponse: { ErrorType: 'AuthenticationError' } });
  });
});
