// HTTPS to the DO-API with the provider's own agent (its own CA bundle, never global TLS
// settings), each attempt freshly signed, and a retry only where it cannot duplicate a change.
import { Agent } from 'node:https';
import { exchange, parseJson, sendWithRetries, type Outcome } from '../https-exchange.ts';
import { describeHttpError, errorKind, parseErrorBody } from './responses.ts';
import { signRequest } from './signing.ts';

/** How to reach and sign for the API. */
export interface DoHttpSettings {
  /** Origin, e.g. https://do.api.iij.jp; any path in it is ignored, as doapi does. */
  endpoint: string;
  accessKey: string;
  secretKey: string;
  caBundlePem?: string;
  timeoutMs: number;
  /** Attempts per request when a retry is safe (default 3). */
  attempts?: number;
  /** First backoff between attempts; doubles each time (default 500 ms). */
  backoffMs?: number;
  /** Signature lifetime (default 1 h, as doapi). */
  expireMs?: number;
  /** Added to this host's clock when signing: tests simulate clock skew with it. */
  clockSkewMs?: number;
}

/** HTTP methods the provider uses. */
export type DoMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Talks signed JSON to the DO-API; errors are Dns01Errors that never contain either key. */
export class DoHttp {
  readonly origin: string;
  private readonly agent: Agent;
  private readonly settings: DoHttpSettings;
  readonly #keys: { accessKey: string; secretKey: string };

  constructor(settings: DoHttpSettings) {
    this.origin = new URL(settings.endpoint).origin;
    this.settings = { ...settings, accessKey: '', secretKey: '' };
    this.#keys = { accessKey: settings.accessKey, secretKey: settings.secretKey };
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 2,
      ...(settings.caBundlePem ? { ca: settings.caBundlePem } : {}),
    });
  }

  /**
   * Sends one request and returns its JSON body. GET and the commit PUT (idempotent) are retried
   * after 429, 5xx, timeouts and network errors. POST and DELETE only after 429 or 503, where the
   * service refused before acting; a timeout may hide an applied POST, and a second one would add a
   * duplicate record.
   */
  send(method: DoMethod, path: string, body?: string): Promise<unknown> {
    const idempotent = method === 'GET' || method === 'PUT';
    const plan = {
      what: `IIJ DO-API ${method} ${path}`,
      attempts: this.settings.attempts ?? 3,
      backoffMs: this.settings.backoffMs ?? 500,
      retryWithoutAnswer: idempotent,
    };
    return sendWithRetries(
      plan,
      () => this.once(method, path, body),
      (status, text) => {
        const json = parseJson(text);
        const error = parseErrorBody(json);
        // doapi ignores the status; acme6 needs both a 2xx and no ErrorResponse (§5.2).
        if (status >= 200 && status < 300 && !error) {
          if (json === undefined)
            return {
              kind: 'transient',
              message: `HTTP ${status} with a body that is not JSON`,
              retry: false,
            };
          return { value: json };
        }
        const kind = errorKind(status, error);
        const retry = kind === 'transient' && (idempotent || status === 429 || status === 503);
        return { kind, message: `${describeHttpError(status, error, text)}${hint(error)}`, retry };
      },
    );
  }

  /** Releases pooled connections. */
  close(): void {
    this.agent.destroy();
  }

  private once(method: DoMethod, path: string, body: string | undefined): Promise<Outcome> {
    const now = Date.now() + (this.settings.clockSkewMs ?? 0);
    const expire = new Date(now + (this.settings.expireMs ?? 3_600_000));
    const signed = signRequest({ method, path, hasBody: body !== undefined }, this.#keys, expire);
    return exchange({
      url: `${this.origin}${path}`,
      method,
      agent: this.agent,
      headers: {
        ...signed,
        Accept: 'application/json',
        ...(body !== undefined && { 'Content-Length': Buffer.byteLength(body) }),
      },
      ...(body !== undefined && { body }),
      timeoutMs: this.settings.timeoutMs,
    });
  }
}

/** What the user can do about an auth failure; the keys themselves are never quoted. */
function hint(error: { errorType: string; errorMessage: string } | undefined): string {
  if (!error) return '';
  const text = `${error.errorType} ${error.errorMessage}`;
  if (/expire/i.test(text))
    return ' (the request signature had expired on arrival: check this host clock, it may be behind)';
  if (/auth|signature|accesskey/i.test(text))
    return ' (the access key or secret key was refused: check the Secrets accessKeySecretRef and secretKeySecretRef point to)';
  return '';
}
