// The one place a failure becomes an AcmeError: classified, with Retry-After, in words a user reads
// in a condition ("ACME server https://... rejected the order: rejectedIdentifier: ...").
import { boundedText } from '../api/bounded-text.ts';
import { HttpProblemError, InvalidResponseError } from './acme-http.ts';
import { AcmeError, classifyHttpStatus, classifyProblem, describeProblem } from './errors.ts';
import { TransportError } from './http-transport.ts';
import { parseRetryAfter } from './retry-after.ts';

/** Where a failure happened. */
export interface FailureContext {
  /** The server's directory URL. */
  server: string;
  /** A noun phrase: "the order", "the account registration". */
  operation: string;
  /** Now, to turn a Retry-After in seconds into a time. */
  now: Date;
}

function fromProblemAnswer(error: HttpProblemError, context: FailureContext): AcmeError {
  const { server, operation } = context;
  const retryAfter = parseRetryAfter(error.headers['retry-after'], context.now);
  const what = error.problem ? describeProblem(error.problem) : `HTTP ${error.status}`;
  const when = retryAfter ? `; retry after ${retryAfter.toISOString()}` : '';
  return new AcmeError(`ACME server ${server} rejected ${operation}: ${what}${when}`, {
    kind: 'problem',
    classification: error.problem
      ? classifyProblem(error.problem, error.status)
      : classifyHttpStatus(error.status),
    server,
    operation,
    problem: error.problem,
    httpStatus: error.status,
    retryAfter,
    cause: error,
  });
}

function fromTransport(error: TransportError, context: FailureContext): AcmeError {
  const { server, operation } = context;
  const fields = { kind: error.failure, server, operation, cause: error } as const;
  switch (error.failure) {
    case 'tls':
      return new AcmeError(
        `ACME server ${server} could not be used for ${operation}: ${error.message}; set the issuer's caBundle to the CA that signed it`,
        { ...fields, classification: 'terminal' },
      );
    case 'timeout':
      return new AcmeError(`ACME server ${server} did not answer ${operation}: ${error.message}`, {
        ...fields,
        classification: 'transient',
      });
    case 'network':
      return new AcmeError(`ACME server ${server} could not be reached for ${operation}: ${error.message}`, {
        ...fields,
        classification: 'transient',
      });
  }
}

/** Converts anything thrown while talking to an ACME server into an AcmeError. */
export function toAcmeError(error: unknown, context: FailureContext): AcmeError {
  if (error instanceof AcmeError) return error;
  if (error instanceof HttpProblemError) return fromProblemAnswer(error, context);
  if (error instanceof TransportError) return fromTransport(error, context);
  const { server, operation } = context;
  const detail = boundedText(error instanceof Error ? error.message : String(error));
  // An unexpected answer (or acme-client giving up on one, e.g. no Replay-Nonce) is the server's
  // fault or a passing proxy's: worth another try later.
  const prefix = error instanceof InvalidResponseError ? 'sent an invalid answer to' : 'failed';
  return new AcmeError(`ACME server ${server} ${prefix} ${operation}: ${detail}`, {
    kind: 'invalid-response',
    classification: 'transient',
    server,
    operation,
    cause: error,
  });
}
