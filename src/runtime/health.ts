// Probe endpoints, controller-runtime's semantics. /healthz is liveness: the process answers and
// its event loop is not starved (a failing liveness probe restarts the container, so nothing here
// depends on the apiserver). /readyz is readiness: the informer caches have synced and the process
// is not shutting down. A standby is ready too: it is hot and can lead at once, and a Deployment's
// rollout waits for every replica's readiness.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A named check: undefined when healthy, else why not. */
export type HealthCheck = () => string | undefined;

/** Where to listen: `host:port`, `:port` (every address), `[v6]:port`; port 0 picks a free one. */
export type BindAddress = { host?: string; port: number };

/** Parses a bind address flag; `0` turns the endpoint off (controller-runtime's convention). */
export function parseBindAddress(value: string): BindAddress | 'disabled' | { error: string } {
  if (value === '0') return 'disabled';
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    return {
      error: `"${value}" is not an address to listen on: use HOST:PORT, :PORT, [IPv6]:PORT or 0 (off)`,
    };
  }
  const host = match[1] ?? match[2];
  return host ? { host, port } : { port };
}

/** An HTTP server started for probes or metrics. */
export interface HttpEndpoint {
  /** e.g. `http://127.0.0.1:9403`. */
  readonly url: string;
  close(): Promise<void>;
}

/** Serves `handler` on `bind`; resolves once listening. */
export async function serveHttp(
  bind: BindAddress,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<HttpEndpoint> {
  const server = createServer(handler);
  // Probes and scrapes are short; a client that stalls must not hold a socket for ever.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Answers a probe: 200 when every check passes, 500 naming the failing ones (as the apiserver does). */
function answer(res: ServerResponse, probe: string, checks: Map<string, HealthCheck>): void {
  const lines: string[] = [];
  let healthy = true;
  for (const [name, check] of checks) {
    let problem: string | undefined;
    try {
      problem = check();
    } catch (err) {
      problem = err instanceof Error ? err.message : String(err);
    }
    if (problem !== undefined) healthy = false;
    lines.push(problem === undefined ? `[+]${name} ok` : `[-]${name} failed: ${problem}`);
  }
  lines.push(healthy ? `${probe} check passed` : `${probe} check failed`);
  res.writeHead(healthy ? 200 : 500, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(`${lines.join('\n')}\n`);
}

/** How long the event loop may go without running a timer before liveness fails. */
const STALL_LIMIT_MS = 10_000;

/** The checks behind /healthz and /readyz. */
export class HealthChecks {
  private readonly liveness = new Map<string, HealthCheck>();
  private readonly readiness = new Map<string, HealthCheck>();
  private lastBeatMs = performance.now();
  private readonly heartbeat: NodeJS.Timeout;
  private shuttingDown = false;

  constructor() {
    // A timer that runs late means the loop is busy elsewhere; the probe's own answer would not show it.
    this.heartbeat = setInterval(() => {
      this.lastBeatMs = performance.now();
    }, 1000);
    this.heartbeat.unref();
    this.liveness.set('event-loop', () => {
      const stalledMs = performance.now() - this.lastBeatMs;
      return stalledMs > STALL_LIMIT_MS ? `no timer ran for ${Math.round(stalledMs / 1000)}s` : undefined;
    });
    this.readiness.set('shutdown', () => (this.shuttingDown ? 'the process is shutting down' : undefined));
  }

  /** Adds a readiness check, e.g. `informers`. */
  addReadinessCheck(name: string, check: HealthCheck): void {
    this.readiness.set(name, check);
  }

  /** From now on /readyz fails: no new work should be routed here. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  /** The request handler for /healthz, /livez and /readyz. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = new URL(req.url ?? '/', 'http://probe').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz' || path === '/livez') {
      answer(res, 'healthz', this.liveness);
    } else if (path === '/readyz') {
      answer(res, 'readyz', this.readiness);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /healthz or /readyz\n');
    }
  };

  /** Stops the heartbeat timer. */
  stop(): void {
    clearInterval(this.heartbeat);
  }
}
