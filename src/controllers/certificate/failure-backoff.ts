// How long a Certificate waits after failed issuances: 1 h, doubling per consecutive failure, up to
// 32 h (cert-manager's schedule, which keeps a broken setup far from the CA's rate limits).

/** The backoff schedule; both ends configurable on the controller. */
export interface FailureBackoff {
  initialMs: number;
  maxMs: number;
}

export const DEFAULT_FAILURE_BACKOFF: FailureBackoff = { initialMs: 3_600_000, maxMs: 32 * 3_600_000 };

/** The delay after the `failures`-th consecutive failure (1 → initial, 2 → double, ...). */
export function failureDelayMs(failures: number, backoff: FailureBackoff = DEFAULT_FAILURE_BACKOFF): number {
  if (failures < 1) return 0;
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(failures - 1, 30));
}
