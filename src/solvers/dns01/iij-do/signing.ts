// DO-API request signing, "SignatureVersion 2" with HMAC-SHA256 (iij-do-api.md §4): a fixed
// StringToSign layout, the raw secret as HMAC key, standard padded base64.
import { createHmac } from 'node:crypto';

/** The headers a signed request carries (Content-Type only when there is a body). */
export type SignedHeaders = Record<string, string>;

/** What is signed: method, path as sent (no query), and whether a JSON body goes with it. */
export interface SignInput {
  method: string;
  path: string;
  hasBody: boolean;
}

/** `date` as `YYYY-MM-DDThh:mm:ssZ` in UTC: no fractional seconds, as the API requires. */
export function formatExpire(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One path segment percent-encoded with S8's table: only `A-Z a-z 0-9 - . _ ~` stay as they are. */
export function encodeSegment(segment: string): string {
  return [...Buffer.from(segment, 'utf8')]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** The StringToSign: lines joined by LF, no trailing newline, x-iijapi headers sorted and lowercased. */
export function stringToSign(
  method: string,
  contentType: string,
  iijHeaders: SignedHeaders,
  path: string,
): string {
  const lines = Object.entries(iijHeaders)
    .map(([name, value]) => [name.toLowerCase(), value] as const)
    .filter(([name]) => name.startsWith('x-iijapi-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${value}`);
  // Line 2 is Content-MD5, which acme6 never sends.
  return [method.toUpperCase(), '', contentType, ...lines, path].join('\n');
}

/** base64(HMAC-SHA256(secret as UTF-8, message)), 44 characters. */
export function signature(secretKey: string, message: string): string {
  return createHmac('sha256', secretKey).update(message, 'utf8').digest('base64');
}

/** All headers for one request, signed to expire at `expire`. */
export function signRequest(
  input: SignInput,
  keys: { accessKey: string; secretKey: string },
  expire: Date,
): SignedHeaders {
  const iij: SignedHeaders = {
    'x-iijapi-Expire': formatExpire(expire),
    'x-iijapi-SignatureMethod': 'HmacSHA256',
    'x-iijapi-SignatureVersion': '2',
  };
  const contentType = input.hasBody ? 'application/json' : '';
  const sig = signature(keys.secretKey, stringToSign(input.method, contentType, iij, input.path));
  return {
    ...iij,
    Authorization: `IIJAPI ${keys.accessKey}:${sig}`,
    ...(input.hasBody ? { 'Content-Type': contentType } : {}),
  };
}
