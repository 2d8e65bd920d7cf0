import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Opcode, Rcode, RecordClass, RecordType } from './constants.ts';
import { decodeMessage, encodeMessage, type ReceivedRecord } from './message.ts';
import { joinTxtStrings } from './txt.ts';

const { responses } = JSON.parse(
  readFileSync(new URL('testdata/bind-responses.json', import.meta.url), 'utf8'),
) as {
  responses: Record<string, string>;
};
const bind = (name: string) => decodeMessage(Buffer.from(responses[name]!, 'hex'));
const data = (records: ReceivedRecord[]) => records.map((r) => r.data);

describe('decoding BIND responses', () => {
  it('reads NS targets through compression pointers', () => {
    const message = bind('ns');
    expect(message).toMatchObject({ response: true, authoritative: true, rcode: Rcode.NOERROR });
    expect(message.answers.map((r) => r.name)).toEqual(['example.test.', 'example.test.']);
    expect(data(message.answers)).toEqual([
      { kind: 'name', target: 'ns1.acme6.test.' },
      { kind: 'name', target: 'ns2.acme6.test.' },
    ]);
  });

  it('reads the SOA serial', () => {
    expect(data(bind('soa').answers)).toEqual([
      { kind: 'soa', primary: 'ns1.acme6.test.', mailbox: 'hostmaster.acme6.test.', serial: 6 },
    ]);
  });

  it('reads several TXT records, one of them split into 255 + 5 bytes', () => {
    const values = bind('txt-multi').answers.map((r) =>
      r.data.kind === 'txt' ? joinTxtStrings(r.data.strings) : '',
    );
    expect(values).toEqual(['first-value', `${'a'.repeat(255)}bbbbb`]);
  });

  it('reads A and AAAA addresses, IPv6 in RFC 5952 short form', () => {
    expect(data(bind('a').answers)).toEqual([{ kind: 'address', address: '127.0.0.1' }]);
    expect(data(bind('aaaa').answers)).toEqual([{ kind: 'address', address: '::1' }]);
  });

  it('reads a CNAME, and a TXT question answered by the CNAME alone', () => {
    expect(data(bind('cname').answers)).toEqual([{ kind: 'name', target: 'alias-target.acme6.test.' }]);
    expect(bind('txt-via-cname').answers.map((r) => r.type)).toEqual([RecordType.CNAME]);
  });

  it('reads NXDOMAIN with the zone SOA in the authority section', () => {
    const message = bind('nxdomain');
    expect(message.rcode).toBe(Rcode.NXDOMAIN);
    expect(message.answers).toEqual([]);
    expect(message.authorities.map((r) => [r.name, r.type])).toEqual([['example.test.', RecordType.SOA]]);
  });

  it('keeps each record offset so signatures can be checked over the preceding bytes', () => {
    const raw = Buffer.from(responses.ns!, 'hex');
    const [first, second] = bind('ns').answers;
    expect(raw.readUInt16BE(first!.offset)).toBe(0xc00c); // a pointer to the question name
    expect(first!.rdataOffset + first!.rdata.length).toBe(second!.offset);
  });
});

describe('encoding', () => {
  it('round-trips a query with the flags it sets', () => {
    const encoded = encodeMessage({
      id: 0xbeef,
      opcode: Opcode.QUERY,
      recursionDesired: true,
      questions: [{ name: 'Example.TEST', type: RecordType.TXT, class: RecordClass.IN }],
    });
    expect(encoded.toString('hex').slice(0, 24)).toBe('beef01000001000000000000');
    expect(decodeMessage(encoded)).toMatchObject({
      id: 0xbeef,
      response: false,
      recursionDesired: true,
      opcode: Opcode.QUERY,
      questions: [{ name: 'Example.TEST.', type: RecordType.TXT, class: RecordClass.IN }],
    });
  });

  it('puts UPDATE sections in the counts and round-trips IPv6 addresses', () => {
    const rdata = Buffer.from('20010db8000000010000000000000001', 'hex');
    const encoded = encodeMessage({
      id: 1,
      opcode: Opcode.UPDATE,
      questions: [{ name: 'example.test.', type: RecordType.SOA, class: RecordClass.IN }],
      authorities: [
        { name: 'h.example.test.', type: RecordType.AAAA, class: RecordClass.IN, ttl: 60, rdata },
      ],
    });
    const decoded = decodeMessage(encoded);
    expect(decoded.opcode).toBe(Opcode.UPDATE);
    expect(decoded.authorities[0]!.data).toEqual({ kind: 'address', address: '2001:db8:0:1::1' });
  });

  it('rejects malformed messages instead of guessing', () => {
    expect(() => decodeMessage(Buffer.alloc(5))).toThrow(/too short/);
    const truncated = Buffer.from(responses.soa!, 'hex').subarray(0, 40);
    expect(() => decodeMessage(truncated)).toThrow(/truncated/);
  });
});
