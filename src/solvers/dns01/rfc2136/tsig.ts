// TSIG (RFC 8945): HMAC signatures on DNS messages with a shared secret. A request is signed over
// the message and the TSIG variables; the response's MAC also covers the request's MAC, which ties
// the answer to the question we asked (section 4.3.1).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { RecordClass, RecordType, tsigErrorName } from '../wire/constants.ts';
import type { DnsMessage } from '../wire/message.ts';
import { encodeCanonicalName, encodeName, readName, sameName } from '../wire/name.ts';

/** The HMAC algorithms acme6 signs with, by their API names (Issuer spec.acme.solvers[].dns01.rfc2136). */
export type TsigAlgorithm = 'HMACSHA256' | 'HMACSHA384' | 'HMACSHA512';

const algorithms: Record<TsigAlgorithm, { wireName: string; hash: string; macLength: number }> = {
  HMACSHA256: { wireName: 'hmac-sha256.', hash: 'sha256', macLength: 32 },
  HMACSHA384: { wireName: 'hmac-sha384.', hash: 'sha384', macLength: 48 },
  HMACSHA512: { wireName: 'hmac-sha512.', hash: 'sha512', macLength: 64 },
};

/** The algorithm's name as it appears on the wire and in BIND's config ("hmac-sha256."). */
export function tsigAlgorithmWireName(algorithm: TsigAlgorithm): string {
  return algorithms[algorithm].wireName;
}

/** A shared TSIG key. The secret never leaves this module except into an HMAC. */
export interface TsigKey {
  name: string;
  algorithm: TsigAlgorithm;
  secret: Buffer;
}

/** How far the signer's and verifier's clocks may differ, in seconds (RFC 8945 recommends 300). */
export const DEFAULT_FUDGE_SECONDS = 300;

/** A TSIG record as received. */
export interface TsigRecord {
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  otherData: Buffer;
  /** Where the record starts in the message: the MAC covers everything before it. */
  offset: number;
}

const u16 = (value: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
};

const u48 = (value: number): Buffer => {
  const b = Buffer.alloc(6);
  b.writeUIntBE(value, 0, 6);
  return b;
};

/** The TSIG variables of section 4.3.3, in the canonical form the MAC covers. */
function tsigVariables(
  key: TsigKey,
  fields: { algorithm: string; timeSigned: number; fudge: number; error: number; otherData: Buffer },
): Buffer {
  const classAndTtl = Buffer.alloc(6);
  classAndTtl.writeUInt16BE(RecordClass.ANY, 0);
  return Buffer.concat([
    encodeCanonicalName(key.name),
    classAndTtl,
    encodeCanonicalName(fields.algorithm),
    u48(fields.timeSigned),
    u16(fields.fudge),
    u16(fields.error),
    u16(fields.otherData.length),
    fields.otherData,
  ]);
}

function hmac(key: TsigKey, parts: Buffer[]): Buffer {
  const h = createHmac(algorithms[key.algorithm].hash, key.secret);
  for (const part of parts) h.update(part);
  return h.digest();
}

/**
 * Signs an unsigned message: appends a TSIG record and counts it in ARCOUNT (section 4.3.1).
 * `timeSigned` is in seconds since the epoch. A response is signed over the request's MAC too
 * (servers do this; the client only verifies). Returns the signed bytes and the MAC.
 */
export function signMessage(
  message: Buffer,
  key: TsigKey,
  timeSigned: number,
  fudge = DEFAULT_FUDGE_SECONDS,
  requestMac?: Buffer,
): { signed: Buffer; mac: Buffer } {
  const algorithm = algorithms[key.algorithm].wireName;
  const fields = { algorithm, timeSigned, fudge, error: 0, otherData: Buffer.alloc(0) };
  const prior = requestMac ? [u16(requestMac.length), requestMac] : [];
  const mac = hmac(key, [...prior, message, tsigVariables(key, fields)]);
  const rdata = Buffer.concat([
    encodeName(algorithm),
    u48(timeSigned),
    u16(fudge),
    u16(mac.length),
    mac,
    message.subarray(0, 2), // original ID
    u16(0), // error
    u16(0), // other len
  ]);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(RecordType.TSIG, 0);
  fixed.writeUInt16BE(RecordClass.ANY, 2);
  fixed.writeUInt32BE(0, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  const signed = Buffer.concat([message, encodeName(key.name.toLowerCase()), fixed, rdata]);
  signed.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { signed, mac };
}

/** The message's TSIG record, which must be its last additional record; undefined if unsigned. */
export function readTsig(bytes: Buffer, message: DnsMessage): TsigRecord | undefined {
  const record = message.additionals.at(-1);
  if (!record || record.type !== RecordType.TSIG) return undefined;
  const algorithm = readName(bytes, record.rdataOffset);
  let at = algorithm.end;
  const end = record.rdataOffset + record.rdata.length;
  const need = (n: number): void => {
    if (at + n > end) throw new Error('TSIG record too short');
  };
  need(10);
  const timeSigned = bytes.readUIntBE(at, 6);
  const fudge = bytes.readUInt16BE(at + 6);
  const macLength = bytes.readUInt16BE(at + 8);
  at += 10;
  need(macLength + 6);
  const mac = bytes.subarray(at, at + macLength);
  at += macLength;
  const originalId = bytes.readUInt16BE(at);
  const error = bytes.readUInt16BE(at + 2);
  const otherLength = bytes.readUInt16BE(at + 4);
  at += 6;
  need(otherLength);
  return {
    keyName: record.name,
    algorithm: algorithm.name,
    timeSigned,
    fudge,
    mac,
    originalId,
    error,
    otherData: bytes.subarray(at, at + otherLength),
    offset: record.offset,
  };
}

/** The outcome of checking a response's signature; `problem` explains a failure without secrets. */
export type TsigVerification = { ok: true } | { ok: false; problem: string };

/**
 * Verifies a signed response to a request whose MAC was `requestMac` (sections 4.3.1 and 5.3):
 * same key and algorithm, a full-length MAC over request MAC + message + variables, and a signing
 * time within the fudge of `nowSeconds`.
 */
export function verifyResponse(
  bytes: Buffer,
  message: DnsMessage,
  requestMac: Buffer,
  key: TsigKey,
  nowSeconds: number,
): TsigVerification {
  const tsig = readTsig(bytes, message);
  if (!tsig) return { ok: false, problem: 'the response is not signed' };
  if (tsig.error !== 0) return { ok: false, problem: `the server reported ${tsigErrorName(tsig.error)}` };
  if (!sameName(tsig.keyName, key.name)) {
    return { ok: false, problem: `the response is signed with key ${tsig.keyName}, not ${key.name}` };
  }
  const expected = algorithms[key.algorithm];
  if (!sameName(tsig.algorithm, expected.wireName)) {
    return { ok: false, problem: `the response is signed with ${tsig.algorithm}, not ${expected.wireName}` };
  }
  if (tsig.mac.length !== expected.macLength) {
    return {
      ok: false,
      problem: `the response MAC is ${tsig.mac.length} bytes, expected ${expected.macLength}`,
    };
  }
  const unsigned = Buffer.from(bytes.subarray(0, tsig.offset));
  unsigned.writeUInt16BE(tsig.originalId, 0);
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const mac = hmac(key, [u16(requestMac.length), requestMac, unsigned, tsigVariables(key, tsig)]);
  if (!timingSafeEqual(mac, tsig.mac))
    return { ok: false, problem: 'the response MAC does not verify (BADSIG)' };
  if (Math.abs(nowSeconds - tsig.timeSigned) > tsig.fudge) {
    return { ok: false, problem: `the response was signed ${nowSeconds - tsig.timeSigned} s ago (BADTIME)` };
  }
  return { ok: true };
}
