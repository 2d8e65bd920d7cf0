// The emulator's state: one DO service's zones with their records in editing states (§6.1, §8).
// POST and DELETE only stage; commit turns the staged copy into what DNS serves.
import { DoApiError, notExist, parameterError } from './errors.ts';

/** A record as the API lists it; every field a string. */
export interface DoRecord {
  Id: string;
  Status: 'UNCHANGED' | 'ADDING' | 'DELETING';
  Owner: string;
  TTL: string;
  RecordType: string;
  RData: string;
}

/** TTLs the API accepts (S10). */
const TTLS = new Set(['300', '600', '3600', '28800', '43200']);
const TYPES = new Set(['A', 'AAAA', 'CNAME', 'MX', 'NS', 'TXT', 'SRV', 'PTR', 'DS', 'CAA']);

/** One DO service: its zones (names without a trailing dot) and their records. */
export class DoState {
  readonly zones = new Map<string, DoRecord[]>();
  /** Access key → secret key. */
  readonly secrets = new Map<string, string>();
  private nextId = 1000;

  readonly serviceCode: string;

  constructor(serviceCode: string) {
    this.serviceCode = serviceCode;
  }

  /** The records of `zone`, or a 404. */
  records(zone: string): DoRecord[] {
    const records = this.zones.get(zone);
    if (!records) throw notExist(`zone ${zone}`);
    return records;
  }

  /** Stages a new record from a `POST record.json` body; returns it. */
  add(zone: string, body: unknown): DoRecord {
    const records = this.records(zone);
    if (typeof body !== 'object' || body === null) throw parameterError();
    const b = body as Record<string, unknown>;
    for (const key of ['Owner', 'TTL', 'RecordType', 'RData'])
      if (typeof b[key] !== 'string' || b[key] === '') throw parameterError();
    const [owner, ttl, type, rdata] = [b.Owner, b.TTL, b.RecordType, b.RData] as string[];
    if (!TTLS.has(ttl!) || !TYPES.has(type!)) throw parameterError();
    const record: DoRecord = {
      Id: String(this.nextId++),
      Status: 'ADDING',
      Owner: relativeOwner(owner!, zone),
      TTL: ttl!,
      RecordType: type!,
      RData: type === 'TXT' ? quoteTxtRdata(rdata!) : rdata!,
    };
    const same = (r: DoRecord): boolean =>
      r.Status !== 'DELETING' &&
      r.Owner === record.Owner &&
      r.RecordType === record.RecordType &&
      r.RData === record.RData;
    if (records.some(same))
      throw new DoApiError(400, 'RecordValidateError', 'The record already exists.', {
        ErrorList: [{ Line: `${record.Owner} IN ${type} ${record.RData}`, ErrorCode: 'DUPLICATE_RECORD' }],
      });
    records.push(record);
    return record;
  }

  /** Stages the removal of a record: an uncommitted addition just goes. */
  delete(zone: string, id: string): void {
    const records = this.records(zone);
    const index = records.findIndex((r) => r.Id === id && r.Status !== 'DELETING');
    if (index < 0) throw notExist(`record ${id}`);
    if (records[index]!.Status === 'ADDING') records.splice(index, 1);
    else records[index]!.Status = 'DELETING';
  }

  /** Publishes every zone's staged edits; added records get new Ids, as the service may do. */
  commit(): void {
    for (const [zone, records] of this.zones) {
      this.zones.set(
        zone,
        records
          .filter((r) => r.Status !== 'DELETING')
          .map((r) => (r.Status === 'ADDING' ? { ...r, Status: 'UNCHANGED', Id: String(this.nextId++) } : r)),
      );
    }
  }

  /** What DNS serves for `zone` now: committed records, including those staged for deletion. */
  published(zone: string): DoRecord[] {
    return this.records(zone).filter((r) => r.Status !== 'ADDING');
  }
}

/** `www`, `@`, or `www.zone.` as the relative owner the API lists. */
function relativeOwner(owner: string, zone: string): string {
  if (!owner.endsWith('.')) return owner.toLowerCase();
  const name = owner.slice(0, -1).toLowerCase();
  if (name === zone) return '@';
  if (name.endsWith(`.${zone}`)) return name.slice(0, -zone.length - 1);
  throw parameterError();
}

/** A TXT RData as listed: wrapped in quotes unless it already is; stray quotes are refused. */
function quoteTxtRdata(rdata: string): string {
  const inner =
    rdata.length >= 2 && rdata.startsWith('"') && rdata.endsWith('"') ? rdata.slice(1, -1) : rdata;
  if (/(^|[^\\])"/.test(inner) || Buffer.byteLength(inner) > 255 || /[^\x20-\x7e]/.test(inner))
    throw parameterError();
  return `"${inner}"`;
}
