// IPv6 address and prefix helpers shared by the agent's model, its renderer and the test tracer.
// node:net's isIP is the gate; the byte parsing is the api package's (Go netip rules, no zones).
import { isIP } from 'node:net';
import { parseIPv6 } from '../api/ip.ts';

/** Unique local addresses (RFC 4193): the only pod addresses the agent will NAT. */
export const ULA_PREFIX = 'fc00::/7';
/** Link-local unicast: never DNATed from or to (no scope id in --to-destination). */
export const LINK_LOCAL_PREFIX = 'fe80::/10';
/** Global unicast (RFC 4291 §2.4): what a node may publish on. */
export const GLOBAL_UNICAST_PREFIX = '2000::/3';

/** A parsed prefix: network bytes and length in bits. */
export interface Prefix {
  readonly bytes: Uint8Array;
  readonly length: number;
}

/** Parses an IPv6 address (no zone) into 16 bytes; undefined for anything else, IPv4 included. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  if (isIP(text) !== 6 || text.includes('%')) return undefined;
  return parseIPv6(text);
}

/** Parses `addr/len` (or a bare address as /128) into a prefix; undefined if invalid. */
export function parsePrefix(text: string): Prefix | undefined {
  const [addr = '', len, extra] = text.split('/');
  if (extra !== undefined) return undefined;
  const bytes = ipv6Bytes(addr);
  if (!bytes) return undefined;
  if (len === undefined) return { bytes, length: 128 };
  if (!/^[0-9]{1,3}$/.test(len) || Number(len) > 128) return undefined;
  return { bytes, length: Number(len) };
}

/** True if `address` lies in `prefix` (both IPv6 text); false when either is invalid. */
export function inPrefix(address: string, prefix: string): boolean {
  const a = ipv6Bytes(address);
  const p = parsePrefix(prefix);
  if (!a || !p) return false;
  return bytesInPrefix(a, p);
}

function bytesInPrefix(a: Uint8Array, p: Prefix): boolean {
  for (let bit = 0; bit < p.length; bit += 8) {
    const bits = Math.min(8, p.length - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    const i = bit / 8;
    if (((a[i] ?? 0) & mask) !== ((p.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** True if `inner` (a prefix) lies entirely inside `outer`. */
export function prefixWithin(inner: string, outer: string): boolean {
  const i = parsePrefix(inner);
  const o = parsePrefix(outer);
  return !!i && !!o && i.length >= o.length && bytesInPrefix(i.bytes, o);
}

/** True for a ULA address (fc00::/7). */
export function isUla(address: string): boolean {
  return inPrefix(address, ULA_PREFIX);
}

/** True for a global unicast address a node can publish on (2000::/3). */
export function isGlobalUnicast(address: string): boolean {
  return inPrefix(address, GLOBAL_UNICAST_PREFIX);
}

/** RFC 5952 text of 16 bytes: lower case, longest zero run (≥2 groups) as `::`. */
export function formatIPv6(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical (RFC 5952) form of an IPv6 address, or undefined if it is not one. */
export function canonicalIPv6(text: string): string | undefined {
  const bytes = ipv6Bytes(text);
  return bytes ? formatIPv6(bytes) : undefined;
}

/** Canonical form of a prefix with host bits cleared (`fd00:1::5/64` → `fd00:1::/64`). */
export function canonicalPrefix(text: string): string | undefined {
  const p = parsePrefix(text);
  if (!p) return undefined;
  const net = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bits = Math.max(0, Math.min(8, p.length - i * 8));
    net[i] = (p.bytes[i] ?? 0) & ((0xff << (8 - bits)) & 0xff);
  }
  return `${formatIPv6(net)}/${p.length}`;
}
