// Pure parsing of DPF responses: envelopes, records, jobs and error bodies, and which errors are
// worth retrying (iij-dpf-api.md §1, §3.8, §4).
import { boundedText } from '../../../api/bounded-text.ts';
import type { Dns01ErrorKind } from '../provider.ts';

/** A zone, as far as acme6 needs it. */
export interface DpfZone {
  id: string;
  name: string;
  serviceCode: string;
}

/** A record (one RRset), as far as acme6 needs it. */
export interface DpfRecord {
  id: string;
  name: string;
  rrtype: string;
  rdata: { value: string }[];
  state: number;
  operator: string | null;
}

/** A pending edit from `/records/diffs`: the row as staged and as published (either may be absent). */
export interface DpfDiff {
  new: DpfRecord | null;
  old: DpfRecord | null;
}

/** A job's status. */
export type DpfJob =
  | { status: 'RUNNING' }
  | { status: 'SUCCESSFUL' }
  | { status: 'FAILED'; errorType: string; errorMessage: string };

/** A response that does not have the documented shape. */
export class DpfProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DpfProtocolError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new DpfProtocolError(`${what} is not a string`);
  return v;
}

/** The `results` array of a list envelope. */
export function parseResults(body: unknown): unknown[] {
  if (!isObject(body) || !Array.isArray(body.results)) throw new DpfProtocolError('no "results" list');
  return body.results;
}

/** A zone from a list item. */
export function parseZone(item: unknown): DpfZone {
  if (!isObject(item)) throw new DpfProtocolError('zone is not an object');
  return {
    id: str(item.id, 'zone id'),
    name: str(item.name, 'zone name'),
    serviceCode: str(item.service_code, 'service_code'),
  };
}

/** A record from a list item. */
export function parseRecord(item: unknown): DpfRecord {
  if (!isObject(item)) throw new DpfProtocolError('record is not an object');
  if (!Array.isArray(item.rdata)) throw new DpfProtocolError('record rdata is not a list');
  return {
    id: str(item.id, 'record id'),
    name: str(item.name, 'record name'),
    rrtype: str(item.rrtype, 'rrtype'),
    rdata: item.rdata.map((d: unknown) => ({ value: str(isObject(d) ? d.value : undefined, 'rdata value') })),
    state: typeof item.state === 'number' ? item.state : 0,
    operator: typeof item.operator === 'string' ? item.operator : null,
  };
}

/** A `/records/diffs` item. */
export function parseDiff(item: unknown): DpfDiff {
  if (!isObject(item)) throw new DpfProtocolError('diff is not an object');
  const side = (v: unknown): DpfRecord | null => (v === null || v === undefined ? null : parseRecord(v));
  return { new: side(item.new), old: side(item.old) };
}

/** The request id of a 202 AsyncResponse. */
export function parseAsync(body: unknown): string {
  if (!isObject(body)) throw new DpfProtocolError('async response is not an object');
  return str(body.request_id, 'request_id');
}

/** A job status (not enveloped); anything but SUCCESSFUL/FAILED counts as running, like IIJ's SDK. */
export function parseJob(body: unknown): DpfJob {
  if (!isObject(body)) throw new DpfProtocolError('job status is not an object');
  if (body.status === 'SUCCESSFUL') return { status: 'SUCCESSFUL' };
  if (body.status === 'FAILED') {
    return {
      status: 'FAILED',
      errorType: typeof body.error_type === 'string' ? body.error_type : 'unknown',
      errorMessage: typeof body.error_message === 'string' ? body.error_message : '',
    };
  }
  return { status: 'RUNNING' };
}

/** An error response's type, message and details. */
export interface DpfErrorBody {
  errorType: string;
  errorMessage: string;
  details: { code: string; attribute: string }[];
}

/** Reads an error body; undefined when it is not the documented JSON. */
export function parseErrorBody(body: unknown): DpfErrorBody | undefined {
  if (!isObject(body) || typeof body.error_type !== 'string') return undefined;
  const details = Array.isArray(body.error_details) ? body.error_details.filter(isObject) : [];
  return {
    errorType: body.error_type,
    errorMessage: typeof body.error_message === 'string' ? body.error_message : '',
    details: details.map((d) => ({
      code: typeof d.code === 'string' ? d.code : '',
      attribute: typeof d.attribute === 'string' ? d.attribute : '',
    })),
  };
}

/** Whether the error says the access token was refused (DPF answers 400 invalid/access_token). */
function isTokenError(status: number, error: DpfErrorBody | undefined): boolean {
  if (status === 401 || status === 403) return true;
  return error?.details.some((d) => d.attribute === 'access_token') ?? false;
}

/**
 * Whether an HTTP error may pass by itself: 429 and 5xx may; so may `forbidden`/`record` (someone
 * else is editing the RRset). Token, parameter and URL errors need a configuration change.
 */
export function errorKind(status: number, error: DpfErrorBody | undefined): Dns01ErrorKind {
  if (status === 429 || status >= 500) return 'transient';
  if (error?.details.some((d) => d.code === 'forbidden' && d.attribute === 'record')) return 'transient';
  return 'terminal';
}

/** "HTTP 400 ParameterError: There are invalid parameters. (invalid/access_token)" plus a hint. */
export function describeHttpError(status: number, error: DpfErrorBody | undefined, rawBody: string): string {
  if (!error) return `HTTP ${status}: ${rawBody.slice(0, 200) || '(empty body)'}`;
  const details = boundedText(error.details.map((d) => `${d.code}/${d.attribute}`).join(', '), 256);
  const text = `HTTP ${status} ${boundedText(error.errorType, 128)}: ${boundedText(error.errorMessage)}${details ? ` (${details})` : ''}`;
  if (isTokenError(status, error))
    return `${text}: the API token was refused (is it right, unexpired, with dpf_write scope?)`;
  if (status === 429 || status === 503) return `${text}: the service asks to slow down; will retry later`;
  return text;
}
