// TXT record data: one value as one or more character-strings of at most 255 bytes (RFC 1035
// section 3.3.14). Readers join the strings back, as the CA does for dns-01 (RFC 8555 section 8.4).

const MAX_STRING = 255;

/** The character-strings a TXT value is split into: 255-byte pieces of its UTF-8 bytes. */
export function splitTxtValue(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8');
  const strings: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += MAX_STRING) strings.push(bytes.subarray(i, i + MAX_STRING));
  return strings.length > 0 ? strings : [Buffer.alloc(0)];
}

/** Wire-form TXT rdata holding `value`. */
export function encodeTxtRdata(value: string): Buffer {
  const parts: Buffer[] = [];
  for (const s of splitTxtValue(value)) parts.push(Buffer.from([s.length]), s);
  const rdata = Buffer.concat(parts);
  if (rdata.length > 0xffff) throw new Error('TXT value too long for one record');
  return rdata;
}

/** The value a TXT record's character-strings stand for, joined. */
export function joinTxtStrings(strings: readonly Buffer[]): string {
  return Buffer.concat(strings).toString('utf8');
}
