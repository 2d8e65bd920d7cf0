// Outbound ACME requests under cert-manager's names and labels ({scheme, host, action, method,
// status}; cert-manager replaced its raw `path` label by `action` because order and authorization
// URLs are unique per object). `action` is one of a fixed set, so cardinality stays bounded.
import { Counter, Summary } from 'prom-client';
import type { AcmeRequestObservation } from '../acme/acme-client-adapter.ts';
import { registry } from './registry.ts';

const LABELS = ['scheme', 'host', 'action', 'method', 'status'] as const;

const requests = new Counter({
  name: 'certmanager_http_acme_client_request_count',
  help: 'Outbound ACME HTTP requests (status "error" when no HTTP answer came).',
  labelNames: LABELS,
  registers: [registry],
});
const durations = new Summary({
  name: 'certmanager_http_acme_client_request_duration_seconds',
  help: 'Latency of outbound ACME HTTP requests.',
  labelNames: LABELS,
  percentiles: [0.5, 0.9, 0.99],
  maxAgeSeconds: 600,
  ageBuckets: 5,
  registers: [registry],
});
const rateLimited = new Counter({
  name: 'acme6_acme_rate_limited_total',
  help: 'ACME answers that said the account or name hit a rate limit (HTTP 429 or rateLimited problem).',
  labelNames: ['host'],
  registers: [registry],
});

// Ordered: the first match wins. Paths differ between CAs (Let's Encrypt /acme/new-order, pebble
// /order-plz), so these look for the words every CA uses.
const ACTIONS: readonly [RegExp, string][] = [
  [/nonce/i, 'new_nonce'],
  [/new-?acc(oun)?t|new-?reg|sign-me-up/i, 'new_account'],
  [/new-?order|order-plz/i, 'new_order'],
  [/renewal-?info/i, 'renewal_info'],
  [/revoke/i, 'revoke'],
  [/key-?change|rollover/i, 'key_change'],
  [/finali[sz]e/i, 'finalize'],
  [/authz/i, 'authorization'],
  [/chal/i, 'challenge'],
  [/cert/i, 'certificate'],
  [/order/i, 'order'],
  [/acc(oun)?t|\/reg\//i, 'account'],
  [/dir/i, 'directory'],
];

/** The logical ACME operation a URL stands for (or `other`). */
export function acmeAction(url: URL): string {
  return ACTIONS.find(([pattern]) => pattern.test(url.pathname))?.[1] ?? 'other';
}

/** Records one request; give it to `observeAcmeRequests`. */
export function recordAcmeRequest(request: AcmeRequestObservation): void {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    return;
  }
  const labels = {
    scheme: url.protocol.replace(/:$/, ''),
    host: url.host,
    action: acmeAction(url),
    method: request.method,
    status: request.status === undefined ? 'error' : String(request.status),
  };
  requests.inc(labels);
  durations.observe(labels, request.seconds);
  if (request.status === 429 || request.problemType?.endsWith(':rateLimited'))
    rateLimited.inc({ host: url.host });
}
