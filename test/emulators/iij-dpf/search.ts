// Keyword search and paging as the DPF list endpoints do them (iij-dpf-api.md §3.1, §6.3).
import { invalidParameter } from './errors.ts';
import { requestId, type DpfRecord } from './model.ts';

/** The keyword fields (`_keywords_<field>[]`) a search honours, read off one row. */
export type Fields = Record<string, string | number | null>;

/** Filters rows by `_keywords_*[]` (substring, case-insensitive; values OR, fields AND unless type=OR). */
export function search<T>(rows: T[], query: URLSearchParams, fields: (row: T) => Fields): T[] {
  const keys = [...new Set([...query.keys()].filter((k) => k.startsWith('_keywords_')))];
  if (keys.length > 30) throw invalidParameter('invalid', 'keywords');
  const any = query.get('type') === 'OR';
  if (keys.length === 0) return rows;
  return rows.filter((row) => {
    const values = fields(row);
    const hits = keys.map((key) => {
      const field = key.replace(/^_keywords_/, '').replace(/\[\]$/, '');
      const have = String(values[field] ?? '').toLowerCase();
      return query.getAll(key).some((want) => have.includes(want.toLowerCase()));
    });
    return any ? hits.some(Boolean) : hits.every(Boolean);
  });
}

/** Applies offset/limit (defaults 0/100, limit 1..10000). */
export function page<T>(rows: T[], query: URLSearchParams): T[] {
  const number = (key: string, fallback: number, min: number, max: number): number => {
    const raw = query.get(key);
    if (raw === null) return fallback;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) throw invalidParameter('invalid', 'schema');
    return n;
  };
  const offset = number('offset', 0, 0, 10_000_000);
  return rows.slice(offset, offset + number('limit', 100, 1, 10_000));
}

export const recordFields = (r: DpfRecord): Fields => ({
  name: r.name,
  rrtype: r.rrtype,
  ttl: r.ttl,
  description: r.description,
  operator: r.operator,
  rdata: r.rdata.map((d) => d.value).join(' '),
  full_text: `${r.name} ${r.rrtype} ${r.rdata.map((d) => d.value).join(' ')} ${r.description}`,
});

/** A list or count answer over `rows`, depending on whether the path ends in /count. */
export function listing<T>(
  rows: T[],
  query: URLSearchParams,
  fields: (row: T) => Fields,
  count: boolean,
): { status: number; body: unknown } {
  const found = search(rows, query, fields);
  if (count) return { status: 200, body: { request_id: requestId(), result: { count: found.length } } };
  return { status: 200, body: { request_id: requestId(), results: page(found, query) } };
}
