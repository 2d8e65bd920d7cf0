// Routes one authenticated DPF request to its handler: zone and record reads with the API's
// keyword search and paging, record mutations, the zone commit, and job status.
import { invalidParameter, notFound } from './errors.ts';
import type { Faults } from './faults.ts';
import { cloneRecord, requestId, type DpfRecord, type DpfState, type Zone, type ZoneState } from './model.ts';
import { jobStatus, startJob } from './jobs.ts';
import { planCreate, planDelete, planDiscard, planUpdate } from './records.ts';
import { listing, page, recordFields, type Fields } from './search.ts';

/** A parsed request; `operator` is the user its token belongs to. */
export interface DpfRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  operator: string;
}

/** A response: HTTP status and JSON body. */
export interface DpfResponse {
  status: number;
  body: unknown;
}

/** Pushes a commit's published TXT RRsets to real DNS; the commit job ends when it settles. */
export type Publish = (zone: string, before: DpfRecord[], after: DpfRecord[]) => Promise<void>;

/** What the handlers need besides the request. */
export interface HandlerContext {
  state: DpfState;
  faults: Faults;
  publish: Publish;
  /** The base URL jobs_url and resources_url start with. */
  baseUrl: string;
  /** How many polls a job reports RUNNING before it finishes. */
  jobPolls: number;
  /** When a job's change lands: when the request is accepted, or when the job completes. */
  applyAt: 'accept' | 'complete';
}

/** The pending edits as `/records/diffs` shows them: `{new, old}` pairs, `null` where a side is missing. */
function diffs(zone: ZoneState): { new: DpfRecord | null; old: DpfRecord | null }[] {
  return zone.editing
    .filter((r) => r.state !== 0)
    .map((r) => ({ new: cloneRecord(r), old: zone.published.find((p) => p.id === r.id) ?? null }));
}

const asBody = (body: unknown): Record<string, unknown> => {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidParameter('invalid', 'schema');
  return body as Record<string, unknown>;
};

/** Handles one request that passed authentication and fault injection. */
export async function handle(ctx: HandlerContext, req: DpfRequest): Promise<DpfResponse> {
  const { method, query } = req;
  const parts = req.path.split('/').filter(Boolean);
  const zones = [...ctx.state.zones.values()].map((z) => ({ ...z.zone }));
  const zoneFields = (z: Zone): Fields => ({ ...z, full_text: `${z.name} ${z.service_code}` });

  if (parts[0] === 'jobs' && parts.length === 2 && method === 'GET') return jobStatus(ctx, parts[1]!);
  if (parts[0] !== 'zones') throw notFound();
  if (parts.length === 1 && method === 'GET') {
    return listing(zones, query, zoneFields, false);
  }
  if (parts.length === 2 && parts[1] === 'count' && method === 'GET')
    return listing(zones, query, zoneFields, true);

  const zone = ctx.state.zones.get(parts[1]!);
  if (!zone) {
    if (/^[A-Za-z0-9]{14}$/.test(parts[1]!)) throw invalidParameter('not_found', 'zone');
    throw notFound();
  }
  const rest = parts.slice(2).join('/');
  const recordPath = `/zones/${zone.zone.id}/records`;

  if (method === 'GET') {
    if (rest === '') return { status: 200, body: { request_id: requestId(), result: zone.zone } };
    const views: Record<string, () => DpfResponse> = {
      records: () => listing(zone.editing.map(cloneRecord), query, recordFields, false),
      'records/count': () => listing(zone.editing, query, recordFields, true),
      'records/currents': () => listing(zone.published.map(cloneRecord), query, recordFields, false),
      'records/currents/count': () => listing(zone.published, query, recordFields, true),
      'records/diffs': () => ({
        status: 200,
        body: { request_id: requestId(), results: page(diffs(zone), query) },
      }),
      'records/diffs/count': () => ({
        status: 200,
        body: { request_id: requestId(), result: { count: diffs(zone).length } },
      }),
    };
    const view = views[rest];
    if (view) return view();
    if (parts.length === 4 && parts[2] === 'records') {
      const row = zone.editing.find((r) => r.id === parts[3]);
      if (!row) throw invalidParameter('not_found', 'record');
      return { status: 200, body: { request_id: requestId(), result: cloneRecord(row) } };
    }
    throw notFound();
  }
  if (method === 'POST' && rest === 'records') {
    const plan = planCreate(zone, asBody(req.body), req.operator);
    return startJob(ctx, `${recordPath}/${plan.id}`, () => plan.apply());
  }
  if (parts[2] === 'records' && parts.length === 4 && method === 'PATCH') {
    const plan = planUpdate(zone, parts[3]!, asBody(req.body), req.operator);
    return startJob(ctx, `${recordPath}/${parts[3]}`, () => plan.apply());
  }
  if (parts[2] === 'records' && parts.length === 4 && method === 'DELETE') {
    const plan = planDelete(zone, parts[3]!, req.operator);
    return startJob(ctx, `${recordPath}/${parts[3]}`, () => plan.apply());
  }
  if (parts[2] === 'records' && parts[4] === 'changes' && parts.length === 5 && method === 'DELETE') {
    const plan = planDiscard(zone, parts[3]!, req.operator);
    return startJob(ctx, `${recordPath}/${parts[3]}`, () => plan.apply());
  }
  if (rest === 'changes' && method === 'PATCH') {
    if (req.body !== undefined) {
      const description = asBody(req.body).description;
      if (description !== undefined && (typeof description !== 'string' || description.length > 80)) {
        throw invalidParameter('invalid', 'schema');
      }
    }
    return startJob(ctx, `/zones/${zone.zone.id}`, () => {
      const { before, after } = ctx.state.commit(zone);
      return ctx.publish(zone.zone.name, before, after);
    });
  }
  if (rest === 'changes' && method === 'DELETE') {
    return startJob(ctx, `/zones/${zone.zone.id}`, () => ctx.state.revert(zone));
  }
  throw notFound();
}
