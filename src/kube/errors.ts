// Reading the apiserver's answers: status codes and the human message of a failed request.
import { ApiException } from '@kubernetes/client-node';

function code(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** The object does not exist (404). */
export const isNotFound = (err: unknown): boolean => code(err) === 404;
/** A create found the name taken (409 AlreadyExists) or an update lost a race (409 Conflict). */
export const isConflict = (err: unknown): boolean => code(err) === 409;
/** The request was refused by RBAC (403): a configuration problem, not worth a hot retry. */
export const isForbidden = (err: unknown): boolean => code(err) === 403;

/** The apiserver's message for a failed request (its Status.message), else the error's own. */
export function apiErrorMessage(err: unknown): string {
  if (err instanceof ApiException) {
    const body: unknown = typeof err.body === 'string' ? safeJson(err.body) : err.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    return typeof message === 'string' ? message : `HTTP ${err.code}`;
  }
  return err instanceof Error ? err.message : String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
