// ACME over HTTP: decoding answers and turning error answers into HttpProblemError, the one shape the
// rest of the port classifies (see to-acme-error.ts).
import { z } from 'zod';
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

/** The RFC 8555 problem document in an answer, if it carries one. */
export function problemOf(response: AcmeResponse): AcmeProblem | undefined {
  const parsed = problemDocument.safeParse(response.data);
  if (!parsed.success) return undefined;
  const problem: AcmeProblem = { type: parsed.data.type };
  if (parsed.data.detail !== undefined) problem.detail = parsed.data.detail;
  if (parsed.data.status !== undefined) problem.status = parsed.data.status;
  if (parsed.data.subproblems !== undefined) {
    problem.subproblems = parsed.data.subproblems.map((sub) => {
      const copy: NonNullable<AcmeProblem['subproblems']>[number] = { type: sub.type };
      if (sub.detail !== undefined) copy.detail = sub.detail;
      if (sub.identifier !== undefined) copy.identifier = sub.identifier;
      return copy;
    });
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
    `expected ${what}, got a body that does not fit${where}: ${issue?.message ?? ''}`,
  );
}
