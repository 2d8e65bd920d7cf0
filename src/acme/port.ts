// The ACME port: everything the issuer and certificate controllers ask of an ACME server, and nothing
// more. The adapter over acme-client implements it; unit tests of controllers can fake it. A failure
// at or of the server rejects with an AcmeError (see errors.ts); only a caller's own mistake (no
// account yet, a certificate ARI cannot name, an order not yet valid) rejects with a plain Error.
// No method waits for the server to change state: polling is a requeue, never a sleep in a worker.
import type { RenewalInfo } from './ari.ts';
import type { AcmeProblem } from './errors.ts';

/** The parts of the ACME directory (RFC 8555 §7.1.1) acme6 uses. */
export interface AcmeDirectory {
  newNonce: string;
  newAccount: string;
  newOrder: string;
  revokeCert?: string;
  keyChange?: string;
  /** RFC 9773: present when the CA offers ACME Renewal Information. */
  renewalInfo?: string;
  meta: {
    termsOfService?: string;
    website?: string;
    caaIdentities?: string[];
    externalAccountRequired?: boolean;
    /** Profile name to description (draft-aaron-acme-profiles); empty when the CA has none. */
    profiles: Record<string, string>;
  };
}

/** An ACME account as the server reports it. */
export interface AcmeAccount {
  url: string;
  status: 'valid' | 'deactivated' | 'revoked';
  contact: string[];
}

/** External Account Binding credentials (RFC 8555 §7.3.4), from spec.acme.externalAccountBinding. */
export interface ExternalAccountBinding {
  keyID: string;
  /** The MAC key as the CA hands it out: base64url. Never logged, never in an error message. */
  hmacKey: string;
  algorithm: 'HS256' | 'HS384' | 'HS512';
}

/** What registering an account sends. */
export interface AccountRegistration {
  /** Becomes a `mailto:` contact. */
  email?: string;
  /** The issuer's existence is the user's agreement; required to be explicit here all the same. */
  termsOfServiceAgreed: true;
  externalAccountBinding?: ExternalAccountBinding;
}

export type AcmeIdentifier = { type: 'dns'; value: string };

/** What a new order asks for; profile and replaces are passed through to the server as they are. */
export interface NewOrder {
  identifiers: AcmeIdentifier[];
  /** A profile from the directory's meta.profiles. */
  profile?: string;
  /** RFC 9773 §5: the ARI certificate identifier of the certificate this order replaces. */
  replaces?: string;
}

export type OrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';

/** An order (RFC 8555 §7.1.3) and its URL, which status persists so a restart resumes it. */
export interface AcmeOrder {
  url: string;
  status: OrderStatus;
  identifiers: AcmeIdentifier[];
  authorizations: string[];
  finalize: string;
  certificate?: string;
  expires?: Date;
  profile?: string;
  replaces?: string;
  error?: AcmeProblem;
  /** The server's Retry-After: when polling this order again makes sense. */
  retryAfter?: Date;
}

export type AuthorizationStatus = 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
export type ChallengeStatus = 'pending' | 'processing' | 'valid' | 'invalid';

/** A challenge of an authorization (RFC 8555 §7.1.5, §8). */
export interface AcmeChallenge {
  type: string;
  url: string;
  status: ChallengeStatus;
  token?: string;
  validated?: Date;
  error?: AcmeProblem;
}

/** An authorization of one identifier (RFC 8555 §7.1.4). */
export interface AcmeAuthorization {
  url: string;
  status: AuthorizationStatus;
  identifier: AcmeIdentifier;
  wildcard: boolean;
  expires?: Date;
  challenges: AcmeChallenge[];
  /** The server's Retry-After: when polling this authorization again makes sense. */
  retryAfter?: Date;
}

/** The ACME operations the controllers use; implemented by AcmeClientAdapter. */
export interface AcmePort {
  /** The directory URL this client talks to. */
  readonly directoryUrl: string;
  /** The directory (fetched once, then cached for an hour). */
  getDirectory(): Promise<AcmeDirectory>;
  /** The account registered for this client's key, or undefined if the server knows none. */
  findAccount(): Promise<AcmeAccount | undefined>;
  /** Registers this client's key (or returns the existing account for it), agreeing to the ToS. */
  registerAccount(registration: AccountRegistration): Promise<AcmeAccount>;
  /** Places a new order. */
  createOrder(order: NewOrder): Promise<AcmeOrder>;
  /** Reads an order by URL, e.g. one persisted in status before a restart. */
  getOrder(url: string): Promise<AcmeOrder>;
  /** Reads one authorization by URL. */
  getAuthorization(url: string): Promise<AcmeAuthorization>;
  /** Reads all authorizations of an order. */
  getAuthorizations(order: AcmeOrder): Promise<AcmeAuthorization[]>;
  /**
   * What to publish for a challenge: the key authorization (http-01, served at
   * /.well-known/acme-challenge/{token}) or its base64url SHA-256 digest (dns-01 TXT value).
   */
  challengeValue(challenge: AcmeChallenge): Promise<string>;
  /** Tells the server the challenge is ready to be validated (POST `{}`). */
  answerChallenge(challenge: AcmeChallenge): Promise<AcmeChallenge>;
  /** Finalizes a ready order with a PEM CSR. */
  finalizeOrder(order: AcmeOrder, csrPem: string): Promise<AcmeOrder>;
  /**
   * Downloads the certificate chain (PEM, leaf first) of a valid order: the first chain whose top
   * certificate's issuer CN is `preferredChain`, else the server's default.
   */
  downloadCertificate(order: AcmeOrder, preferredChain?: string): Promise<string>;
  /** RFC 9773 renewal information for a certificate; undefined if the CA offers no ARI. */
  getRenewalInfo(certPem: string): Promise<RenewalInfo | undefined>;
  /** Releases connections; the client must not be used afterwards. */
  close(): void;
}
