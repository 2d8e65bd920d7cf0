import { afterEach, describe, expect, it } from 'vitest';
import { Rcode, RecordClass, RecordType } from '../wire/constants.ts';
import { decodeMessage } from '../wire/message.ts';
import { encodeName } from '../wire/name.ts';
import { encodeTxtRdata } from '../wire/txt.ts';
import { respondTo, startScriptedDnsServer, type ScriptedDnsServer } from '../testing-server.ts';
import { WireDnsQuerier } from './querier.ts';
import { DnsTransportError, exchangeTcp, exchangeUdp } from './transport.ts';

let server: ScriptedDnsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A response carrying one TXT answer with `value` for the request's question. */
function txtAnswer(request: Buffer, value: string, truncated = false): Buffer {
  const header = respondTo(request, { truncated });
  header.writeUInt16BE(1, 6); // ANCOUNT
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(RecordType.TXT, 0);
  fixed.writeUInt16BE(RecordClass.IN, 2);
  fixed.writeUInt32BE(60, 4);
  const rdata = encodeTxtRdata(value);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([header, encodeName('q.example.test.'), fixed, rdata]);
}

const question = { name: 'q.example.test.', type: RecordType.TXT, recursionDesired: false };

describe('WireDnsQuerier', () => {
  it('asks over UDP and reads the answer', async () => {
    server = await startScriptedDnsServer((request) => txtAnswer(request, 'over-udp'));
    const response = await new WireDnsQuerier().query({ host: '127.0.0.1', port: server.port }, question);
    expect(response.answers[0]!.data).toMatchObject({ kind: 'txt' });
    expect(server.requests.map((r) => r.protocol)).toEqual(['UDP']);
    expect(decodeMessage(server.requests[0]!.bytes).recursionDesired).toBe(false);
  });

  it('asks again over TCP when the UDP answer is truncated', async () => {
    server = await startScriptedDnsServer((request, protocol) =>
      txtAnswer(request, protocol, protocol === 'UDP'),
    );
    const response = await new WireDnsQuerier().query({ host: '127.0.0.1', port: server.port }, question);
    expect(response.truncated).toBe(false);
    expect(server.requests.map((r) => r.protocol)).toEqual(['UDP', 'TCP']);
  });

  it('ignores a datagram with another ID', async () => {
    server = await startScriptedDnsServer((request) => {
      const forged = txtAnswer(request, 'forged');
      forged.writeUInt16BE((request.readUInt16BE(0) + 1) & 0xffff, 0);
      return forged; // only the forged one: the querier must time out rather than accept it
    });
    const err = await new WireDnsQuerier({ timeoutMs: 300 })
      .query({ host: '127.0.0.1', port: server.port, label: 'scripted' }, question)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsTransportError);
    expect((err as Error).message).toBe(
      `127.0.0.1:${server.port} (scripted) over UDP: no answer within 300 ms`,
    );
  });

  it('passes RCODEs through for the caller to judge', async () => {
    server = await startScriptedDnsServer((request) => respondTo(request, { rcode: Rcode.SERVFAIL }));
    const response = await new WireDnsQuerier().query({ host: '127.0.0.1', port: server.port }, question);
    expect(response.rcode).toBe(Rcode.SERVFAIL);
  });
});

describe('TCP exchange', () => {
  it('reports a refused connection, naming the server', async () => {
    server = await startScriptedDnsServer(() => undefined);
    const port = server.port;
    await server.close();
    server = undefined;
    await expect(exchangeTcp({ host: '127.0.0.1', port }, Buffer.alloc(12), 1000)).rejects.toThrow(
      `127.0.0.1:${port} over TCP: connection refused (is a DNS server listening there?)`,
    );
  });

  it('gives up after its deadline when the server says nothing', async () => {
    server = await startScriptedDnsServer(() => undefined);
    await expect(
      exchangeTcp({ host: '127.0.0.1', port: server.port }, Buffer.alloc(12), 200),
    ).rejects.toThrow('no answer within 200 ms');
  });
});

describe('exchangeUdp deadline', () => {
  it('covers resolving a nameserver given by name, not only the wait for the answer', async () => {
    const hanging = () => new Promise<never>(() => undefined);
    const started = Date.now();
    const error = await exchangeUdp(
      { host: 'ns.slow.example', port: 53 },
      Buffer.alloc(12),
      300,
      hanging,
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DnsTransportError);
    expect((error as Error).message).toBe('ns.slow.example:53 over UDP: no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
