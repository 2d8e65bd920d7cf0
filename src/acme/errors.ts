// Every failure of the ACME port is an AcmeError: what the server said (the RFC 8555 problem), when
// it allows another try (Retry-After), and whether trying again later can help (the classification
// the controllers turn into a requeue with backoff or a terminal condition).

/** RFC 8555 §6.7: every ACME problem type is this URN plus a short name. */
export const ACME_ERROR_PREFIX = 'urn:ietf:params:acme:error:';

/** An RFC 7807 problem document as ACME servers send it (RFC 8555 §6.7). */
export interface AcmeProblem {
  type: string;
  detail?: string;
  status?: number;
  subproblems?: AcmeSubproblem[];
}

/** One identifier's share of a compound problem (RFC 8555 §6.7.1). */
export interface AcmeSubproblem {
  type: string;
  detail?: string;
  identifier?: { type: string; value: string };
}

/** transient: the same request may succeed later (requeue with backoff); terminal: it will not. */
export type AcmeErrorClass = 'transient' | 'terminal';

/**
 * The classification of each problem type. Validation failures (connection, dns, tls,
 * incorrectResponse, caa, unauthorized) are terminal: the authorization is dead and only a new
 * order helps, which the certificate controller schedules with its own long backoff.
 * orderNotReady is transient: it means "not yet" (authorizations still pending or the order still
 * processing), and the next reconcile re-reads the order and acts on its real state.
 */
const PROBLEM_CLASS: ReadonlyMap<string, AcmeErrorClass> = new Map([
  ['badNonce', 'transient'],
  ['rateLimited', 'transient'],
  ['serverInternal', 'transient'],
  ['orderNotReady', 'transient'],
  ['accountDoesNotExist', 'terminal'],
  ['alreadyReplaced', 'terminal'],
  ['alreadyRevoked', 'terminal'],
  ['badCSR', 'terminal'],
  ['badPublicKey', 'terminal'],
  ['badRevocationReason', 'terminal'],
  ['badSignatureAlgorithm', 'terminal'],
  ['caa', 'terminal'],
  ['connection', 'terminal'],
  ['dns', 'terminal'],
  ['externalAccountRequired', 'terminal'],
  ['incorrectResponse', 'terminal'],
  ['invalidContact', 'terminal'],
  ['invalidProfile', 'terminal'],
  ['malformed', 'terminal'],
  ['rejectedIdentifier', 'terminal'],
  ['tls', 'terminal'],
  ['unauthorized', 'terminal'],
  ['unsupportedContact', 'terminal'],
  ['unsupportedIdentifier', 'terminal'],
  ['userActionRequired', 'terminal'],
]);

/** `rateLimited` for `urn:ietf:params:acme:error:rateLimited`; other URNs unchanged. */
export function shortProblemType(type: string): string {
  return type.startsWith(ACME_ERROR_PREFIX) ? type.slice(ACME_ERROR_PREFIX.length) : type;
}

/** Classifies an HTTP status without a (known) problem type: 408, 429 and 5xx are worth retrying. */
export function classifyHttpStatus(status: number): AcmeErrorClass {
  return status === 408 || status === 429 || status >= 500 ? 'transient' : 'terminal';
}

/** Classifies a problem; unknown types fall back to the HTTP status (or the problem's own). */
export function classifyProblem(problem: AcmeProblem, httpStatus?: number): AcmeErrorClass {
  const type = shortProblemType(problem.type);
  if (type === 'compound' && problem.subproblems?.length) {
    // One identifier the CA will never accept fails the whole order, however the others fare.
    const classes = problem.subproblems.map((sub) => classifyProblem(sub, httpStatus));
    return classes.includes('terminal') ? 'terminal' : 'transient';
  }
  const known = PROBLEM_CLASS.get(type);
  if (known) return known;
  const status = httpStatus ?? problem.status;
  return status === undefined ? 'terminal' : classifyHttpStatus(status);
}

/** What went wrong, as a machine-readable kind next to the human message. */
export type AcmeFailureKind =
  | 'problem' // the server answered with an error (a problem document or a bare HTTP error)
  | 'network' // no answer: connection refused or reset, DNS lookup failed
  | 'timeout' // no answer within the request timeout
  | 'tls' // the server's TLS certificate is not trusted
  | 'invalid-response'; // an answer that is not what RFC 8555 promises

/** Fields of an AcmeError. */
export interface AcmeErrorFields {
  kind: AcmeFailureKind;
  classification: AcmeErrorClass;
  /** The ACME directory URL of the server that failed. */
  server: string;
  /** The operation, as a noun phrase ("the order", "the account registration"). */
  operation: string;
  problem?: AcmeProblem;
  httpStatus?: number;
  retryAfter?: Date;
  cause?: unknown;
}

/** A failed ACME operation; its message is for humans and never holds keys or EAB secrets. */
export class AcmeError extends Error {
  readonly kind: AcmeFailureKind;
  readonly classification: AcmeErrorClass;
  readonly server: string;
  readonly operation: string;
  readonly problem: AcmeProblem | undefined;
  readonly httpStatus: number | undefined;
  readonly retryAfter: Date | undefined;

  constructor(message: string, fields: AcmeErrorFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'AcmeError';
    this.kind = fields.kind;
    this.classification = fields.classification;
    this.server = fields.server;
    this.operation = fields.operation;
    this.problem = fields.problem;
    this.httpStatus = fields.httpStatus;
    this.retryAfter = fields.retryAfter;
  }

  /** Whether trying the same request again later may succeed. */
  get transient(): boolean {
    return this.classification === 'transient';
  }

  /** The problem's short type (`rateLimited`), if the server sent one. */
  get problemType(): string | undefined {
    return this.problem ? shortProblemType(this.problem.type) : undefined;
  }
}

/** Whether `error` is an AcmeError for the given short problem type. */
export function isAcmeProblem(error: unknown, shortType: string): error is AcmeError {
  return error instanceof AcmeError && error.problemType === shortType;
}

/** `rejectedIdentifier: Domain name contains an invalid character (a.example: malformed: ...)`. */
export function describeProblem(problem: AcmeProblem): string {
  const head = [shortProblemType(problem.type), problem.detail?.trim()].filter(Boolean).join(': ');
  const subs = (problem.subproblems ?? []).map((sub) => {
    const who = sub.identifier ? `${sub.identifier.value}: ` : '';
    return `${who}${[shortProblemType(sub.type), sub.detail?.trim()].filter(Boolean).join(': ')}`;
  });
  return subs.length ? `${head} (${subs.join('; ')})` : head;
}
