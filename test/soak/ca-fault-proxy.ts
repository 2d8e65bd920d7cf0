// An HTTPS proxy in front of pebble that, while armed, answers a share of requests itself with a
// 500 or 503 problem document, without passing them on: the CA is flaky, but nothing it did is lost
// (a request it never saw created no order). The Host header goes through unchanged, and pebble
// builds every URL it hands out from it, so clients keep talking to the proxy.
import { createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCertificateAuthority, issueCertificate } from '../testbed/pki.ts';

export class CaFaultProxy {
  /** The directory URL to give an Issuer. */
  directoryUrl = '';
  /** PEM of the CA that signed the proxy's certificate (the Issuer's caBundle). */
  caPem = '';
  /** Requests answered with an injected error so far. */
  injected = 0;
  private failureRate = 0;
  private server: Server | undefined;

  private readonly upstream: URL;
  private readonly upstreamCaPem: string;

  private constructor(upstream: URL, upstreamCaPem: string) {
    this.upstream = upstream;
    this.upstreamCaPem = upstreamCaPem;
  }

  /** Listens on 127.0.0.1 for `directoryUrl` (pebble's), trusting `upstreamCaPem` for it. */
  static async start(directoryUrl: string, upstreamCaPem: string): Promise<CaFaultProxy> {
    const proxy = new CaFaultProxy(new URL(directoryUrl), upstreamCaPem);
    const ca = await createCertificateAuthority('acme6 soak CA proxy');
    const leaf = await issueCertificate(ca, {
      kind: 'server',
      commonName: '127.0.0.1',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) =>
      proxy.handle(req, res),
    );
    // Idle connections stay open longer than a client keeps them (Node's 5 s default would race
    // with clients reusing them: "socket hang up", a fault nobody asked for).
    server.keepAliveTimeout = 120_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    proxy.server = server;
    proxy.caPem = ca.certPem;
    const { port } = server.address() as AddressInfo;
    proxy.directoryUrl = `https://127.0.0.1:${port}${proxy.upstream.pathname}`;
    return proxy;
  }

  /** From now on, `percent` % of requests get an injected error (0 passes everything on). */
  failPercent(percent: number): void {
    this.failureRate = Math.min(Math.max(percent, 0), 100) / 100;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.failureRate > 0 && Math.random() < this.failureRate) {
      req.resume();
      const status = this.injected++ % 2 === 0 ? 500 : 503;
      res.writeHead(status, { 'Content-Type': 'application/problem+json', 'Retry-After': '1' });
      res.end(
        JSON.stringify({
          type: 'urn:ietf:params:acme:error:serverInternal',
          detail: `injected by the soak (${status})`,
          status,
        }),
      );
      return;
    }
    const upstream = request(
      {
        host: this.upstream.hostname,
        port: this.upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        ca: this.upstreamCaPem,
        servername: '',
        timeout: 30_000,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('timeout', () => upstream.destroy(new Error('pebble did not answer in 30 s')));
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end('pebble unreachable');
    });
    req.pipe(upstream);
  }
}
