import { describe, expect, it } from 'vitest';
import { encodeTxtRdata, joinTxtStrings, splitTxtValue } from './txt.ts';

describe('TXT values', () => {
  it('keeps a short value in one character-string', () => {
    expect(encodeTxtRdata('abc')).toEqual(Buffer.from([3, 0x61, 0x62, 0x63]));
  });

  it('splits long values into 255-byte strings and joins them back', () => {
    const value = 'x'.repeat(300);
    const strings = splitTxtValue(value);
    expect(strings.map((s) => s.length)).toEqual([255, 45]);
    expect(encodeTxtRdata(value).length).toBe(302);
    expect(joinTxtStrings(strings)).toBe(value);
    expect(splitTxtValue('y'.repeat(255)).map((s) => s.length)).toEqual([255]);
  });

  it('encodes an empty value as one empty string', () => {
    expect(encodeTxtRdata('')).toEqual(Buffer.from([0]));
  });

  it('needs no quoting: quotes, backslashes and spaces are plain bytes on the wire', () => {
    const value = 'a "quoted" \\ value; with spaces';
    expect(joinTxtStrings(splitTxtValue(value))).toBe(value);
    expect(encodeTxtRdata(value).subarray(1).toString()).toBe(value);
  });
});
