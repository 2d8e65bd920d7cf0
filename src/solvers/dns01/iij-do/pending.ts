// Which staged edits of a DO service acme6 may publish. The DO-API commit is service-wide (§3.5,
// §6.1): it publishes every staged edit of every zone of the contract, so acme6 commits only when
// all of them are its own dns-01 TXT records.
import { boundedText } from '../../../api/bounded-text.ts';
import type { DoRecord } from './responses.ts';

/** A key-authorization digest as the API lists it: base64url of SHA-256, 43 characters, quoted. */
const DIGEST = /^"?[A-Za-z0-9_-]{43}"?$/;

/** Whether a record looks like acme6's: TXT at an `_acme-challenge` owner holding a digest. */
function looksOurs(record: DoRecord): boolean {
  return (
    record.RecordType === 'TXT' && /^_acme-challenge(\.|$)/i.test(record.Owner) && DIGEST.test(record.RData)
  );
}

/** The staged (uncommitted) records of one zone that are not acme6's: someone else's work. */
export function foreignEdits(records: DoRecord[]): DoRecord[] {
  return records.filter((r) => (r.Status === 'ADDING' || r.Status === 'DELETING') && !looksOurs(r));
}

/** "A www.example.com (addition)" for a message; names come from the API, so bounded. */
export function describeEdit(zone: string, record: DoRecord): string {
  const name = record.Owner === '@' ? zone : `${record.Owner}.${zone}`;
  const kind = record.Status === 'ADDING' ? 'addition' : 'deletion';
  return boundedText(`${record.RecordType} ${name} (${kind})`, 256);
}
