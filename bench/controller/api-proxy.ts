// A plain-HTTP proxy on loopback in front of the testbed apiserver, so the benchmark counts exactly
// the requests one client (the controller) makes: the client talks HTTP to the proxy, the proxy
// talks TLS to the apiserver with the admin credentials. Watches stream through untouched.
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';

/** Requests seen so far, by method and by resource (the path's last plural noun). */
export interface RequestCounts {
  byMethod: Map<string, number>;
  writesByResource: Map<string, number>;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The resource a Kubernetes API path names: /api/v1/namespaces/x/secrets/y -> secrets. */
export function resourceOf(path: string): string {
  const parts = (path.split('?')[0] ?? '').split('/').filter(Boolean);
  const start = parts[0] === 'api' ? 2 : 3;
  const rest = parts.slice(start);
  if (rest[0] === 'namespaces' && rest.length > 2) rest.splice(0, 2);
  return rest[0] ?? '(root)';
}

/**
 * Writes a kubeconfig at `path` that sends a client through the proxy at `proxyUrl`: plain HTTP on
 * loopback, which client-node wants spelt out as skipping TLS checks.
 */
export function writeProxyKubeconfig(path: string, proxyUrl: string): string {
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'proxy', cluster: { server: proxyUrl, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'proxy', user: {} }],
      contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'proxy' } }],
      'current-context': 'proxy',
    }),
  );
  return path;
}

export class ApiProxy {
  readonly counts: RequestCounts = { byMethod: new Map(), writesByResource: new Map() };
  private readonly server: Server;

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(
    apiserverUrl: string,
    tls: Pick<RequestOptions, 'ca' | 'cert' | 'key'>,
  ): Promise<ApiProxy> {
    const target = new URL(apiserverUrl);
    const server = createServer((req, res) => {
      const method = req.method ?? 'GET';
      proxy.count(method, req.url ?? '/');
      const upstream = request(
        {
          ...tls,
          hostname: target.hostname,
          port: target.port,
          method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    const proxy = new ApiProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Write requests so far (POST, PUT, PATCH, DELETE). */
  writes(): number {
    let total = 0;
    for (const [method, n] of this.counts.byMethod) if (WRITES.has(method)) total += n;
    return total;
  }

  snapshot(): Map<string, number> {
    return new Map(this.counts.writesByResource);
  }

  private count(method: string, path: string): void {
    this.counts.byMethod.set(method, (this.counts.byMethod.get(method) ?? 0) + 1);
    if (WRITES.has(method)) {
      const resource = resourceOf(path);
      this.counts.writesByResource.set(resource, (this.counts.writesByResource.get(resource) ?? 0) + 1);
    }
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
