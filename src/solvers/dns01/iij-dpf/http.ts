// HTTPS to the DPF API with the provider's own agent (its own CA bundle, never global TLS
// settings), a timeout per request, and a short retry only where it cannot duplicate a change.
import { Agent, request } from 'node:https';
import { dns01Error } from '../provider.ts';
import { describeHttpError, errorKind, parseErrorBody } from './responses.ts';

/** How to reach the API. */
export interface DpfHttpSettings {
  /** Base URL without a trailing slash, e.g. https://api.dns-platform.jp/dpf/v1. */
  endpoint: string;
  token: string;
  caBundlePem?: string;
  timeoutMs: number;
  /** Attempts per request when a retry is safe (default 3). */
  attempts?: number;
  /** First backoff between attempts; doubles each time (default 500 ms). */
  backoffMs?: number;
}

/** A JSON answer with a 2xx status. */
export interface DpfAnswer {
  status: number;
  body: unknown;
}

/** One HTTP outcome: an answer, or a failure before any answer arrived. */
type Outcome = { status: number; text: string } | { error: Error };

/** Talks JSON to the DPF API; errors are Dns01Errors that never contain the token. */
export class DpfHttp {
  readonly endpoint: string;
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly backoffMs: number;
  readonly #token: string;

  constructor(settings: DpfHttpSettings) {
    this.endpoint = settings.endpoint;
    this.#token = settings.token;
    this.timeoutMs = settings.timeoutMs;
    this.attempts = settings.attempts ?? 3;
    this.backoffMs = settings.backoffMs ?? 500;
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 2,
      ...(settings.caBundlePem ? { ca: settings.caBundlePem } : {}),
    });
  }

  /**
   * Sends one request. GETs are retried after 429, 5xx, timeouts and network errors. Mutations are
   * retried only after 429 or 503 (the service refused before acting); never after a timeout or a
   * dropped connection, where the change may have been made and a second POST would duplicate it.
   */
  async send(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<DpfAnswer> {
    const what = `IIJ DPF ${method} ${path.split('?')[0]}`;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.once(method, path, body);
      const last = attempt >= this.attempts;
      if ('error' in outcome) {
        if (method === 'GET' && !last) {
          await this.pause(attempt);
          continue;
        }
        throw dns01Error('transient', `${what} failed: ${outcome.error.message}`, { cause: outcome.error });
      }
      const { status, text } = outcome;
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (status >= 200 && status < 300) {
        if (json === undefined)
          throw dns01Error('transient', `${what}: HTTP ${status} with a body that is not JSON`);
        return { status, body: json };
      }
      const error = parseErrorBody(json);
      const kind = errorKind(status, error);
      const retry =
        method === 'GET' ? kind === 'transient' && status !== 400 : status === 429 || status === 503;
      if (retry && !last) {
        await this.pause(attempt);
        continue;
      }
      throw dns01Error(kind, `${what}: ${describeHttpError(status, error, text)}`);
    }
  }

  /** Releases pooled connections. */
  close(): void {
    this.agent.destroy();
  }

  private pause(attempt: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.backoffMs * 2 ** (attempt - 1)));
  }

  private once(method: string, path: string, body: unknown): Promise<Outcome> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve) => {
      const req = request(
        `${this.endpoint}${path}`,
        {
          method,
          agent: this.agent,
          headers: {
            Authorization: `Bearer ${this.#token}`,
            Accept: 'application/json',
            ...(payload !== undefined && {
              'Content-Type': 'application/json; charset=UTF-8',
              'Content-Length': Buffer.byteLength(payload),
            }),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
          );
          res.on('error', (error) => resolve({ error }));
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (error) => resolve({ error }));
      req.end(payload);
    });
  }
}
