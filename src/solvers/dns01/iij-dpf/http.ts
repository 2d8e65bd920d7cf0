// HTTPS to the DPF API with the provider's own agent (its own CA bundle, never global TLS
// settings), a timeout per request, and a short retry only where it cannot duplicate a change.
import { Agent } from 'node:https';
import { exchange, parseJson, sendWithRetries, type Outcome } from '../https-exchange.ts';
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
  send(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<DpfAnswer> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const plan = {
      what: `IIJ DPF ${method} ${path.split('?')[0]}`,
      attempts: this.attempts,
      backoffMs: this.backoffMs,
      retryWithoutAnswer: method === 'GET',
    };
    return sendWithRetries<DpfAnswer>(
      plan,
      () => this.once(method, path, payload),
      (status, answer) => {
        // An API that quotes the request back (the Authorization header) must not put the token
        // into a condition or an Event.
        const text = answer.split(this.#token).join('[token redacted]');
        const json = parseJson(text);
        if (status >= 200 && status < 300) {
          if (json === undefined)
            return {
              kind: 'transient',
              message: `HTTP ${status} with a body that is not JSON`,
              retry: false,
            };
          return { value: { status, body: json } };
        }
        const error = parseErrorBody(json);
        const kind = errorKind(status, error);
        const retry =
          method === 'GET' ? kind === 'transient' && status !== 400 : status === 429 || status === 503;
        return { kind, message: describeHttpError(status, error, text), retry };
      },
    );
  }

  /** Releases pooled connections. */
  close(): void {
    this.agent.destroy();
  }

  private once(method: string, path: string, payload: string | undefined): Promise<Outcome> {
    return exchange({
      url: `${this.endpoint}${path}`,
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
      ...(payload !== undefined && { body: payload }),
      timeoutMs: this.timeoutMs,
    });
  }
}
