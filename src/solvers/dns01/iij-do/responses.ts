// Pure parsing of DO-API responses: zone and record lists, the ErrorResponse body, and which
// failures are worth retrying (iij-do-api.md §3, §5).
import { boundedText } from '../../../api/bounded-text.ts';
import type { Dns01ErrorKind } from '../provider.ts';

/** A record from `records/DETAIL.json`; every field is a string on the wire. */
export interface DoRecord {
  Id: string;
  Status: string;
  Owner: string;
  TTL: string;
  RecordType: string;
  RData: string;
}

/** An `ErrorResponse` body. */
export interface DoError {
  requestId?: string;
  errorType: string;
  errorMessage: string;
}

/** A response that does not have the documented shape. */
export class DoProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DoProtocolError';
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `ZoneList` of `GET zones.json`. */
export function parseZoneList(body: unknown): string[] {
  if (!isObject(body) || !Array.isArray(body.ZoneList)) throw new DoProtocolError('no "ZoneList" array');
  return body.ZoneList.map((z) => {
    if (typeof z !== 'string') throw new DoProtocolError('a ZoneList entry is not a string');
    return z;
  });
}

/** `RecordList` of `GET records/DETAIL.json` (StaticRecordList is not ours to touch). */
export function parseRecordList(body: unknown): DoRecord[] {
  if (!isObject(body) || !Array.isArray(body.RecordList)) throw new DoProtocolError('no "RecordList" array');
  return body.RecordList.map((r) => {
    if (!isObject(r)) throw new DoProtocolError('a record is not an object');
    const out: Record<string, string> = {};
    for (const key of ['Id', 'Status', 'Owner', 'TTL', 'RecordType', 'RData']) {
      if (typeof r[key] !== 'string') throw new DoProtocolError(`record field ${key} is not a string`);
      out[key] = r[key];
    }
    return out as unknown as DoRecord;
  });
}

/** The `ErrorResponse` in a body, if it has one with a non-empty ErrorType (even on HTTP 200). */
export function parseErrorBody(body: unknown): DoError | undefined {
  if (!isObject(body) || !isObject(body.ErrorResponse)) return undefined;
  const e = body.ErrorResponse;
  if (typeof e.ErrorType !== 'string' || e.ErrorType === '') return undefined;
  return {
    errorType: e.ErrorType,
    errorMessage: typeof e.ErrorMessage === 'string' ? e.ErrorMessage : '',
    ...(typeof e.RequestId === 'string' ? { requestId: e.RequestId } : {}),
  };
}

/** Error types that say the credentials or signature were refused. */
const AUTH_TYPES = /auth|signature|forbidden|accesskey|expire/i;

/**
 * Whether retrying can help: 429, 5xx and statuses with no API error are transient; refused
 * credentials, bad parameters and unknown resources are terminal.
 */
export function errorKind(status: number, error: DoError | undefined): Dns01ErrorKind {
  if (status === 429 || status >= 500) return 'transient';
  if (error && AUTH_TYPES.test(error.errorType)) return 'terminal';
  if (status === 401 || status === 403 || status === 400 || status === 404) return 'terminal';
  return 'transient';
}

/** `HTTP 403 ErrorType: ErrorMessage (request id)`, or the start of a body that is not an API error. */
export function describeHttpError(status: number, error: DoError | undefined, text: string): string {
  if (error) {
    const id = error.requestId ? ` (request ${error.requestId})` : '';
    return `HTTP ${status} ${boundedText(error.errorType, 128)}: ${boundedText(error.errorMessage)}${boundedText(id, 128)}`;
  }
  const snippet = text.trim().slice(0, 120);
  return snippet === '' ? `HTTP ${status} with an empty body` : `HTTP ${status}: ${snippet}`;
}
