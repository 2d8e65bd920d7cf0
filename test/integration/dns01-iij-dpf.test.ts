// The IIJ DPF provider against the DPF emulator, which publishes commits into the testbed's real
// BIND primary: the shared conformance suite (checked with dig at both servers), then how token,
// service, job and foreign-edit failures reach the user.
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IijDpfProvider, type IijDpfSettings } from '../../src/solvers/dns01/iij-dpf/provider.ts';
import {
  Dns01TerminalError,
  Dns01TransientError,
  type ChallengeRecord,
} from '../../src/solvers/dns01/provider.ts';
import { isTerminalError } from '../../src/runtime/errors.ts';
import { txtUpdateCommands, unquoteTxt } from '../emulators/iij-dpf/publish.ts';
import { IijDpfEmulator } from '../emulators/iij-dpf/server.ts';
import { digTxt } from '../testbed/dns-dig.ts';
import { describeDns01Conformance } from './dns01-conformance.ts';
import { testbedDns, txtAtBothServers, uniqueLabel } from './dns01-testbed.ts';

const ZONE = 'acme6.test.';
const SERVICE_CODE = 'dpm12345678';
const TOKEN = `tok-${randomBytes(16).toString('hex')}`;

let emulator: IijDpfEmulator | undefined;
const providers: IijDpfProvider[] = [];

beforeAll(async () => {
  emulator = await IijDpfEmulator.start({
    zones: [{ name: ZONE, serviceCode: SERVICE_CODE }],
    tokens: { [TOKEN]: 'SA0000001', 'someone-else': 'SA0000002' },
    dns: testbedDns(),
  });
});

afterAll(async () => {
  for (const p of providers) p.close();
  await emulator?.close();
});

/** The running emulator. */
function dpf(): IijDpfEmulator {
  if (!emulator) throw new Error('emulator not started');
  return emulator;
}

/** A provider for the emulator, with fast polling, plus overrides. */
function provider(overrides: Partial<IijDpfSettings> = {}): IijDpfProvider {
  const p = new IijDpfProvider({
    endpoint: dpf().endpoint,
    token: TOKEN,
    serviceCode: SERVICE_CODE,
    caBundlePem: dpf().caPem,
    timeoutMs: 5000,
    pollIntervalMs: 50,
    backoffMs: 50,
    ...overrides,
  });
  providers.push(p);
  return p;
}

describeDns01Conformance('IIJ DPF (emulator publishing into BIND)', () => provider(), txtAtBothServers, {
  zone: ZONE,
});

const record = (): ChallengeRecord => ({
  fqdn: `_acme-challenge.${uniqueLabel('dpf')}.${ZONE}`,
  zone: ZONE,
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

describe('IIJ DPF provider against the emulator', () => {
  it('finds the zone by name when no service code is set', async () => {
    const r = record();
    await provider({ serviceCode: undefined, zoneName: 'ACME6.test' }).present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([]);
  });

  it('reports a wrong token as terminal with the API error text, never the token', async () => {
    const wrong = `wrong-${randomBytes(8).toString('hex')}`;
    const err = await failure(provider({ token: wrong }).present(record()));
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(isTerminalError(err)).toBe(true);
    expect(err.message).toContain(
      'HTTP 400 ParameterError: There are invalid parameters. (invalid/access_token)',
    );
    expect(err.message).toContain('API token was refused');
    expect(err.message).not.toContain(wrong);
    expect(err.message).not.toContain(TOKEN);
  });

  it('rides out 503 for the first two requests', async () => {
    const r = record();
    dpf().faults.failRequests(2, 503);
    await provider().present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
  });

  it('does not repeat a POST after a 500 (it may have been applied) and reports it as transient', async () => {
    const r = record();
    const seen = dpf().requests.length;
    dpf().faults.failRequests(1, 500, 'POST');
    const err = await failure(provider().present(r));
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect(err.message).toContain('HTTP 500 SystemError: System error occurred.');
    expect(
      dpf()
        .requests.slice(seen)
        .filter((line) => line.startsWith('POST')),
    ).toHaveLength(1);
    await provider().present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
  });

  it('retries a POST the service refused with 429', async () => {
    const r = record();
    const seen = dpf().requests.length;
    dpf().faults.failRequests(1, 429, 'POST');
    await provider().present(r);
    expect(
      dpf()
        .requests.slice(seen)
        .filter((line) => line.startsWith('POST')),
    ).toHaveLength(2);
    await provider().cleanUp(r);
  });

  it('says so when a job FAILs, and a later present succeeds', async () => {
    const r = record();
    dpf().faults.failJobs(1);
    const err = await failure(provider().present(r));
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect(err.message).toMatch(
      /IIJ DPF job [0-9a-f]{32} for POST \/zones\/\S+\/records FAILED: Bad Request: There are invalid parameters/,
    );
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([]);
    await provider().present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
  });

  it('refuses to commit while someone else has a pending edit in the zone, and says why', async () => {
    const zone = dpf().state.zoneByName(ZONE)!;
    const foreign = {
      id: 'rForeignEdit01',
      name: `www.${ZONE}`,
      ttl: 300,
      rrtype: 'A',
      rdata: [{ value: '192.0.2.1' }],
      labels: {},
      state: 1,
      description: 'half-finished',
      operator: 'SA0000002',
    };
    zone.editing.push(foreign);
    const r = record();
    try {
      const err = await failure(provider().present(r));
      expect(err).toBeInstanceOf(Dns01TransientError);
      expect(err.message).toContain(`zone ${ZONE} has 1 pending edit(s) that are not acme6's`);
      expect(err.message).toContain(`A www.${ZONE} (addition by SA0000002)`);
      expect(err.message).toContain('a commit would publish them too');
      expect(zone.editing.find((row) => row.name === r.fqdn)).toBeUndefined();
      expect(zone.published.find((row) => row.id === foreign.id)).toBeUndefined();
      // Nothing to remove means nothing to commit, so the foreign edit does not stand in the way.
      await expect(provider().cleanUp(r)).resolves.toBeUndefined();
    } finally {
      zone.editing = zone.editing.filter((row) => row.id !== foreign.id);
    }
    await provider().present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
  });

  it('looks again right before its commit: an edit someone else stages meanwhile is not published', async () => {
    const zone = dpf().state.zoneByName(ZONE)!;
    const foreign = {
      id: 'rMeanwhileEd01',
      name: `mail.${ZONE}`,
      ttl: 300,
      rrtype: 'A',
      rdata: [{ value: '192.0.2.25' }],
      labels: {},
      state: 1,
      description: 'started while acme6 was writing',
      operator: 'SA0000002',
    };
    dpf().faults.afterNextRecordWrite(() => zone.editing.push(foreign));
    const r = record();
    try {
      const err = await failure(provider().present(r));
      expect(err).toBeInstanceOf(Dns01TransientError);
      expect(err.message).toContain(`A mail.${ZONE} (addition by SA0000002)`);
      expect(err.message).toContain('a commit would publish them too');
      expect(zone.published.find((row) => row.id === foreign.id)).toBeUndefined();
      expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([]);
    } finally {
      dpf().faults.reset();
      zone.editing = zone.editing.filter((row) => row.id !== foreign.id);
    }
    // Our own staged edit is picked up and committed once the way is clear.
    await provider().present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
  });

  it('works when jobs run for several polls and changes land only when they complete', async () => {
    dpf().configureJobs({ polls: 3, applyAt: 'complete' });
    try {
      const first = record();
      const second = { ...first, value: randomBytes(32).toString('base64url') };
      await provider().present(first);
      await provider().present(second);
      expect((await digTxt(testbedDns().primary, first.fqdn)).sort()).toEqual(
        [first.value, second.value].sort(),
      );
      await provider().cleanUp(first);
      expect(await digTxt(testbedDns().primary, first.fqdn)).toEqual([second.value]);
      await provider().cleanUp(second);
      expect(await digTxt(testbedDns().primary, first.fqdn)).toEqual([]);
    } finally {
      dpf().configureJobs({ polls: 1, applyAt: 'accept' });
    }
  });

  it('picks up its own staged edit left by an interrupted run and commits it', async () => {
    const r = record();
    const zone = dpf().state.zoneByName(ZONE)!;
    zone.editing.push({
      id: 'rLeftoverEdit1',
      name: r.fqdn,
      ttl: 300,
      rrtype: 'TXT',
      rdata: [{ value: `"${r.value}"` }],
      labels: {},
      state: 1,
      description: 'ACME (acme6)',
      operator: 'SA0000001',
    });
    await provider().present(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([r.value]);
    await provider().cleanUp(r);
    expect(await digTxt(testbedDns().primary, r.fqdn)).toEqual([]);
  });
});

/** One raw request to the emulator: status and parsed JSON body. */
function raw(
  method: string,
  path: string,
  body?: unknown,
  token = TOKEN,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${dpf().endpoint}${path}`,
      {
        method,
        ca: dpf().caPem,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

describe('DPF emulator fidelity', () => {
  const zoneId = (): string => dpf().state.zoneByName(ZONE)!.zone.id;
  const detail = (code: string, attribute: string) => ({
    error_type: 'ParameterError',
    error_message: 'There are invalid parameters.',
    error_details: [{ code, attribute }],
  });

  it('answers an unknown token with 400 invalid/access_token and an unknown path with 404', async () => {
    expect(await raw('GET', '/zones', undefined, 'nope')).toMatchObject({
      status: 400,
      body: detail('invalid', 'access_token'),
    });
    expect(await raw('GET', '/nothing')).toMatchObject({
      status: 404,
      body: { error_type: 'NotFound', error_message: 'Specified resource not found.' },
    });
    expect(await raw('GET', '/zones/mUnknownZone01')).toMatchObject({
      status: 400,
      body: detail('not_found', 'zone'),
    });
  });

  it('finds zones by service code with escaped or literal brackets', async () => {
    const escaped = await raw('GET', `/zones/count?_keywords_service_code%5B%5D=${SERVICE_CODE}`);
    expect(escaped.body.result).toEqual({ count: 1 });
    const literal = await raw('GET', `/zones?_keywords_service_code[]=${SERVICE_CODE}`);
    expect(literal.body.results).toMatchObject([{ name: ZONE, service_code: SERVICE_CODE, state: 2 }]);
    expect(literal.body.request_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('enforces TXT quoting and duplicates, and publishes only on commit', async () => {
    const name = `_acme-challenge.${uniqueLabel('fidelity')}.${ZONE}`;
    const post = (value: string) =>
      raw('POST', `/zones/${zoneId()}/records`, { name, ttl: 300, rrtype: 'TXT', rdata: [{ value }] });
    expect(await post('unquoted')).toMatchObject({ status: 400, body: detail('invalid_quotes', 'rdata') });
    const accepted = await post('"v1"');
    expect(accepted.status).toBe(202);
    const job = await raw('GET', `/jobs/${String(accepted.body.request_id)}`);
    expect(Object.keys(job.body).sort()).toEqual(['request_id', 'status']);
    expect(job.body.status).toBe('RUNNING');
    expect(await post('"v2"')).toMatchObject({ status: 400, body: detail('duplicated', 'record') });
    const keyword = `_keywords_name%5B%5D=${name}`;
    expect((await raw('GET', `/zones/${zoneId()}/records/currents/count?${keyword}`)).body.result).toEqual({
      count: 0,
    });
    expect((await raw('GET', `/zones/${zoneId()}/records?${keyword}`)).body.results).toMatchObject([
      { name, state: 1, operator: 'SA0000001', rdata: [{ value: '"v1"' }] },
    ]);
    const commit = await raw('PATCH', `/zones/${zoneId()}/changes`, { description: 'test' });
    expect(commit.status).toBe(202);
    let status: unknown = 'RUNNING';
    while (status === 'RUNNING')
      status = (await raw('GET', `/jobs/${String(commit.body.request_id)}`)).body.status;
    expect(status).toBe('SUCCESSFUL');
    expect((await raw('GET', `/zones/${zoneId()}/records/currents?${keyword}`)).body.results).toMatchObject([
      { name, state: 0, operator: null },
    ]);
    expect(await digTxt(testbedDns().primary, name)).toEqual(['v1']);
    await provider().cleanUp({ fqdn: name, zone: ZONE, value: 'v1' });
    expect(await digTxt(testbedDns().primary, name)).toEqual([]);
  });

  it('serves the lego-like request sequence for a present', async () => {
    const seen = dpf().requests.length;
    const r = record();
    await provider().present(r);
    const paths = dpf()
      .requests.slice(seen)
      .map((line) =>
        line
          .replace(/\?.*$/, '')
          .replace(/[0-9a-f]{32}$/, '{job}')
          .replace(zoneId(), '{zone}'),
      );
    expect(paths).toEqual([
      'GET /zones',
      'GET /zones/{zone}/records/diffs',
      'GET /zones/{zone}/records',
      'POST /zones/{zone}/records',
      'GET /jobs/{job}',
      'GET /jobs/{job}',
      // Pending edits again, right before the commit.
      'GET /zones/{zone}/records/diffs',
      'PATCH /zones/{zone}/changes',
      'GET /jobs/{job}',
      'GET /jobs/{job}',
    ]);
    await provider().cleanUp(r);
  });
});

describe('DPF emulator publishing', () => {
  const txt = (name: string, values: string[]) => ({
    id: 'rAbCdEfGhIjKlM',
    name,
    ttl: 60,
    rrtype: 'TXT',
    rdata: values.map((value) => ({ value })),
    labels: {},
    state: 0,
    description: '',
    operator: null,
  });

  it('unquotes DPF TXT values, joining several strings', () => {
    expect(unquoteTxt('"abc"')).toBe('abc');
    expect(unquoteTxt('"a\\"b" "c"')).toBe('a"bc');
  });

  it('updates only the TXT names whose values changed', () => {
    const same = txt('same.acme6.test.', ['"x"']);
    expect(
      txtUpdateCommands(
        [same, txt('gone.acme6.test.', ['"g"'])],
        [same, txt('new.acme6.test.', ['"n1"', '"n2"'])],
      ),
    ).toEqual([
      'update delete gone.acme6.test. TXT',
      'update delete new.acme6.test. TXT',
      'update add new.acme6.test. 60 TXT "n1"',
      'update add new.acme6.test. 60 TXT "n2"',
    ]);
  });
});
