// The ACME port over acme-client's low-level pieces (never auto()): acme-client signs, we carry the
// requests (per-issuer TLS trust, deadlines, no hidden retries), parse the answers, and turn every
// failure into a classified AcmeError.
import { boundedText } from '../api/bounded-text.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { assertSuccess, decodeResponse, InvalidResponseError, type AcmeResponse } from './acme-http.ts';
import { createSigner, type AcmeExchange, type AcmeSigner } from './acme-client-internals.ts';
import { ariCertificateId, parseRenewalInfo, type RenewalInfo } from './ari.ts';
import { selectPreferredChain } from './chain.ts';
import { readCertificateChain, splitPemChain } from './certificate-info.ts';
import { externalAccountBindingJws } from './eab.ts';
import { isAcmeProblem } from './errors.ts';
import { HttpTransport } from './http-transport.ts';
import { linkTargets } from './link-header.ts';
import type {
  AccountRegistration,
  AcmeAccount,
  AcmeAuthorization,
  AcmeChallenge,
  AcmeDirectory,
  AcmeOrder,
  AcmePort,
  NewOrder,
} from './port.ts';
import {
  locationOf,
  toAccount,
  toAnsweredChallenge,
  toAuthorization,
  toDirectory,
  toOrder,
} from './resources.ts';
import { parseRetryAfter } from './retry-after.ts';
import { toAcmeError } from './to-acme-error.ts';

/** How to reach one ACME server as one account. */
export interface AcmeClientOptions {
  directoryUrl: string;
  /** The account's private key (PEM); ECDSA P-256/P-384 or RSA. */
  accountKeyPem: string;
  /** The account URL from status, if known; findAccount/registerAccount set it otherwise. */
  accountUrl?: string;
  /** PEM CA bundle trusted for this server only, instead of the system roots. */
  caBundlePem?: string;
  /** Deadline per HTTP request. Default 30 s. */
  timeoutMs?: number;
  /** badNonce retries per request, each with a fresh nonce. Default 10. */
  maxBadNonceRetries?: number;
  userAgent?: string;
  clock?: Clock;
  /** Called after every HTTP exchange with the ACME server (metrics, tests). */
  onExchange?: (exchange: AcmeExchange) => void;
}

/** One HTTP request to an ACME server, signed or not, timed (for metrics). */
export interface AcmeRequestObservation {
  method: string;
  url: string;
  /** Undefined when no HTTP answer came (network error, timeout, untrusted TLS). */
  status?: number;
  problemType?: string;
  seconds: number;
}

let requestObserver: ((request: AcmeRequestObservation) => void) | undefined;

/** Sets the process-wide observer of every ACME request of every client (the metrics'). */
export function observeAcmeRequests(observer: ((request: AcmeRequestObservation) => void) | undefined): void {
  requestObserver = observer;
}

// Wraps this transport's send so every request reports to the observer set at that moment.
function observed(transport: HttpTransport): HttpTransport {
  const send = transport.send.bind(transport);
  transport.send = async (request) => {
    const startedMs = performance.now();
    const report = (status?: number, problemType?: string): void =>
      requestObserver?.({
        method: request.method,
        url: request.url,
        seconds: (performance.now() - startedMs) / 1000,
        ...(status === undefined ? {} : { status }),
        ...(problemType === undefined ? {} : { problemType }),
      });
    try {
      const response = await send(request);
      report(response.status, response.status >= 400 ? problemTypeIn(response.body) : undefined);
      return response;
    } catch (error) {
      report();
      throw error;
    }
  };
  return transport;
}

function problemTypeIn(body: string): string | undefined {
  try {
    const type = (JSON.parse(body) as { type?: unknown }).type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

export const DEFAULT_TIMEOUT_MS = 30_000;
// At Let's Encrypt a badNonce is rare and each retry is one cheap request with a fresh nonce, so ten
// never hides a real fault; a server that rejects more than that is broken and worth a backoff.
export const DEFAULT_MAX_BAD_NONCE_RETRIES = 10;
const DIRECTORY_TTL_MS = 60 * 60 * 1000;
const DEFAULT_USER_AGENT = `acme6 (acme-client/5.4.0; node/${process.versions.node})`;

/** The AcmePort over acme-client, for one server and one account key. */
export class AcmeClientAdapter implements AcmePort {
  readonly directoryUrl: string;
  private readonly transport: HttpTransport;
  private readonly signer: AcmeSigner;
  private readonly clock: Clock;
  private accountUrl: string | undefined;
  private cachedDirectory: { directory: Promise<AcmeDirectory>; fetchedAt: number } | undefined;

  constructor(options: AcmeClientOptions) {
    this.directoryUrl = options.directoryUrl;
    this.accountUrl = options.accountUrl;
    this.clock = options.clock ?? realClock;
    this.transport = observed(
      new HttpTransport({
        caBundlePem: options.caBundlePem,
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      }),
    );
    this.signer = createSigner(options.directoryUrl, options.accountKeyPem, {
      transport: this.transport,
      maxBadNonceRetries: options.maxBadNonceRetries ?? DEFAULT_MAX_BAD_NONCE_RETRIES,
      onExchange: options.onExchange,
    });
  }

  /** Runs one operation; whatever it throws leaves as an AcmeError naming the operation. */
  private async run<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toAcmeError(error, { server: this.directoryUrl, operation, now: this.clock.now() });
    }
  }

  private async get(url: string): Promise<AcmeResponse> {
    return assertSuccess(decodeResponse(await this.transport.send({ method: 'GET', url })));
  }

  private requireAccountUrl(): string {
    if (!this.accountUrl)
      throw new Error('no ACME account URL yet: call findAccount or registerAccount first');
    return this.accountUrl;
  }

  private post(url: string, payload: unknown): Promise<AcmeResponse> {
    return this.signer.post(url, payload, this.requireAccountUrl());
  }

  getDirectory(): Promise<AcmeDirectory> {
    const nowMs = this.clock.now().getTime();
    if (!this.cachedDirectory || nowMs - this.cachedDirectory.fetchedAt > DIRECTORY_TTL_MS) {
      const directory = this.run('the directory request', async () =>
        toDirectory(await this.get(this.directoryUrl)),
      );
      const entry = { directory, fetchedAt: nowMs };
      this.cachedDirectory = entry;
      // A failed fetch is not cached: the next call asks again.
      directory.catch(() => {
        if (this.cachedDirectory === entry) this.cachedDirectory = undefined;
      });
    }
    return this.cachedDirectory.directory;
  }

  async findAccount(): Promise<AcmeAccount | undefined> {
    const directory = await this.getDirectory();
    try {
      return await this.run('the account lookup', async () => {
        const response = await this.signer.post(
          directory.newAccount,
          { onlyReturnExisting: true },
          undefined,
        );
        return this.rememberAccount(response, directory.newAccount);
      });
    } catch (error) {
      if (isAcmeProblem(error, 'accountDoesNotExist')) return undefined;
      throw error;
    }
  }

  async registerAccount(registration: AccountRegistration): Promise<AcmeAccount> {
    const directory = await this.getDirectory();
    return this.run('the account registration', async () => {
      const payload: Record<string, unknown> = { termsOfServiceAgreed: registration.termsOfServiceAgreed };
      if (registration.email) payload.contact = [`mailto:${registration.email}`];
      if (registration.externalAccountBinding) {
        payload.externalAccountBinding = externalAccountBindingJws(
          registration.externalAccountBinding,
          this.signer.accountJwk,
          directory.newAccount,
        );
      }
      const response = await this.signer.post(directory.newAccount, payload, undefined);
      return this.rememberAccount(response, directory.newAccount);
    });
  }

  private rememberAccount(response: AcmeResponse, newAccountUrl: string): AcmeAccount {
    const url = locationOf(response, newAccountUrl, 'newAccount');
    const account = toAccount(response, url);
    this.accountUrl = url;
    return account;
  }

  async createOrder(order: NewOrder): Promise<AcmeOrder> {
    const directory = await this.getDirectory();
    return this.run('the order', async () => {
      // acme-client's types know only identifiers; profile and replaces pass through untouched.
      const payload: Record<string, unknown> = { identifiers: order.identifiers };
      if (order.profile !== undefined) payload.profile = order.profile;
      if (order.replaces !== undefined) payload.replaces = order.replaces;
      const response = await this.post(directory.newOrder, payload);
      return toOrder(response, locationOf(response, directory.newOrder, 'newOrder'), this.clock.now());
    });
  }

  getOrder(url: string): Promise<AcmeOrder> {
    return this.run('the order lookup', async () =>
      toOrder(await this.post(url, null), url, this.clock.now()),
    );
  }

  getAuthorization(url: string): Promise<AcmeAuthorization> {
    return this.run('the authorization lookup', async () =>
      toAuthorization(await this.post(url, null), url, this.clock.now()),
    );
  }

  getAuthorizations(order: AcmeOrder): Promise<AcmeAuthorization[]> {
    return Promise.all(order.authorizations.map((url) => this.getAuthorization(url)));
  }

  challengeValue(challenge: AcmeChallenge): Promise<string> {
    return this.run('the challenge value', () => this.signer.keyAuthorization(challenge));
  }

  answerChallenge(challenge: AcmeChallenge): Promise<AcmeChallenge> {
    return this.run('the challenge answer', async () =>
      toAnsweredChallenge(await this.post(challenge.url, {})),
    );
  }

  async finalizeOrder(order: AcmeOrder, csrPem: string): Promise<AcmeOrder> {
    const csr = csrDer(csrPem).toString('base64url');
    return this.run('the finalization', async () =>
      toOrder(await this.post(order.finalize, { csr }), order.url, this.clock.now()),
    );
  }

  downloadCertificate(order: AcmeOrder, preferredChain?: string): Promise<string> {
    const certificateUrl = order.certificate;
    // Asking before the order is valid is the caller's mistake, not the server's: unclassified.
    if (order.status !== 'valid' || !certificateUrl) {
      return Promise.reject(new Error(`order ${order.url} is ${order.status} and has no certificate yet`));
    }
    return this.run('the certificate download', async () => {
      const first = await this.post(certificateUrl, null);
      const chains = [pemChainOf(first, certificateUrl)];
      if (preferredChain !== undefined) {
        for (const alternate of linkTargets(first.headers.link, 'alternate', certificateUrl)) {
          chains.push(pemChainOf(await this.post(alternate, null), alternate));
        }
      }
      return selectPreferredChain(chains, preferredChain);
    });
  }

  async getRenewalInfo(certPem: string): Promise<RenewalInfo | undefined> {
    const directory = await this.getDirectory();
    if (!directory.renewalInfo) return undefined;
    // A certificate ARI cannot name (no AKI) is the caller's to handle: it throws, unclassified.
    const url = `${directory.renewalInfo}/${ariCertificateId(certPem)}`;
    return this.run('the renewal information request', async () => {
      const response = await this.get(url);
      const info = parseRenewalInfo(
        response.data,
        parseRetryAfter(response.headers['retry-after'], this.clock.now()),
      );
      if (!info)
        throw new InvalidResponseError('expected a renewalInfo object with a non-empty suggestedWindow');
      return info;
    });
  }

  close(): void {
    this.transport.close();
  }
}

// A CSR that is not PEM is the caller's mistake (createCsr never makes one): it throws, unclassified.
function csrDer(csrPem: string): Buffer {
  const body = /-----BEGIN CERTIFICATE REQUEST-----([\s\S]+?)-----END CERTIFICATE REQUEST-----/.exec(
    csrPem,
  )?.[1];
  if (!body) throw new Error('the CSR is not a PEM certificate request');
  return Buffer.from(body.replace(/\s+/g, ''), 'base64');
}

function pemChainOf(response: AcmeResponse, url: string): string {
  const pem = typeof response.data === 'string' ? response.data : '';
  if (splitPemChain(pem).length === 0)
    throw new InvalidResponseError(`${url} did not return a PEM certificate chain`);
  try {
    readCertificateChain(pem);
  } catch (err) {
    // Said as what it is: a library's "bad base64 decode" alone does not name the CA's answer.
    throw new InvalidResponseError(
      `${url} returned a certificate chain that cannot be read: ${boundedText((err as Error).message, 256)}`,
    );
  }
  return pem;
}
