// DNS numbers this package speaks (RFC 1035, RFC 2136, RFC 8945), with names for messages.

/** Resource record types. */
export const RecordType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  TXT: 16,
  AAAA: 28,
  TSIG: 250,
} as const;

/** Resource record classes; NONE and ANY carry RFC 2136 delete semantics. */
export const RecordClass = { IN: 1, NONE: 254, ANY: 255 } as const;

/** Header opcodes. */
export const Opcode = { QUERY: 0, UPDATE: 5 } as const;

/** Header RCODEs (RFC 1035 section 4.1.1, RFC 2136 section 2.2). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
} as const;

const nameOf = (table: Record<string, number>, code: number): string | undefined =>
  Object.entries(table).find(([, value]) => value === code)?.[0];

/** The name of a header RCODE, or `RCODE<n>` for one without a name. */
export function rcodeName(code: number): string {
  return nameOf(Rcode, code) ?? `RCODE${code}`;
}

/** The TSIG error field's values (RFC 8945 section 5.3.2 and IANA). */
export const TsigErrorCode = { BADSIG: 16, BADKEY: 17, BADTIME: 18, BADTRUNC: 22 } as const;

/** The name of a TSIG error code, or `TSIG error <n>`. */
export function tsigErrorName(code: number): string {
  return nameOf(TsigErrorCode, code) ?? `TSIG error ${code}`;
}

/** The mnemonic of a record type, or `TYPE<n>` (RFC 3597). */
export function recordTypeName(code: number): string {
  return nameOf(RecordType, code) ?? `TYPE${code}`;
}
