// Requests through the testbed's ingress controller (Traefik), as a client of the user's site would.
import { request } from 'node:http';
import { testbed } from './kube.ts';

/** GETs `path` from Traefik's HTTP entrypoint with `host` as the Host header. */
export function viaIngress(
  host: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { address, httpPort } = testbed().ingress!;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: address, port: httpPort, path, headers: { Host: host, ...headers }, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}
