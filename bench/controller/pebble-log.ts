// Pebble logs one line per request it handles ("POST /order-plz -> calling handler()"): counting
// lines between two moments gives the requests and orders any client sent, acme6 or not.
import { readFileSync } from 'node:fs';

export interface CaRequests {
  requests: number;
  orders: number;
  nonces: number;
  /** Requests per endpoint (ENDPOINTS' names), so a figure says where the requests went. */
  byEndpoint: Record<string, number>;
}

/**
 * Pebble's paths, by what a client asks with them. Its log names the path without the object's id,
 * so first fetches and polls of the same object count together.
 */
export const ENDPOINTS: readonly (readonly [name: string, path: RegExp])[] = [
  ['directory', /^\/dir$/],
  ['nonce', /^\/nonce-plz$/],
  ['account', /^\/(sign-me-up|my-account\/.*|rollover-account-key)$/],
  ['newOrder', /^\/order-plz$/],
  ['order', /^\/my-order\//],
  ['authz', /^\/authZ\//],
  ['challenge', /^\/chalZ\//],
  ['finalize', /^\/finalize-order\//],
  ['certificate', /^\/certZ\//],
  ['renewalInfo', /renewalInfo/],
];

/** The endpoint a request line's path belongs to ("other" when none matches). */
export function endpointOf(path: string): string {
  return ENDPOINTS.find(([, pattern]) => pattern.test(path))?.[0] ?? 'other';
}

export function countCaRequests(logFile: string): CaRequests {
  const lines = readFileSync(logFile, 'utf8').split('\n');
  let requests = 0;
  let orders = 0;
  let nonces = 0;
  const byEndpoint: Record<string, number> = {};
  for (const line of lines) {
    if (!line.endsWith('-> calling handler()')) continue;
    requests++;
    if (line.includes('POST /order-plz ')) orders++;
    if (line.includes(' /nonce-plz ')) nonces++;
    const path = / (?:GET|HEAD|POST) (\S+) -> calling handler\(\)$/.exec(line)?.[1] ?? '';
    const endpoint = endpointOf(path);
    byEndpoint[endpoint] = (byEndpoint[endpoint] ?? 0) + 1;
  }
  return { requests, orders, nonces, byEndpoint };
}

export function since(now: CaRequests, before: CaRequests): CaRequests {
  return {
    requests: now.requests - before.requests,
    orders: now.orders - before.orders,
    nonces: now.nonces - before.nonces,
    byEndpoint: Object.fromEntries(
      Object.entries(now.byEndpoint)
        .map(([endpoint, n]) => [endpoint, n - (before.byEndpoint[endpoint] ?? 0)] as const)
        .filter(([, n]) => n > 0),
    ),
  };
}

/** The log's length in lines now: where a later `ordersSince` starts reading. */
export function logLines(logFile: string): number {
  return readFileSync(logFile, 'utf8').split('\n').length - 1;
}

/**
 * Orders pebble placed ("Added order ... to the db", so not those it refused) after line `from`,
 * and the most that were open at once (placed, not yet issued), following the log line by line.
 */
export function ordersSince(logFile: string, from: number): { placed: number; peakOpen: number } {
  const lines = readFileSync(logFile, 'utf8').split('\n').slice(from);
  let placed = 0;
  let open = 0;
  let peakOpen = 0;
  for (const line of lines) {
    if (/ Added order "[^"]+" to the db$/.test(line)) {
      placed++;
      peakOpen = Math.max(peakOpen, ++open);
    } else if (/ Issued certificate serial \S+ for order /.test(line)) open--;
  }
  return { placed, peakOpen };
}
