// Pure request-side helpers: which zone and owner a name maps to, paths, and the TXT body.
import { encodeSegment } from './signing.ts';

/** The API version segment every path starts with. */
const VERSION = '20140601';

/** A name without its trailing dot, lowercased (DO zone names carry no dot). */
export function bareName(name: string): string {
  return name.replace(/\.$/, '').toLowerCase();
}

/**
 * The longest zone in `zones` that `fqdn` is in, and the owner relative to it (`@` at the apex);
 * undefined when none holds it. Case-insensitive, unlike lego (§7 item 11).
 */
export function splitName(fqdn: string, zones: string[]): { zone: string; owner: string } | undefined {
  const name = bareName(fqdn);
  let best: string | undefined;
  for (const zone of zones) {
    const z = bareName(zone);
    if ((name === z || name.endsWith(`.${z}`)) && (!best || z.length > bareName(best).length)) best = zone;
  }
  if (best === undefined) return undefined;
  const z = bareName(best);
  return { zone: best, owner: name === z ? '@' : name.slice(0, name.length - z.length - 1) };
}

/** The path of a DO-API resource: `/r/20140601/{svc}/{segments…}`, each segment encoded. */
export function apiPath(serviceCode: string, ...segments: string[]): string {
  return ['', 'r', VERSION, serviceCode, ...segments].map((s) => (s === '' ? s : encodeSegment(s))).join('/');
}

/** The body of `POST record.json` for a TXT value, keys in doapi's order, value unquoted. */
export function txtRecordBody(owner: string, ttl: number, value: string): string {
  return JSON.stringify({ Owner: owner, TTL: String(ttl), RecordType: 'TXT', RData: value });
}

/** A TXT RData as listed (`"value"`) or as sent (`value`), without one surrounding pair of quotes. */
export function unquoteRdata(rdata: string): string {
  return rdata.length >= 2 && rdata.startsWith('"') && rdata.endsWith('"') ? rdata.slice(1, -1) : rdata;
}
