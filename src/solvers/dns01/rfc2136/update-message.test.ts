import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RecordClass, RecordType } from '../wire/constants.ts';
import { decodeMessage } from '../wire/message.ts';
import { joinTxtStrings } from '../wire/txt.ts';
import { readTsig } from './tsig.ts';
import { encodeTxtUpdate } from './update-message.ts';

const { cases } = JSON.parse(
  readFileSync(new URL('testdata/bind-tsig-vectors.json', import.meta.url), 'utf8'),
) as {
  cases: { case: string; value: string; request: string }[];
};

describe('TXT UPDATE messages', () => {
  it("equal nsupdate's for the same add, byte for byte", () => {
    const v = cases.find((c) => c.case === 'sha256')!;
    const request = Buffer.from(v.request, 'hex');
    const tsig = readTsig(request, decodeMessage(request))!;
    const nsupdate = Buffer.from(request.subarray(0, tsig.offset));
    nsupdate.writeUInt16BE(nsupdate.readUInt16BE(10) - 1, 10);
    const ours = encodeTxtUpdate({
      id: request.readUInt16BE(0),
      zone: 'example.test',
      name: '_acme-challenge.vector.example.test',
      value: v.value,
      ttlSeconds: 60,
      action: 'add',
    });
    expect(ours.toString('hex')).toBe(nsupdate.toString('hex'));
  });

  it('delete one value with class NONE and TTL 0 (RFC 2136 section 2.5.4)', () => {
    const message = decodeMessage(
      encodeTxtUpdate({
        id: 7,
        zone: 'example.test.',
        name: 'x.example.test.',
        value: 'v',
        ttlSeconds: 60,
        action: 'delete',
      }),
    );
    expect(message.questions).toEqual([
      { name: 'example.test.', type: RecordType.SOA, class: RecordClass.IN },
    ]);
    expect(message.answers).toEqual([]); // no prerequisites
    expect(message.authorities).toMatchObject([
      {
        name: 'x.example.test.',
        type: RecordType.TXT,
        class: RecordClass.NONE,
        ttl: 0,
        data: { kind: 'txt' },
      },
    ]);
  });

  it('carries a long value as several strings of one record', () => {
    const value = 'k'.repeat(600);
    const [update] = decodeMessage(
      encodeTxtUpdate({
        id: 7,
        zone: 'example.test.',
        name: 'x.example.test.',
        value,
        ttlSeconds: 60,
        action: 'add',
      }),
    ).authorities;
    expect(update!.data.kind === 'txt' && update!.data.strings.map((s) => s.length)).toEqual([255, 255, 90]);
    expect(update!.data.kind === 'txt' && joinTxtStrings(update!.data.strings)).toBe(value);
  });
});
