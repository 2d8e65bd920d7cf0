// The emulated DPF account: zones with an editing copy and a published copy of their records, and
// the asynchronous jobs every mutation returns (iij-dpf-api.md §6 "State").
import { randomBytes } from 'node:crypto';

/** A zone as `GET /zones` shows it. */
export interface Zone {
  id: string;
  common_config_id: number;
  service_code: string;
  state: number;
  favorite: number;
  name: string;
  network: null;
  description: string;
}

/** A record (one RRset) as the API shows it; `state` 0 applied, 1 add, 2 delete, 3 update. */
export interface DpfRecord {
  id: string;
  name: string;
  ttl: number | null;
  rrtype: string;
  rdata: { value: string }[];
  labels: Record<string, string>;
  state: number;
  description: string;
  operator: string | null;
}

/** A job; `done` says when it may stop reporting RUNNING. */
export interface Job {
  request_id: string;
  status: 'RUNNING' | 'SUCCESSFUL' | 'FAILED';
  pollsLeft: number;
  done: Promise<void>;
  /** Runs the job's change, when it is applied at completion rather than at acceptance. */
  start?: () => void;
  resources_url?: string;
  error_type?: string;
  error_message?: string;
}

/** One zone's two views: what `/records` edits and what `/records/currents` serves. */
export interface ZoneState {
  zone: Zone;
  editing: DpfRecord[];
  published: DpfRecord[];
  serial: number;
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A 14-character system id with a type prefix, like the API's (`m…` zones, `r…` records). */
export function systemId(prefix: 'm' | 'r'): string {
  return prefix + [...randomBytes(13)].map((b) => ALNUM[b % ALNUM.length]).join('');
}

/** A 32-character lowercase hex request id. */
export function requestId(): string {
  return randomBytes(16).toString('hex');
}

/** A deep copy, so the two views never share rows. */
export const cloneRecord = (r: DpfRecord): DpfRecord => ({
  ...r,
  rdata: r.rdata.map((d) => ({ ...d })),
  labels: { ...r.labels },
});

/** The account: zones by id, jobs by request id, users by bearer token. */
export class DpfState {
  readonly zones = new Map<string, ZoneState>();
  readonly jobs = new Map<string, Job>();
  /** Bearer token → operator id (an IIJ ID user like "SA0000001"). */
  readonly users = new Map<string, string>();

  /** Adds a zone seeded with SOA and apex NS, published; returns its state. */
  addZone(name: string, serviceCode: string): ZoneState {
    const zone: Zone = {
      id: systemId('m'),
      common_config_id: 1000 + this.zones.size,
      service_code: serviceCode,
      state: 2,
      favorite: 1,
      name,
      network: null,
      description: '',
    };
    const seed = (rrtype: string, value: string): DpfRecord => ({
      id: systemId('r'),
      name,
      ttl: 3600,
      rrtype,
      rdata: [{ value }],
      labels: {},
      state: 0,
      description: '',
      operator: null,
    });
    const records = [
      seed('SOA', `ns1.${name} hostmaster.${name} 1 3600 900 604800 300`),
      seed('NS', `ns1.${name}`),
    ];
    const state: ZoneState = { zone, editing: records, published: records.map(cloneRecord), serial: 1 };
    this.zones.set(zone.id, state);
    return state;
  }

  /** The zone named `name` (fully qualified). */
  zoneByName(name: string): ZoneState | undefined {
    return [...this.zones.values()].find((z) => z.zone.name === name);
  }

  /** Rows of the editing copy with a pending change (state ≠ 0). */
  pending(zone: ZoneState): DpfRecord[] {
    return zone.editing.filter((r) => r.state !== 0);
  }

  /**
   * Publishes the editing copy: pending deletes vanish, everything else becomes applied. Returns the
   * published rows before and after, so a caller can push the difference to real DNS.
   */
  commit(zone: ZoneState): { before: DpfRecord[]; after: DpfRecord[] } {
    const before = zone.published;
    zone.editing = zone.editing
      .filter((r) => r.state !== 2)
      .map((r) => ({ ...cloneRecord(r), state: 0, operator: null }));
    zone.published = zone.editing.map(cloneRecord);
    zone.serial += 1;
    return { before, after: zone.published };
  }

  /** Discards pending edits: the editing copy becomes the published one again. */
  revert(zone: ZoneState): void {
    zone.editing = zone.published.map(cloneRecord);
  }
}
