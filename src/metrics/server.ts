// Serves the registry on /metrics (on its own port: probes and scrapes have different audiences).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { serveHttp, type BindAddress, type HttpEndpoint } from '../runtime/health.ts';
import { collectProcessMetrics, registry } from './registry.ts';

/** Starts the metrics endpoint with the process metrics included. */
export function serveMetrics(bind: BindAddress): Promise<HttpEndpoint> {
  collectProcessMetrics();
  return serveHttp(bind, (req, res) => void handle(req, res));
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://scrape').pathname;
  if (path !== '/metrics') {
    res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics\n');
    return;
  }
  try {
    const body = await registry.metrics();
    res.writeHead(200, { 'Content-Type': registry.contentType }).end(body);
  } catch (err) {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`collecting metrics failed: ${String(err)}\n`);
  }
}
