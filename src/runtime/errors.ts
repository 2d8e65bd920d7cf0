/**
 * An error that retrying cannot fix (invalid spec, bad config): the controller logs it and forgets
 * the key instead of requeueing it. Report it to the user through a condition or an Event too.
 */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** Whether the error, or any error in its `cause` chain, is a TerminalError. */
export function isTerminalError(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current instanceof Error && !seen.has(current); current = current.cause) {
    if (current instanceof TerminalError) return true;
    seen.add(current);
  }
  return false;
}
