// The DPF error bodies (iij-dpf-api.md §4), thrown by handlers and rendered by the server.
import { requestId } from './model.ts';

/** One `error_details` item. */
export interface ErrorDetail {
  code: string;
  attribute: string;
}

/** An API error response: HTTP status plus the JSON body the real service sends. */
export class DpfApiError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;

  constructor(status: number, errorType: string, errorMessage: string, details?: ErrorDetail[]) {
    super(`${status} ${errorType}: ${errorMessage}`);
    this.status = status;
    this.body = {
      request_id: requestId(),
      error_type: errorType,
      error_message: errorMessage,
      ...(details ? { error_details: details } : {}),
    };
  }
}

/** 400 ParameterError "There are invalid parameters." with one detail. */
export const invalidParameter = (code: string, attribute: string): DpfApiError =>
  new DpfApiError(400, 'ParameterError', 'There are invalid parameters.', [{ code, attribute }]);

/** 404 for an unknown path or method. */
export const notFound = (): DpfApiError => new DpfApiError(404, 'NotFound', 'Specified resource not found.');

/** The canned failures fault injection can return, by HTTP status. */
export function cannedError(status: 406 | 429 | 500 | 503 | 504): DpfApiError {
  switch (status) {
    case 406: {
      const err = new DpfApiError(406, 'NotAcceptable', 'Request was blocked.');
      err.body.block_id = requestId();
      return err;
    }
    case 429:
      return new DpfApiError(429, 'TooManyRequests', 'Too many requests.');
    case 500:
      return new DpfApiError(500, 'SystemError', 'System error occurred.');
    case 503:
      return new DpfApiError(503, 'SystemBusy', 'The system is busy, Please try again later.');
    case 504:
      return new DpfApiError(504, 'GatewayTimeout', 'Gateway timeout.');
  }
}
