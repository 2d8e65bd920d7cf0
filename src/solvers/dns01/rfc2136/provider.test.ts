import { inspect } from 'node:util';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Dns01TerminalError, Dns01TransientError, type ChallengeRecord } from '../provider.ts';
import { respondTo, startScriptedDnsServer, type ScriptedDnsServer } from '../testing-server.ts';
import { Opcode, Rcode, RecordClass } from '../wire/constants.ts';
import { decodeMessage } from '../wire/message.ts';
import { joinTxtStrings } from '../wire/txt.ts';
import { Rfc2136Provider } from './provider.ts';
import { readTsig, signMessage, type TsigKey } from './tsig.ts';

const secret = 'c2NyaXB0ZWQgc2VydmVyIHNlY3JldCBmb3IgdW5pdCB0ZXN0cw==';
const key: TsigKey = { name: 'unit-key.', algorithm: 'HMACSHA256', secret: Buffer.from(secret, 'base64') };
const now = new Date('2026-11-25T00:00:00Z');
const nowSeconds = now.getTime() / 1000;
const record: ChallengeRecord = {
  fqdn: '_acme-challenge.www.example.test.',
  zone: 'example.test.',
  value: 'digest-value',
};

const vectors = JSON.parse(
  readFileSync(new URL('testdata/bind-tsig-vectors.json', import.meta.url), 'utf8'),
) as {
  cases: { case: string; response: string }[];
};
const bindBadsigResponse = Buffer.from(vectors.cases.find((c) => c.case === 'badsig')!.response, 'hex');

let server: ScriptedDnsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server that answers each update with `rcode`, signed over the request MAC like BIND. */
async function signingServer(rcode: number = Rcode.NOERROR, signingKey = key): Promise<ScriptedDnsServer> {
  return await startScriptedDnsServer((request) => {
    const requestMac = readTsig(request, decodeMessage(request))!.mac;
    return signMessage(respondTo(request, { rcode }), signingKey, nowSeconds, 300, requestMac).signed;
  });
}

const provider = (port: number, overrides: { secret?: string; timeoutMs?: number } = {}) =>
  new Rfc2136Provider({
    nameserver: `127.0.0.1:${port}`,
    tsig: { keyName: key.name, algorithm: key.algorithm, secret: overrides.secret ?? secret },
    timeoutMs: overrides.timeoutMs ?? 2000,
    clock: { now: () => now },
  });

async function failure(promise: Promise<unknown>): Promise<Error> {
  return (await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  )) as Error;
}

describe('Rfc2136Provider', () => {
  it('sends one signed UPDATE over TCP that adds the value in the zone', async () => {
    server = await signingServer();
    await provider(server.port).present(record);
    expect(server.requests.map((r) => r.protocol)).toEqual(['TCP']);
    const sent = decodeMessage(server.requests[0]!.bytes);
    expect(sent.opcode).toBe(Opcode.UPDATE);
    expect(sent.questions[0]!.name).toBe('example.test.');
    const [update] = sent.authorities;
    expect(update).toMatchObject({ name: record.fqdn, class: RecordClass.IN, ttl: 60 });
    expect(update!.data.kind === 'txt' && joinTxtStrings(update!.data.strings)).toBe(record.value);
    expect(readTsig(server.requests[0]!.bytes, sent)).toMatchObject({
      keyName: 'unit-key.',
      timeSigned: nowSeconds,
    });
  });

  it('deletes exactly its value on cleanUp (class NONE)', async () => {
    server = await signingServer();
    await provider(server.port).cleanUp(record);
    expect(decodeMessage(server.requests[0]!.bytes).authorities[0]).toMatchObject({
      class: RecordClass.NONE,
      ttl: 0,
    });
  });

  it('does not trust a NOERROR whose signature does not verify', async () => {
    server = await signingServer(Rcode.NOERROR, { ...key, secret: Buffer.from('someone else') });
    const err = await failure(provider(server.port).present(record));
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect(err.message).toBe(
      `RFC 2136 update of ${record.fqdn} at 127.0.0.1:${server.port} failed: the response MAC does not verify (BADSIG)`,
    );
  });

  it('does not trust an unsigned NOERROR', async () => {
    server = await startScriptedDnsServer((request) => respondTo(request));
    const err = await failure(provider(server.port).present(record));
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect(err.message).toContain('failed: the response is not signed');
  });

  it('retries SERVFAIL (transient) but not REFUSED (terminal)', async () => {
    server = await signingServer(Rcode.SERVFAIL);
    expect(await failure(provider(server.port).present(record))).toBeInstanceOf(Dns01TransientError);
    await server.close();
    server = await signingServer(Rcode.REFUSED);
    expect(await failure(provider(server.port).present(record))).toBeInstanceOf(Dns01TerminalError);
  });

  it("reads the BADSIG in BIND's unsigned NOTAUTH, and never shows the secret", async () => {
    // named's real answer to a bad MAC (captured in testdata), given the ID of each request.
    server = await startScriptedDnsServer((request) => {
      const response = Buffer.from(bindBadsigResponse);
      response.writeUInt16BE(request.readUInt16BE(0), 0);
      return response;
    });
    const wrong = Buffer.from('the wrong secret, by mistake').toString('base64');
    const p = provider(server.port, { secret: wrong });
    const err = await failure(p.present(record));
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(err.message).toBe(
      `RFC 2136 update of ${record.fqdn} at 127.0.0.1:${server.port} refused: NOTAUTH (TSIG BADSIG: is the secret right?)`,
    );
    for (const text of [
      err.message,
      err.stack ?? '',
      inspect(err, { depth: 5 }),
      inspect(p, { depth: 5 }),
      JSON.stringify(p),
    ]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(Buffer.from(wrong, 'base64').toString('hex'));
    }
  });

  it('reports a silent server as transient after its deadline', async () => {
    server = await startScriptedDnsServer(() => undefined);
    const err = await failure(provider(server.port, { timeoutMs: 200 }).present(record));
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect(err.message).toBe(
      `RFC 2136 update of ${record.fqdn} at 127.0.0.1:${server.port} failed over TCP: no answer within 200 ms`,
    );
  });

  it('sends unsigned updates when no key is configured', async () => {
    server = await startScriptedDnsServer((request) => respondTo(request));
    await new Rfc2136Provider({ nameserver: `127.0.0.1:${server.port}` }).present(record);
    expect(decodeMessage(server.requests[0]!.bytes).additionals).toEqual([]);
  });

  it('rejects configuration that cannot work, terminally and without echoing the secret', () => {
    expect(() => new Rfc2136Provider({ nameserver: 'host:99999' })).toThrow(Dns01TerminalError);
    const notBase64 = 'not base64 at all!';
    const make = () =>
      new Rfc2136Provider({
        nameserver: '127.0.0.1:53',
        tsig: { keyName: 'k.', algorithm: 'HMACSHA256', secret: notBase64 },
      });
    expect(make).toThrow(new Dns01TerminalError('the TSIG secret for key k. is not valid base64'));
  });
});
