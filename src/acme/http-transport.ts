// HTTP for one ACME server. Each transport owns its agent, so an issuer's caBundle is trusted for
// that issuer's requests only: nothing global (acme-client's shared axios instance, Node's default
// agent, NODE_TLS_REJECT_UNAUTHORIZED) is touched. Every request has a deadline.
import * as http from 'node:http';
import * as https from 'node:https';

/** How to reach one ACME server. */
export interface HttpTransportOptions {
  /** PEM CA certificates to trust instead of the system roots (spec.acme.caBundle, decoded). */
  caBundlePem?: string;
  /** Deadline for a whole request, connect to last byte. */
  timeoutMs: number;
  /** RFC 8555 §6.1 asks clients to identify themselves; pebble's strict mode insists. */
  userAgent: string;
}

/** One request. */
export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  body?: string;
  headers?: Record<string, string>;
}

/** One answer, whatever its status. Header names are lower case; repeated headers joined by ", ". */
export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Why no answer came: unreachable, too slow, or a TLS certificate we do not trust. */
export type TransportFailure = 'network' | 'timeout' | 'tls';

/** A request that got no HTTP answer. */
export class TransportError extends Error {
  readonly failure: TransportFailure;
  readonly code: string | undefined;

  constructor(failure: TransportFailure, message: string, code?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TransportError';
    this.failure = failure;
    this.code = code;
  }
}

// OpenSSL's verification failures, as Node reports them on the error's `code`.
const UNTRUSTED_CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

// ACME bodies are small (the largest is a certificate chain); a runaway body is a broken server.
const MAX_BODY_BYTES = 4 * 1024 * 1024;

function describeTlsFailure(error: NodeJS.ErrnoException): string {
  return `its TLS certificate is not trusted (${error.message})`;
}

function toTransportError(error: unknown, url: string): TransportError {
  if (error instanceof TransportError) return error;
  const err = error as NodeJS.ErrnoException;
  const code = typeof err.code === 'string' ? err.code : undefined;
  if (code && UNTRUSTED_CERTIFICATE_CODES.has(code)) {
    return new TransportError('tls', describeTlsFailure(err), code, error);
  }
  return new TransportError('network', `${err.message || String(error)} (${new URL(url).host})`, code, error);
}

/** Sends HTTP(S) requests to one server with its own trust and a per-request deadline. */
export class HttpTransport {
  private readonly options: HttpTransportOptions;
  private readonly httpsAgent: https.Agent;
  private readonly httpAgent: http.Agent;

  constructor(options: HttpTransportOptions) {
    this.options = options;
    // `ca` replaces the system roots for this agent only, matching the CRD's "instead of".
    this.httpsAgent = new https.Agent({ keepAlive: true, ca: options.caBundlePem });
    this.httpAgent = new http.Agent({ keepAlive: true });
  }

  /** Sends one request; rejects with TransportError when no HTTP answer arrives in time. */
  send(request: HttpRequest): Promise<HttpResponse> {
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    if (!secure && url.protocol !== 'http:') {
      return Promise.reject(new TransportError('network', `unsupported URL scheme ${url.protocol}`));
    }
    const headers: Record<string, string> = { 'User-Agent': this.options.userAgent, ...request.headers };
    if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
    const requestOptions = {
      method: request.method,
      headers,
      agent: secure ? this.httpsAgent : this.httpAgent,
    };
    const send = secure ? https.request : http.request;
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = send(url, requestOptions, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(
              new TransportError('network', `response from ${url.host} exceeds ${MAX_BODY_BYTES} bytes`),
            );
          } else {
            chunks.push(chunk);
          }
        });
        res.on('end', () => {
          clearTimeout(deadline);
          resolve({
            status: res.statusCode ?? 0,
            headers: flattenHeaders(res.headers),
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', (err) => req.destroy(err));
      });
      const deadline = setTimeout(() => {
        const seconds = this.options.timeoutMs / 1000;
        req.destroy(new TransportError('timeout', `no answer within ${seconds} s`, 'ETIMEDOUT'));
      }, this.options.timeoutMs);
      req.on('error', (err) => {
        clearTimeout(deadline);
        reject(toTransportError(err, request.url));
      });
      req.end(request.body);
    });
  }

  /** Closes idle keep-alive connections; the transport must not be used afterwards. */
  close(): void {
    this.httpsAgent.destroy();
    this.httpAgent.destroy();
  }
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}
