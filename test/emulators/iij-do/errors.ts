// DO-API error bodies (iij-do-api.md §5.1): `{"ErrorResponse":{RequestId, ErrorType, ErrorMessage}}`.
import { randomBytes } from 'node:crypto';

/** A RequestId like the manual's: five 8-character groups joined by dashes. */
export function requestId(): string {
  return Array.from({ length: 5 }, () => randomBytes(4).toString('hex').toUpperCase()).join('-');
}

/** An API error: HTTP status plus the JSON body the service sends. */
export class DoApiError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;

  constructor(status: number, errorType: string, errorMessage: string, detail?: unknown) {
    super(`${status} ${errorType}: ${errorMessage}`);
    this.status = status;
    this.body = {
      ErrorResponse: {
        RequestId: requestId(),
        ErrorType: errorType,
        ErrorMessage: errorMessage,
        ...(detail === undefined ? {} : { ErrorDetail: detail }),
      },
    };
  }
}

/** 400 ParameterError, as sibling IIJ APIs word it. */
export const parameterError = (): DoApiError =>
  new DoApiError(400, 'ParameterError', 'There are invalid parameters.');

/** 404 for an unknown zone, record or path. */
export const notExist = (what: string): DoApiError =>
  new DoApiError(404, 'ResourceNotExist', `The specified resource does not exist: ${what}.`);

/** 401 for a request whose signature, key or expiry was refused. */
export const authError = (message: string): DoApiError => new DoApiError(401, 'AuthenticationError', message);
