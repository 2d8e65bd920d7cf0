// DNS messages (RFC 1035 section 4.1) in and out of wire form. Encoding never compresses names,
// which every server accepts and TSIG needs anyway; decoding follows compression pointers and keeps
// each record's offset so a signature can be checked over the exact bytes that preceded it.
import { RecordType } from './constants.ts';
import { encodeName, readName } from './name.ts';

/** A question (in an UPDATE: the zone section). */
export interface Question {
  name: string;
  type: number;
  class: number;
}

/** A record to send: rdata already in wire form. */
export interface OutgoingRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  rdata: Buffer;
}

/** A message to send. In an UPDATE, questions are the zone, answers the prerequisites, authorities the updates. */
export interface OutgoingMessage {
  id: number;
  opcode: number;
  recursionDesired?: boolean;
  questions: Question[];
  answers?: OutgoingRecord[];
  authorities?: OutgoingRecord[];
  additionals?: OutgoingRecord[];
}

/** Record data decoded for the types this package reads. */
export type RecordData =
  | { kind: 'txt'; strings: Buffer[] }
  | { kind: 'name'; target: string }
  | { kind: 'address'; address: string }
  | { kind: 'soa'; primary: string; mailbox: string; serial: number }
  | { kind: 'other' };

/** A record as received. */
export interface ReceivedRecord extends OutgoingRecord {
  data: RecordData;
  /** Offset of the record's first byte in the message. */
  offset: number;
  /** Offset of its rdata in the message (names inside rdata may point elsewhere in the message). */
  rdataOffset: number;
}

/** A received message. */
export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
  questions: Question[];
  answers: ReceivedRecord[];
  authorities: ReceivedRecord[];
  additionals: ReceivedRecord[];
}

const u16 = (value: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value);
  return b;
};

function encodeRecord(record: OutgoingRecord): Buffer {
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(record.type, 0);
  fixed.writeUInt16BE(record.class, 2);
  fixed.writeUInt32BE(record.ttl, 4);
  fixed.writeUInt16BE(record.rdata.length, 8);
  return Buffer.concat([encodeName(record.name), fixed, record.rdata]);
}

/** Encodes a query or an UPDATE (QR=0). */
export function encodeMessage(message: OutgoingMessage): Buffer {
  const answers = message.answers ?? [];
  const authorities = message.authorities ?? [];
  const additionals = message.additionals ?? [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(message.id, 0);
  header.writeUInt16BE(((message.opcode & 0xf) << 11) | (message.recursionDesired ? 0x0100 : 0), 2);
  header.writeUInt16BE(message.questions.length, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(authorities.length, 8);
  header.writeUInt16BE(additionals.length, 10);
  const questions = message.questions.map((q) =>
    Buffer.concat([encodeName(q.name), u16(q.type), u16(q.class)]),
  );
  return Buffer.concat([
    header,
    ...questions,
    ...[...answers, ...authorities, ...additionals].map(encodeRecord),
  ]);
}

function decodeData(message: Buffer, type: number, start: number, rdata: Buffer): RecordData {
  switch (type) {
    case RecordType.TXT: {
      const strings: Buffer[] = [];
      for (let i = 0; i < rdata.length;) {
        const length = rdata[i]!;
        if (i + 1 + length > rdata.length) throw new Error('TXT string runs past its record');
        strings.push(rdata.subarray(i + 1, i + 1 + length));
        i += 1 + length;
      }
      return { kind: 'txt', strings };
    }
    case RecordType.CNAME:
    case RecordType.NS:
      return { kind: 'name', target: readName(message, start).name };
    case RecordType.A:
    case RecordType.AAAA: {
      const address = addressFromBytes(rdata);
      return address ? { kind: 'address', address } : { kind: 'other' };
    }
    case RecordType.SOA: {
      const primary = readName(message, start);
      const mailbox = readName(message, primary.end);
      if (mailbox.end + 20 > start + rdata.length) throw new Error('SOA record too short');
      return {
        kind: 'soa',
        primary: primary.name,
        mailbox: mailbox.name,
        serial: message.readUInt32BE(mailbox.end),
      };
    }
    default:
      return { kind: 'other' };
  }
}

function addressFromBytes(bytes: Buffer): string | undefined {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  // RFC 5952: the longest run of two or more zero groups (the first, on a tie) becomes "::".
  let best = { start: -1, length: 1 };
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.length) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  if (best.start < 0) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.length).join(':');
  return `${head}::${tail}`;
}

/** Decodes a message; throws on anything malformed. */
export function decodeMessage(message: Buffer): DnsMessage {
  if (message.length < 12) throw new Error(`DNS message too short (${message.length} bytes)`);
  const flags = message.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((at) => message.readUInt16BE(at)) as [number, number, number, number];
  let offset = 12;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const { name, end } = readName(message, offset);
    if (end + 4 > message.length) throw new Error('truncated question');
    questions.push({ name, type: message.readUInt16BE(end), class: message.readUInt16BE(end + 2) });
    offset = end + 4;
  }
  const readRecords = (count: number): ReceivedRecord[] => {
    const records: ReceivedRecord[] = [];
    for (let i = 0; i < count; i++) {
      const start = offset;
      const { name, end } = readName(message, offset);
      if (end + 10 > message.length) throw new Error('truncated resource record');
      const type = message.readUInt16BE(end);
      const rdataOffset = end + 10;
      const rdataLength = message.readUInt16BE(end + 8);
      if (rdataOffset + rdataLength > message.length) throw new Error('truncated record data');
      const rdata = message.subarray(rdataOffset, rdataOffset + rdataLength);
      records.push({
        name,
        type,
        class: message.readUInt16BE(end + 2),
        ttl: message.readUInt32BE(end + 4),
        rdata,
        data: decodeData(message, type, rdataOffset, rdata),
        offset: start,
        rdataOffset,
      });
      offset = rdataOffset + rdataLength;
    }
    return records;
  };
  const answers = readRecords(counts[1]);
  const authorities = readRecords(counts[2]);
  const additionals = readRecords(counts[3]);
  return {
    id: message.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions,
    answers,
    authorities,
    additionals,
  };
}
