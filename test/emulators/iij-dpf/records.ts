// Record rules of the editing copy: validation, TXT quoting, duplicates, and how each mutation
// changes a row's state (iij-dpf-api.md §3.6 and §6.5).
import { invalidParameter } from './errors.ts';
import { systemId, type DpfRecord, type ZoneState } from './model.ts';

const RRTYPES = new Set([
  'A',
  'AAAA',
  'ANAME',
  'CAA',
  'CNAME',
  'DS',
  'HTTPS',
  'MX',
  'NAPTR',
  'NS',
  'PTR',
  'SRV',
  'SVCB',
  'TLSA',
  'TXT',
]);
const MAX_TTL = 2_147_483_647;

type Body = Record<string, unknown>;

/** A name as the zone stores it: lower case, absolute; relative names get the zone appended. */
export function absoluteName(zone: ZoneState, name: unknown): string {
  if (typeof name !== 'string' || name === '') throw invalidParameter('invalid', 'schema');
  const apex = zone.zone.name;
  const lower = name.toLowerCase();
  const full = lower.endsWith('.') ? lower : lower === '@' ? apex : `${lower}.${apex}`;
  if (full !== apex && !full.endsWith(`.${apex}`)) throw invalidParameter('invalid', 'name');
  return full;
}

function checkTtl(ttl: unknown): number | null {
  if (ttl === undefined || ttl === null) return null;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL) {
    throw invalidParameter('invalid', 'schema');
  }
  return ttl;
}

function checkDescription(description: unknown): string | undefined {
  if (description === undefined) return undefined;
  if (typeof description !== 'string' || description.length > 80) throw invalidParameter('invalid', 'schema');
  return description;
}

/** Checks `rdata` (≥1 `{value}`) and, for TXT, that every value is wrapped in double quotes. */
export function checkRdata(rrtype: string, rdata: unknown): { value: string }[] {
  if (!Array.isArray(rdata) || rdata.length === 0) throw invalidParameter('invalid', 'schema');
  return rdata.map((item: unknown) => {
    const value = (item as { value?: unknown } | null)?.value;
    if (typeof value !== 'string' || value === '') throw invalidParameter('invalid', 'schema');
    if (rrtype === 'TXT' && !(value.length >= 2 && value.startsWith('"') && value.endsWith('"'))) {
      throw invalidParameter('invalid_quotes', 'rdata');
    }
    return { value };
  });
}

/** The editing row `id`, which `operator` may change (another user's pending edit is locked). */
function editable(zone: ZoneState, id: string, operator: string): DpfRecord {
  const row = zone.editing.find((r) => r.id === id);
  if (!row) throw invalidParameter('not_found', 'record');
  if (row.state === 2) throw invalidParameter('forbidden', 'record');
  if (row.state !== 0 && row.operator !== operator) throw invalidParameter('forbidden', 'record');
  return row;
}

/** Validates a POST body into a new pending row (state 1); `apply` stages it. */
export function planCreate(zone: ZoneState, body: Body, operator: string): { id: string; apply: () => void } {
  const name = absoluteName(zone, body.name);
  const rrtype = body.rrtype;
  if (typeof rrtype !== 'string' || !RRTYPES.has(rrtype)) throw invalidParameter('invalid', 'schema');
  const rdata = checkRdata(rrtype, body.rdata);
  const ttl = checkTtl(body.ttl);
  const description = checkDescription(body.description) ?? '';
  // A pending delete does not block a new row; an applied, added or updated one does (measured, [D] D1).
  if (zone.editing.some((r) => r.name === name && r.rrtype === rrtype && r.state !== 2)) {
    throw invalidParameter('duplicated', 'record');
  }
  const row: DpfRecord = {
    id: systemId('r'),
    name,
    ttl,
    rrtype,
    rdata,
    labels: {},
    state: 1,
    description,
    operator,
  };
  return { id: row.id, apply: () => void zone.editing.push(row) };
}

/** Validates a PATCH body for row `id`; `apply` stages the update (state 3, or 1 if still new). */
export function planUpdate(zone: ZoneState, id: string, body: Body, operator: string): { apply: () => void } {
  const row = editable(zone, id, operator);
  const rdata = body.rdata === undefined ? undefined : checkRdata(row.rrtype, body.rdata);
  const ttl = body.ttl === undefined ? undefined : checkTtl(body.ttl);
  const description = checkDescription(body.description);
  return {
    apply: () => {
      if (rdata) row.rdata = rdata;
      if (ttl !== undefined) row.ttl = ttl;
      if (description !== undefined) row.description = description;
      if (row.state !== 1) row.state = 3;
      row.operator = operator;
    },
  };
}

/** Validates a DELETE of row `id`; `apply` marks it (state 2) or drops a row that was never published. */
export function planDelete(zone: ZoneState, id: string, operator: string): { apply: () => void } {
  const row = editable(zone, id, operator);
  if (row.rrtype === 'SOA') throw invalidParameter('soa_not_found', 'record');
  return {
    apply: () => {
      if (row.state === 1) zone.editing = zone.editing.filter((r) => r !== row);
      else Object.assign(row, { state: 2, operator });
    },
  };
}

/** Discards the pending edit of row `id`: back to its published version, or gone if it was new. */
export function planDiscard(zone: ZoneState, id: string, operator: string): { apply: () => void } {
  const row = zone.editing.find((r) => r.id === id);
  if (!row) throw invalidParameter('not_found', 'record');
  if (row.state !== 0 && row.operator !== operator) throw invalidParameter('forbidden', 'record');
  return {
    apply: () => {
      const published = zone.published.find((r) => r.id === id);
      zone.editing = zone.editing.flatMap((r) =>
        r !== row ? [r] : published ? [{ ...published, rdata: published.rdata.map((d) => ({ ...d })) }] : [],
      );
    },
  };
}
