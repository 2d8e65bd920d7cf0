// A small apiserver client for the testbed's own components (pod runner, ingress setup): JSON
// requests and line-delimited watches over HTTPS with a client certificate or a bearer token.
import { request, type RequestOptions } from 'node:https';
import type { TlsOptions } from './https.ts';

/** An apiserver answered with an error status. */
export class KubeRestError extends Error {
  readonly status: number;
  constructor(method: string, path: string, status: number, body: string) {
    super(`${method} ${path}: ${status} ${body.slice(0, 500)}`);
    this.status = status;
  }
}

/** One event of a watch stream. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

const contentTypes = {
  json: 'application/json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;

/** Credentials and address of one apiserver user. */
export class KubeRest {
  private readonly server: string;
  private readonly tls: TlsOptions;

  constructor(server: string, tls: TlsOptions) {
    this.server = server;
    this.tls = tls;
  }

  private options(method: string, contentType?: string): RequestOptions {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (contentType) headers['Content-Type'] = contentType;
    return { ...this.tls, method, headers };
  }

  /** Sends one request; resolves with the decoded body, rejects with KubeRestError on >= 400. */
  send<T = unknown>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    patch: keyof typeof contentTypes = 'json',
  ): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const options = { ...this.options(method, payload ? contentTypes[patch] : undefined), timeout: 15_000 };
    // Explicit: Node frames a DELETE body neither by length nor chunked, which corrupts the
    // kept-alive connection for the next request.
    if (payload)
      (options.headers as Record<string, string>)['Content-Length'] = String(Buffer.byteLength(payload));
    return new Promise((resolve, reject) => {
      const req = request(`${this.server}${path}`, options, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 400) reject(new KubeRestError(method, path, status, text));
          else resolve((text ? JSON.parse(text) : undefined) as T);
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Watches `path` (a collection) from `resourceVersion`, calling `onEvent` per event; resolves when
   * the server ends the stream (or `signal` aborts), rejects on a network error or an error status.
   */
  watch<T>(
    path: string,
    resourceVersion: string,
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const query = `watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}`;
    const url = `${this.server}${path}${path.includes('?') ? '&' : '?'}${query}`;
    return new Promise((resolve, reject) => {
      const req = request(url, { ...this.options('GET'), signal }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          let text = '';
          res.on('data', (chunk: Buffer) => (text += chunk.toString()));
          res.on('end', () => reject(new KubeRestError('WATCH', path, res.statusCode ?? 0, text)));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
          }
        });
        res.on('end', () => resolve());
        res.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
      });
      req.on('error', (err) => (signal.aborted ? resolve() : reject(err)));
      req.end();
    });
  }
}

/** Creates `body` at `path`; an object that already exists is left as it is. */
export async function createIfAbsent(kube: KubeRest, path: string, body: unknown): Promise<void> {
  try {
    await kube.send('POST', path, body);
  } catch (err) {
    if (!(err instanceof KubeRestError && err.status === 409)) throw err;
  }
}
