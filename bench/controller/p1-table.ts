// One P1 row per client (acme6, lego, Traefik), and the table every P1 scenario prints them in.
import type { CaRequests } from './pebble-log.ts';
import { fixed, table } from './table.ts';

/** One client's run of a P1 scenario. */
export interface P1Row {
  name: string;
  seconds: number;
  ca: CaRequests;
  cpu: number;
  peakMb: number;
  note: string;
}

/** The P1 table for `n` certificates: per-certificate figures are divided by `n`. */
export function p1Table(title: string, n: number, rows: P1Row[]): string {
  return table(
    title,
    [
      'client',
      'seconds until all issued',
      'orders',
      'CA requests / cert',
      'fresh nonces / cert',
      'CPU s',
      'peak RSS MB',
      'how',
    ],
    rows.map((r) => [
      r.name,
      fixed(r.seconds),
      Number.isNaN(r.ca.orders) ? 'n/a' : r.ca.orders,
      fixed(r.ca.requests / n),
      fixed(r.ca.nonces / n),
      fixed(r.cpu),
      fixed(r.peakMb),
      r.note,
    ]),
  );
}
