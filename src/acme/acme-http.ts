// ACME over HTTP: decoding answers and turning error answers into HttpProblemError, the one shape the
// rest of the port classifies (see to-acme-error.ts).
import { z } from 'zod';
import { boundedText, MAX_URL } from '../api/bounded-text.ts';
import { ACME_ERROR_PREFIX, type AcmeProblem } from './errors.ts';
import type { HttpResponse } from './http-transport.ts';

/** An answer with its body decoded: JSON where the server says JSON, else the text (PEM chains). */
export interface AcmeResponse {
  status: number;
  headers: Record<string, string>;
  data: unknown;
}

const subproblem = z.object({
  type: z.string(),
  detail: z.string().optional(),
  identifier: z.object({ type: z.string(), value: z.string() }).optional(),
});

const problemDocument = z.object({
  type: z.string(),
  detail: z.string().optional(),
  status: z.number().int().optional(),
  subproblems: z.array(subproblem).optional(),
});

/** Decodes a body by its Content-Type; JSON that does not parse stays text. */
export function decodeResponse(response: HttpResponse): AcmeResponse {
  const contentType = response.headers['content-type'] ?? '';
  let data: unknown = response.body;
  if (/\bjson\b/i.test(contentType) && response.body !== '') {
    try {
      data = JSON.parse(response.body);
    } catch {
      // Kept as text: the caller's schema check reports it as an invalid response.
    }
  }
  return { status: response.status, headers: response.headers, data };
}

/** Most subproblems kept from one problem document; the rest are counted, not quoted. */
export const MAX_SUBPROBLEMS = 10;

/**
 * The RFC 8555 problem document in an answer, if it carries one. Every string in it is bounded
 * (boundedText), so a CA's huge or hostile detail cannot blow up a status write or a log line.
 */
export function problemOf(response: AcmeResponse): AcmeProblem | undefined {
  const parsed = problemDocument.safeParse(response.data);
  if (!parsed.success) return undefined;
  const problem: AcmeProblem = { type: boundedText(parsed.data.type, MAX_URL) };
  if (parsed.data.detail !== undefined) problem.detail = boundedText(parsed.data.detail);
  if (parsed.data.status !== undefined) problem.status = parsed.data.status;
  if (parsed.data.subproblems !== undefined) {
    const subs = parsed.data.subproblems;
    problem.subproblems = subs.slice(0, MAX_SUBPROBLEMS).map((sub) => {
      const copy: NonNullable<AcmeProblem['subproblems']>[number] = { type: boundedText(sub.type, MAX_URL) };
      if (sub.detail !== undefined) copy.detail = boundedText(sub.detail, 256);
      if (sub.identifier !== undefined)
        copy.identifier = {
          type: boundedText(sub.identifier.type, 64),
          value: boundedText(sub.identifier.value, 256),
        };
      return copy;
    });
    if (subs.length > MAX_SUBPROBLEMS) {
      problem.subproblems.push({
        type: 'truncated',
        detail: `${subs.length - MAX_SUBPROBLEMS} more subproblems not shown`,
      });
    }
  }
  return problem;
}

/** An HTTP error answer (status >= 400), with the problem document when there is one. */
export class HttpProblemError extends Error {
  readonly status: number;
  readonly problem: AcmeProblem | undefined;
  readonly headers: Record<string, string>;

  constructor(response: AcmeResponse) {
    const problem = problemOf(response);
    super(problem ? `${problem.type}: ${problem.detail ?? ''}` : `HTTP ${response.status}`);
    this.name = 'HttpProblemError';
    this.status = response.status;
    this.problem = problem;
    this.headers = response.headers;
  }
}

/** Whether an answer is a badNonce rejection, which acme-client retries with a fresh nonce. */
export function isBadNonce(response: AcmeResponse): boolean {
  return response.status === 400 && problemOf(response)?.type === `${ACME_ERROR_PREFIX}badNonce`;
}

/** Throws HttpProblemError for an error answer; passes a success through. */
export function assertSuccess(response: AcmeResponse): AcmeResponse {
  if (response.status >= 400) throw new HttpProblemError(response);
  return response;
}

/** A success answer whose body is not what RFC 8555 promises (or a required header is missing). */
export class InvalidResponseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidResponseError';
  }
}

/** Parses an answer's body with `schema`, or throws InvalidResponseError naming what was expected. */
export function parseBody<T>(schema: z.ZodType<T>, response: AcmeResponse, what: string): T {
  const parsed = schema.safeParse(response.data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new InvalidResponseError(
    boundedText(`expected ${what}, got a body that does not fit${where}: ${issue?.message ?? ''}`),
  );
}
