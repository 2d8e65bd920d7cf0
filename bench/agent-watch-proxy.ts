// A plain-HTTP proxy on loopback in front of the testbed apiserver that records what one client (the
// node agent) asked for and which full objects it was sent: every Service and EndpointSlice in a
// list or watch answer, except PartialObjectMetadata ones. Anything the agent holds in its caches it
// was sent here, so "received in full" bounds "held in full". Used by the agent-watch test and bench.
import { createServer, type Server } from 'node:http';
import { request, type RequestOptions } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One request the client made. */
export interface RecordedRequest {
  readonly method: string;
  /** Path and query, e.g. `/api/v1/services?watch=true&resourceVersion=1`. */
  readonly url: string;
  readonly accept: string;
}

interface Received {
  kind?: string;
  metadata?: { namespace?: string; name?: string };
}

/** Kinds whose full objects are tallied. */
const TALLIED = new Set(['Service', 'EndpointSlice']);

export class RecordingProxy {
  readonly requests: RecordedRequest[] = [];
  /** `Kind` → `namespace/name` of every full object sent to the client. */
  readonly fullObjects = new Map<string, Set<string>>();
  /** How many objects (full or metadata) were sent, by kind as the apiserver named it. */
  readonly objectsSent = new Map<string, number>();
  private readonly server: Server;

  private constructor(server: Server) {
    this.server = server;
  }

  /** `impersonate`: a user name the admin credentials act as (so the client gets that user's RBAC). */
  static async start(
    apiserverUrl: string,
    tls: Pick<RequestOptions, 'ca' | 'cert' | 'key'>,
    impersonate?: string,
  ): Promise<RecordingProxy> {
    const target = new URL(apiserverUrl);
    const server = createServer((req, res) => {
      const url = req.url ?? '/';
      proxy.requests.push({ method: req.method ?? 'GET', url, accept: req.headers.accept ?? '' });
      // Uncompressed answers, so they can be read on the way through.
      const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host };
      delete headers['accept-encoding'];
      if (impersonate !== undefined) headers['impersonate-user'] = impersonate;
      const upstream = request(
        { ...tls, hostname: target.hostname, port: target.port, method: req.method, path: url, headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          const watching = /[?&]watch=(true|1)/.test(url);
          let buffered = '';
          answer.setEncoding('utf8');
          answer.on('data', (chunk: string) => {
            res.write(chunk);
            buffered += chunk;
            if (!watching) return;
            const lines = buffered.split('\n');
            buffered = lines.pop() ?? '';
            for (const line of lines) proxy.tallyEvent(line);
          });
          answer.on('end', () => {
            res.end();
            if (!watching) proxy.tallyList(buffered);
          });
        },
      );
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    const proxy = new RecordingProxy(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Keys of the full objects of `kind` the client was sent. */
  full(kind: string): string[] {
    return [...(this.fullObjects.get(kind) ?? [])].sort();
  }

  private tallyEvent(line: string): void {
    if (line.trim() === '') return;
    try {
      const event = JSON.parse(line) as { type?: string; object?: Received };
      if (event.type !== 'BOOKMARK' && event.type !== 'ERROR' && event.object) this.tally(event.object);
    } catch {
      // Not JSON: not an object the client could have cached.
    }
  }

  private tallyList(body: string): void {
    try {
      const list = JSON.parse(body) as Received & { items?: Received[] };
      const itemKind = list.kind?.endsWith('List') ? list.kind.slice(0, -'List'.length) : undefined;
      if (Array.isArray(list.items)) for (const item of list.items) this.tally({ kind: itemKind, ...item });
      else if (list.kind) this.tally(list);
    } catch {
      // An error page or a non-JSON answer.
    }
  }

  private tally(obj: Received): void {
    const kind = obj.kind ?? '';
    this.objectsSent.set(kind, (this.objectsSent.get(kind) ?? 0) + 1);
    if (!TALLIED.has(kind)) return;
    let keys = this.fullObjects.get(kind);
    if (!keys) this.fullObjects.set(kind, (keys = new Set()));
    keys.add(`${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A kubeconfig for a client of `proxy` (plain HTTP on loopback; client-node wants that spelt out). */
export function proxyKubeconfig(port: number): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'proxy', cluster: { server: `http://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true } },
    ],
    users: [{ name: 'proxy', user: {} }],
    contexts: [{ name: 'proxy', context: { cluster: 'proxy', user: 'proxy' } }],
    'current-context': 'proxy',
  });
}
