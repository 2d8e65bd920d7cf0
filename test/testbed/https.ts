// Minimal HTTPS GET for readiness probes and pebble's management API, trusting a given CA.
import { request } from 'node:https';

/** TLS material for a request: the CA to trust and optionally a client certificate. */
export interface TlsOptions {
  ca: string;
  cert?: string;
  key?: string;
}

/** GETs `url` and resolves with the status and body; rejects on network errors or after 5 s. */
export function httpsGet(url: string, tls: TlsOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // Pebble in strict mode rejects requests without a User-Agent, as RFC 8555 section 6.1 asks.
    const headers = { 'User-Agent': 'acme6-testbed' };
    const req = request(url, { ...tls, method: 'GET', headers, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
