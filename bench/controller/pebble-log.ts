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
