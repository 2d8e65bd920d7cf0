// IP address parsing that accepts exactly what the apiserver's CEL `isIP()` accepts: Go's
// netip.ParseAddr, minus zones and IPv4-mapped IPv6. Node's net.isIP differs at the edges (it takes
// zones and mapped addresses), and the zod schemas must give the CRDs' verdicts.

/** Parses dotted-quad IPv4 (no leading zeros, as Go's netip) into 4 bytes; undefined if invalid. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const fields = text.split('.');
  if (fields.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, field] of fields.entries()) {
    if (!/^[0-9]{1,3}$/.test(field) || (field.length > 1 && field.startsWith('0'))) return undefined;
    const value = Number(field);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

/** Parses an IPv6 address without zone into 16 bytes, following Go's netip rules; undefined if invalid. */
export function parseIPv6(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(16);
  let s = text;
  let ellipsis = -1;
  if (s.startsWith('::')) {
    ellipsis = 0;
    s = s.slice(2);
    if (s === '') return bytes;
  }
  let i = 0;
  while (i < 16) {
    const group = /^[0-9A-Fa-f]*/.exec(s)?.[0] ?? '';
    if (group.length === 0 || group.length > 4) return undefined;
    if (s[group.length] === '.') {
      // An embedded IPv4 address must take the last four bytes.
      if ((ellipsis < 0 && i !== 12) || i + 4 > 16) return undefined;
      const v4 = parseIPv4(s);
      if (!v4) return undefined;
      bytes.set(v4, i);
      i += 4;
      s = '';
      break;
    }
    const value = parseInt(group, 16);
    bytes[i] = value >> 8;
    bytes[i + 1] = value & 0xff;
    i += 2;
    s = s.slice(group.length);
    if (s === '') break;
    if (!s.startsWith(':') || s.length === 1) return undefined;
    s = s.slice(1);
    if (s.startsWith(':')) {
      if (ellipsis >= 0) return undefined;
      ellipsis = i;
      s = s.slice(1);
      if (s === '') break;
    }
  }
  if (s !== '') return undefined;
  if (i < 16) {
    if (ellipsis < 0) return undefined;
    const n = 16 - i;
    bytes.copyWithin(ellipsis + n, ellipsis, i);
    bytes.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    return undefined; // `::` must stand for at least one zero group
  }
  return bytes;
}

/** True for an IPv6 address that CEL's `isIP()` accepts (no zone, not IPv4-mapped). */
export function isCelIPv6(text: string): boolean {
  if (text.includes('%')) return false;
  const bytes = parseIPv6(text);
  if (!bytes) return false;
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return !mapped;
}
