// What every dns-01 DNS provider implements (RFC 2136, IIJ DPF, IIJ DO-API, fakes), after
// cert-manager's Present/CleanUp, made precise: one TXT value at a time, idempotent both ways, and
// every failure says whether retrying can help.
import { TerminalError } from '../../runtime/errors.ts';

/** One TXT value a dns-01 challenge needs published. */
export interface ChallengeRecord {
  /** Where the TXT record goes, fully qualified: `_acme-challenge.example.com.` or a CNAME target. */
  fqdn: string;
  /** The apex of the zone holding `fqdn`, as zone discovery found it (`example.com.`). */
  zone: string;
  /** The key authorization digest the CA will look for. */
  value: string;
}

/** A DNS provider: publishes and withdraws single TXT values. */
export interface Dns01Provider {
  /**
   * Adds `record.value` to the TXT values at `record.fqdn`, leaving other values there alone (a
   * wildcard and its apex need two values at one name). Presenting a value twice leaves one.
   */
  present(record: ChallengeRecord): Promise<void>;
  /** Removes `record.value` from `record.fqdn` only; succeeds if it is already gone. */
  cleanUp(record: ChallengeRecord): Promise<void>;
}

/** Whether retrying can help: transient (network, timeout, SERVFAIL) or terminal (credentials, config). */
export type Dns01ErrorKind = 'transient' | 'terminal';

/** A failure that may pass by itself: the controller retries with backoff. */
export class Dns01TransientError extends Error {
  readonly kind = 'transient' as const;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'Dns01TransientError';
  }
}

/**
 * A failure only a change of configuration or credentials fixes. It is a runtime TerminalError, so
 * the controller reports it and does not retry hot.
 */
export class Dns01TerminalError extends TerminalError {
  readonly kind = 'terminal' as const;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'Dns01TerminalError';
  }
}

/** Any error a provider, zone discovery or the propagation check throws on purpose. */
export type Dns01Error = Dns01TransientError | Dns01TerminalError;

/** Whether `err` is a Dns01Error (and so carries a kind). */
export function isDns01Error(err: unknown): err is Dns01Error {
  return err instanceof Dns01TransientError || err instanceof Dns01TerminalError;
}

/** A Dns01Error of the given kind. */
export function dns01Error(kind: Dns01ErrorKind, message: string, options?: ErrorOptions): Dns01Error {
  return kind === 'terminal'
    ? new Dns01TerminalError(message, options)
    : new Dns01TransientError(message, options);
}
