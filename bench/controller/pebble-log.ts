// Pebble logs one line per request it handles ("POST /order-plz -> calling handler()"): counting
// lines between two moments gives the requests and orders any client sent, acme6 or not.
import { readFileSync } from 'node:fs';

export interface CaRequests {
  requests: number;
  orders: number;
  nonces: number;
}

export function countCaRequests(logFile: string): CaRequests {
  const lines = readFileSync(logFile, 'utf8').split('\n');
  let requests = 0;
  let orders = 0;
  let nonces = 0;
  for (const line of lines) {
    if (!line.endsWith('-> calling handler()')) continue;
    requests++;
    if (line.includes('POST /order-plz ')) orders++;
    if (line.includes(' /nonce-plz ')) nonces++;
  }
  return { requests, orders, nonces };
}

export function since(now: CaRequests, before: CaRequests): CaRequests {
  return {
    requests: now.requests - before.requests,
    orders: now.orders - before.orders,
    nonces: now.nonces - before.nonces,
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
