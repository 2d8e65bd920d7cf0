// acme-client 5.4.0 signs our requests (JWS with the account key, nonces, its badNonce retry), but
// its HTTP goes through one process-wide axios instance with a retry interceptor that re-sends the
// same JWS (nonce reuse, publishlab/node-acme-client#103) and one global TLS configuration. So each
// Client gets its own HttpClient.request: our transport, with the issuer's own CA trust and a
// deadline, and no retries but acme-client's badNonce one. These are the only private members we
// touch; checkInternals fails fast should an upgrade move them (the version is pinned exactly).
import acme from 'acme-client';
import { assertSuccess, decodeResponse, isBadNonce, type AcmeResponse } from './acme-http.ts';
import type { HttpTransport } from './http-transport.ts';
import { readPrivateKey } from './keys.ts';
import { NoncePool } from './nonce-pool.ts';

interface RequestOptions {
  data?: unknown;
  headers?: Record<string, string>;
}

interface SignedRequestOptions {
  kid?: string | null;
  nonce?: string | null;
  includeExternalAccountBinding?: boolean;
}

/** acme-client's private HttpClient (src/http.js), as far as we use it. */
// Its responses are axios responses; acme-client reads only status, headers and data, which is
// exactly an AcmeResponse.
interface HttpClientInternals {
  request(url: string, method: string, options?: RequestOptions): Promise<AcmeResponse>;
  signedRequest(
    url: string,
    payload: unknown,
    options?: SignedRequestOptions,
    attempts?: number,
  ): Promise<AcmeResponse>;
  maxBadNonceRetries: number;
  getNonce(): Promise<string>;
}

/** One HTTP exchange, for metrics and tests (the nonce is the one the request was signed with). */
export interface AcmeExchange {
  method: string;
  url: string;
  status: number;
  problemType?: string;
  nonce?: string;
}

/** How acme-client's requests are carried. */
export interface SignerOptions {
  transport: HttpTransport;
  /** How many times a badNonce rejection is retried, each with a fresh nonce. */
  maxBadNonceRetries: number;
  onExchange?: (exchange: AcmeExchange) => void;
}

/** Signs and sends ACME POSTs for one account key through our transport. */
export interface AcmeSigner {
  /** POSTs a JWS (kid = account URL, or the JWK itself when undefined) and returns the success answer. */
  post(url: string, payload: unknown, accountUrl: string | undefined): Promise<AcmeResponse>;
  /** The account key's public JWK (RFC 7517), as acme-client puts it in JWS headers. */
  accountJwk: object;
  /** acme-client's key authorization for a challenge (the dns-01 TXT value for dns-01). */
  keyAuthorization(challenge: { type: string; token?: string }): Promise<string>;
}

function checkInternals(http: unknown): asserts http is HttpClientInternals {
  const candidate = http as Partial<HttpClientInternals> | undefined;
  if (
    typeof candidate?.request !== 'function' ||
    typeof candidate.signedRequest !== 'function' ||
    typeof candidate.getNonce !== 'function' ||
    typeof candidate.maxBadNonceRetries !== 'number'
  ) {
    throw new Error(
      'acme-client internals changed (HttpClient.request/signedRequest/getNonce); acme6 needs acme-client 5.4.x',
    );
  }
}

// acme-client signs with RS256 or ES256/384/512 and would mislabel any other key's JWS.
function checkAccountKey(accountKeyPem: string): void {
  const key = readPrivateKey(accountKeyPem);
  if (!key) throw new Error('the ACME account key is not a readable PEM private key');
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const ecdsa =
    key.asymmetricKeyType === 'ec' && ['prime256v1', 'secp384r1', 'secp521r1'].includes(curve ?? '');
  if (!ecdsa && key.asymmetricKeyType !== 'rsa') {
    throw new Error(
      `the ACME account key must be RSA or ECDSA P-256/P-384/P-521, not ${key.asymmetricKeyType ?? 'unknown'}`,
    );
  }
}

function nonceOf(data: unknown): string | undefined {
  const header = (data as { protected?: unknown } | undefined)?.protected;
  if (typeof header !== 'string') return undefined;
  try {
    const nonce = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { nonce?: unknown })
      .nonce;
    return typeof nonce === 'string' ? nonce : undefined;
  } catch {
    return undefined;
  }
}

function problemTypeOf(response: AcmeResponse): string | undefined {
  const type = (response.data as { type?: unknown } | null | undefined)?.type;
  return response.status >= 400 && typeof type === 'string' ? type : undefined;
}

// Our Clients never reach acme-client's shared axios instance. Should any path we do not route (its
// verify.js self-checks, which acme6 never calls) use it, its own 429/5xx retry must still be off:
// that retry re-sends the same JWS (#103), and retrying is the controllers' job.
function disableSharedAxiosRetries(): void {
  const defaults = acme.axios.defaults as { acmeSettings?: { retryMaxAttempts?: number } };
  if (defaults.acmeSettings) defaults.acmeSettings.retryMaxAttempts = 0;
}

/** A Client for `accountKeyPem` whose every request goes through `options.transport`. */
export function createSigner(
  directoryUrl: string,
  accountKeyPem: string,
  options: SignerOptions,
): AcmeSigner {
  checkAccountKey(accountKeyPem);
  disableSharedAxiosRetries();
  const client = new acme.Client({ directoryUrl, accountKey: accountKeyPem });
  const http = (client as unknown as { http: unknown }).http;
  checkInternals(http);
  http.maxBadNonceRetries = options.maxBadNonceRetries;
  const nonces = new NoncePool();

  http.request = async (url, method, requestOptions = {}) => {
    const body = requestOptions.data === undefined ? undefined : JSON.stringify(requestOptions.data);
    const verb = method.toUpperCase() as 'GET' | 'HEAD' | 'POST';
    const headers: Record<string, string> = { ...requestOptions.headers };
    if (body !== undefined) headers['Content-Type'] = 'application/jose+json';
    const response = decodeResponse(await options.transport.send({ method: verb, url, body, headers }));
    const exchange: AcmeExchange = { method: verb, url, status: response.status };
    const problemType = problemTypeOf(response);
    const nonce = nonceOf(requestOptions.data);
    if (problemType !== undefined) exchange.problemType = problemType;
    if (nonce !== undefined) exchange.nonce = nonce;
    options.onExchange?.(exchange);
    // A HEAD is acme-client's newNonce, whose nonce it uses itself, as it does a badNonce answer's.
    const replayNonce = response.headers['replay-nonce'];
    if (replayNonce && verb !== 'HEAD' && !isBadNonce(response)) nonces.put(replayNonce);
    // acme-client must see a badNonce answer to retry it with the fresh nonce the answer carries;
    // every other error answer ends the request here, with its problem document intact.
    return isBadNonce(response) ? response : assertSuccess(response);
  };

  const fetchNonce = http.getNonce.bind(http);
  http.getNonce = async () => nonces.take() ?? (await fetchNonce());

  const signedRequest = http.signedRequest.bind(http);
  http.signedRequest = async (url, payload, signedOptions, attempts) => {
    // Only the last of the bounded badNonce retries returns an error answer to us.
    return assertSuccess(await signedRequest(url, payload, signedOptions, attempts));
  };

  return {
    accountJwk: acme.crypto.getJwk(accountKeyPem),
    keyAuthorization: (challenge) =>
      client.getChallengeKeyAuthorization({ ...challenge, token: challenge.token ?? '' } as never),
    post: (url, payload, accountUrl) => http.signedRequest(url, payload, { kid: accountUrl ?? null }),
  };
}
