// Text that came from elsewhere (a CA's problem detail, a DNS API's error body, a DNS server's
// answer) is capped before it reaches a condition, an Event or a log line: a hostile or broken peer
// must not be able to make a status write fail (the apiserver rejects long messages with 422) or
// flood the logs.

/** The most characters of foreign text kept in one message. */
export const MAX_FOREIGN_TEXT = 1024;
/** The most characters of one condition or Event message. */
export const MAX_MESSAGE = 4096;
/** The most characters of a URL shown in a message or stored in status. */
export const MAX_URL = 2048;

/**
 * `text` if it has at most `max` characters; otherwise its head and tail around a marker saying how
 * much was cut ("… [truncated 12345 characters] …"), `max` characters in all. The tail is kept
 * because composed messages end in what to do next ("; next attempt at ...").
 */
export function boundedText(text: string, max = MAX_FOREIGN_TEXT): string {
  if (text.length <= max) return text;
  const markerFor = (cut: number): string => ` … [truncated ${cut} characters] … `;
  // The marker's own length depends on the count; the longest count bounds it.
  const room = Math.max(0, max - markerFor(text.length).length);
  const tailLength = Math.floor(room / 4);
  const head = keepWhole(text.slice(0, room - tailLength), 'end');
  const tail = keepWhole(text.slice(text.length - tailLength), 'start');
  return `${head}${markerFor(text.length - head.length - tail.length)}${tail}`;
}

/** Drops half a surrogate pair left at a cut, so the result stays valid UTF-16. */
function keepWhole(part: string, cutAt: 'start' | 'end'): string {
  if (part === '') return part;
  if (cutAt === 'end') {
    const last = part.charCodeAt(part.length - 1);
    return last >= 0xd800 && last <= 0xdbff ? part.slice(0, -1) : part;
  }
  const first = part.charCodeAt(0);
  return first >= 0xdc00 && first <= 0xdfff ? part.slice(1) : part;
}

/** A URL for a message: at most MAX_URL characters, with the same marker when cut. */
export function boundedUrl(url: string): string {
  return boundedText(url, MAX_URL);
}
