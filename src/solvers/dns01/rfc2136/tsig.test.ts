import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TsigErrorCode } from '../wire/constants.ts';
import { decodeMessage } from '../wire/message.ts';
import { readTsig, signMessage, verifyResponse, type TsigAlgorithm, type TsigKey } from './tsig.ts';

interface Vector {
  case: string;
  keyName: string;
  algorithm: TsigAlgorithm;
  secret: string;
  value: string;
  request: string;
  response: string;
}

const { cases } = JSON.parse(
  readFileSync(new URL('testdata/bind-tsig-vectors.json', import.meta.url), 'utf8'),
) as {
  cases: Vector[];
};
const vector = (name: string): Vector => cases.find((c) => c.case === name)!;
const keyOf = (v: Vector): TsigKey => ({
  name: v.keyName,
  algorithm: v.algorithm,
  secret: Buffer.from(v.secret, 'base64'),
});

/** nsupdate's request without its TSIG record, and the TSIG it carried. */
function unsign(v: Vector) {
  const request = Buffer.from(v.request, 'hex');
  const tsig = readTsig(request, decodeMessage(request))!;
  const unsigned = Buffer.from(request.subarray(0, tsig.offset));
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  return { request, unsigned, tsig };
}

describe.each(['sha256', 'sha384', 'sha512'])('TSIG against BIND (hmac-%s)', (name) => {
  const v = vector(name);
  const key = keyOf(v);

  it('signs a request exactly as nsupdate did, byte for byte', () => {
    const { request, unsigned, tsig } = unsign(v);
    const { signed, mac } = signMessage(unsigned, key, tsig.timeSigned, tsig.fudge);
    expect(signed.toString('hex')).toBe(request.toString('hex'));
    expect(mac).toEqual(tsig.mac);
  });

  it("verifies named's signed response", () => {
    const { tsig } = unsign(v);
    const response = Buffer.from(v.response, 'hex');
    expect(verifyResponse(response, decodeMessage(response), tsig.mac, key, tsig.timeSigned)).toEqual({
      ok: true,
    });
  });

  it("signs named's response identically when given the request MAC", () => {
    const { tsig: requestTsig } = unsign(v);
    const response = Buffer.from(v.response, 'hex');
    const responseTsig = readTsig(response, decodeMessage(response))!;
    const unsigned = Buffer.from(response.subarray(0, responseTsig.offset));
    unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
    const { signed } = signMessage(
      unsigned,
      key,
      responseTsig.timeSigned,
      responseTsig.fudge,
      requestTsig.mac,
    );
    expect(signed.toString('hex')).toBe(response.toString('hex'));
  });

  it('rejects the response if one bit changed, the secret differs, or the request MAC differs', () => {
    const { tsig } = unsign(v);
    const response = Buffer.from(v.response, 'hex');
    const tampered = Buffer.from(response);
    tampered[3]! ^= 0x01; // flip a header bit the MAC covers
    expect(verifyResponse(tampered, decodeMessage(tampered), tsig.mac, key, tsig.timeSigned)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('BADSIG') as string,
    });
    const wrongKey = { ...key, secret: Buffer.from('another secret') };
    expect(verifyResponse(response, decodeMessage(response), tsig.mac, wrongKey, tsig.timeSigned).ok).toBe(
      false,
    );
    const otherRequestMac = Buffer.alloc(tsig.mac.length, 7);
    expect(verifyResponse(response, decodeMessage(response), otherRequestMac, key, tsig.timeSigned).ok).toBe(
      false,
    );
  });

  it('rejects a response signed outside the fudge window (BADTIME)', () => {
    const { tsig } = unsign(v);
    const response = Buffer.from(v.response, 'hex');
    const later = tsig.timeSigned + tsig.fudge + 1;
    expect(verifyResponse(response, decodeMessage(response), tsig.mac, key, later)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('BADTIME') as string,
    });
  });
});

describe('TSIG errors from BIND', () => {
  it.each([
    ['badsig', TsigErrorCode.BADSIG],
    ['badkey', TsigErrorCode.BADKEY],
  ])('reads %s from the unsigned error response and never treats it as verified', (name, code) => {
    const v = vector(name);
    const response = Buffer.from(v.response, 'hex');
    const message = decodeMessage(response);
    const tsig = readTsig(response, message)!;
    expect(tsig.error).toBe(code);
    expect(tsig.mac.length).toBe(0);
    const { tsig: requestTsig } = unsign(v);
    expect(verifyResponse(response, message, requestTsig.mac, keyOf(v), tsig.timeSigned)).toMatchObject({
      ok: false,
      problem: expect.stringMatching(/reported BAD(SIG|KEY)/) as string,
    });
  });

  it('says so when a response is not signed at all', () => {
    const v = vector('sha256');
    const { unsigned, tsig } = unsign(v);
    unsigned[2]! |= 0x80; // pretend it is a response
    expect(verifyResponse(unsigned, decodeMessage(unsigned), tsig.mac, keyOf(v), tsig.timeSigned)).toEqual({
      ok: false,
      problem: 'the response is not signed',
    });
  });

  it('notices a response signed with another key or algorithm', () => {
    const v = vector('sha256');
    const { tsig } = unsign(v);
    const response = Buffer.from(v.response, 'hex');
    const message = decodeMessage(response);
    expect(
      verifyResponse(response, message, tsig.mac, { ...keyOf(v), name: 'other.' }, tsig.timeSigned),
    ).toMatchObject({
      ok: false,
      problem: expect.stringContaining('signed with key vector-sha256.') as string,
    });
    expect(
      verifyResponse(response, message, tsig.mac, { ...keyOf(v), algorithm: 'HMACSHA512' }, tsig.timeSigned),
    ).toMatchObject({
      ok: false,
      problem: expect.stringContaining('hmac-sha256.') as string,
    });
  });
});
