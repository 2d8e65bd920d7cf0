// Server-side check of "SignatureVersion 2" (iij-do-api.md §4.7), written apart from the client's
// signing code so the emulator does not merely agree with the client's mistakes.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { authError, DoApiError } from './errors.ts';

/** What the check needs from a request. */
export interface SignedRequest {
  method: string;
  /** The raw request path, still percent-encoded, without the query string. */
  rawPath: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** Longest allowed signature lifetime (sibling APIs: less than 24 h ahead). */
const MAX_AHEAD_MS = 24 * 3600_000;

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};

/** Throws a DoApiError unless the request is signed by a known key; returns the access key. */
export function verifySignature(req: SignedRequest, secrets: Map<string, string>, now: number): string {
  const auth = /^IIJAPI ([^:]+):(.+)$/.exec(header(req.headers, 'authorization') ?? '');
  if (!auth) throw authError('The Authorization header is missing or malformed.');
  const [, accessKey, given] = auth as unknown as [string, string, string];
  const secret = secrets.get(accessKey);
  if (secret === undefined) throw authError('The access key is not valid.');
  if (header(req.headers, 'x-iijapi-signatureversion') !== '2')
    throw authError('x-iijapi-SignatureVersion must be 2.');
  const method = header(req.headers, 'x-iijapi-signaturemethod');
  if (method !== 'HmacSHA256' && method !== 'HmacSHA1')
    throw authError('x-iijapi-SignatureMethod must be HmacSHA256 or HmacSHA1.');
  const expire = header(req.headers, 'x-iijapi-expire') ?? '';
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(expire) || Number.isNaN(Date.parse(expire)))
    throw authError('x-iijapi-Expire must be YYYY-MM-DDThh:mm:ssZ.');
  const expiresAt = Date.parse(expire);
  if (expiresAt <= now)
    throw authError(`The request has expired (x-iijapi-Expire ${expire} is in the past).`);
  if (expiresAt - now >= MAX_AHEAD_MS) throw authError('x-iijapi-Expire must be less than 24 hours ahead.');
  const md5 = header(req.headers, 'content-md5');
  if (md5 !== undefined && md5 !== createHash('md5').update(req.body).digest('base64'))
    throw new DoApiError(400, 'ParameterError', 'Content-MD5 does not match the body.');
  const iij = Object.keys(req.headers)
    .map((n) => n.toLowerCase())
    .filter((n) => n.startsWith('x-iijapi-'))
    .sort()
    .map((n) => `${n}:${header(req.headers, n) ?? ''}`);
  const sts = [req.method, md5 ?? '', header(req.headers, 'content-type') ?? '', ...iij, req.rawPath].join(
    '\n',
  );
  const expected = createHmac(method === 'HmacSHA1' ? 'sha1' : 'sha256', secret)
    .update(sts)
    .digest();
  // Compared as text: standard base64 with padding is the only accepted spelling.
  const got = Buffer.from(given);
  const want = Buffer.from(expected.toString('base64'));
  if (got.length !== want.length || !timingSafeEqual(got, want))
    throw authError('The signature does not match.');
  return accessKey;
}
