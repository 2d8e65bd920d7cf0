// Pure request building for the DPF API: names, TXT quoting, query strings and JSON bodies, shaped
// like lego's iijdpf provider sends them (iij-dpf-api.md §2, §5).

/** The description acme6 puts on the RRsets it creates. */
export const RECORD_DESCRIPTION = 'ACME (acme6)';
/** The description of acme6's zone commits. */
export const COMMIT_DESCRIPTION = 'ACME Processing (acme6)';
/** Page size for list requests (the API's default and our explicit limit). */
export const PAGE_SIZE = 100;

/** A DNS name as DPF stores it: lower case with a trailing dot. */
export function canonicalName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** Whether `name` is `zone` or below it (both canonical). */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/**
 * A TXT value as DPF wants it in `rdata[].value`: one character-string wrapped in double quotes,
 * with `"` and `\` escaped (an unquoted value is refused with invalid_quotes/rdata).
 */
export function quoteTxtValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A path with a query of `_keywords_<field>[]` filters plus paging (brackets escaped, like Go does). */
export function searchPath(
  path: string,
  keywords: Record<string, string>,
  page?: { offset: number; limit: number },
): string {
  const query = new URLSearchParams();
  for (const [field, value] of Object.entries(keywords).sort(([a], [b]) => a.localeCompare(b))) {
    query.append(`_keywords_${field}[]`, value);
  }
  if (page) {
    query.set('limit', String(page.limit));
    if (page.offset > 0) query.set('offset', String(page.offset));
  }
  const text = query.toString();
  return text === '' ? path : `${path}?${text}`;
}

/** One `rdata` item. */
export interface Rdata {
  value: string;
}

/** `POST /zones/{id}/records` body for a new TXT RRset. */
export function createTxtBody(name: string, ttl: number, values: string[]): Record<string, unknown> {
  return {
    name,
    ttl,
    rrtype: 'TXT',
    rdata: values.map((value) => ({ value })),
    description: RECORD_DESCRIPTION,
  };
}

/** `PATCH /zones/{id}/records/{rid}` body replacing the RRset's values (TTL and description kept). */
export function updateRdataBody(rdata: Rdata[]): Record<string, unknown> {
  return { rdata: rdata.map(({ value }) => ({ value })) };
}

/** `PATCH /zones/{id}/changes` body. */
export function commitBody(): Record<string, unknown> {
  return { description: COMMIT_DESCRIPTION };
}
