// Which pending edits of a zone acme6 may publish. A commit publishes every pending edit of the
// zone, so acme6 commits only when all of them are its own dns-01 TXT changes.
import { boundedText } from '../../../api/bounded-text.ts';
import { canonicalName } from './requests.ts';
import type { DpfDiff, DpfRecord } from './responses.ts';

/** A quoted ACME key-authorization digest: base64url of SHA-256, 43 characters. */
const DIGEST = /^"[A-Za-z0-9_-]{43}"$/;

/** Whether a row looks like acme6's: TXT at an `_acme-challenge` name holding only digests. */
function looksOurs(row: DpfRecord): boolean {
  return (
    row.rrtype === 'TXT' &&
    /^_acme-challenge[.-]/.test(row.name) &&
    row.rdata.every((d) => DIGEST.test(d.value))
  );
}

/**
 * The pending edits that are not acme6's dns-01 TXT changes (someone else's work). `justWritten`
 * names the TXT RRset acme6 itself has just staged (canonical name): its edit is ours whatever the
 * value looks like.
 */
export function foreignEdits(diffs: DpfDiff[], justWritten?: string): DpfDiff[] {
  const ours = (row: DpfRecord): boolean =>
    looksOurs(row) ||
    (justWritten !== undefined && row.rrtype === 'TXT' && canonicalName(row.name) === justWritten);
  return diffs.filter((d) => ![d.new, d.old].every((row) => row === null || ours(row)));
}

/** "TXT www.example.com. (update by SA0000002)" for a message. */
export function describeEdit(diff: DpfDiff): string {
  const row = diff.new ?? diff.old;
  if (!row) return 'an unknown edit';
  const kind = diff.old === null ? 'addition' : row.state === 2 ? 'deletion' : 'update';
  // Names and operators come from the API: bounded, as every foreign text in a message.
  const text = `${row.rrtype} ${row.name} (${kind}${row.operator ? ` by ${row.operator}` : ''})`;
  return boundedText(text, 256);
}
