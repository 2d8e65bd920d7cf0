// The HTTP Retry-After header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.

const DELAY_SECONDS = /^\d+$/;
// IMF-fixdate and the two obsolete forms RFC 9110 still asks recipients to accept all name a month
// and carry hh:mm:ss; requiring both keeps Date.parse's guesswork ("-5" is a year) out.
const HTTP_DATE = /[A-Za-z]{3}.*\d{2}:\d{2}:\d{2}/;

/** The time a Retry-After header points at, relative to `now`; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: Date): Date | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (DELAY_SECONDS.test(value)) return new Date(now.getTime() + Number(value) * 1000);
  if (!HTTP_DATE.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : new Date(at);
}
