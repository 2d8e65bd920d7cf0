// RFC 2136 UPDATE messages that add or delete exactly one TXT value. No prerequisites: adding an
// RR that exists and deleting one that does not are both no-ops that succeed (section 3.4.2), which
// is what makes present and cleanUp idempotent.
import { Opcode, RecordClass, RecordType } from '../wire/constants.ts';
import { encodeMessage } from '../wire/message.ts';
import { fqdn } from '../wire/name.ts';
import { encodeTxtRdata } from '../wire/txt.ts';

/** Add the value, or delete that one value (class NONE, section 2.5.4), leaving others alone. */
export type TxtUpdateAction = 'add' | 'delete';

/** What one UPDATE changes. */
export interface TxtUpdate {
  id: number;
  zone: string;
  name: string;
  value: string;
  ttlSeconds: number;
  action: TxtUpdateAction;
}

/** The unsigned UPDATE message for `update`. */
export function encodeTxtUpdate(update: TxtUpdate): Buffer {
  const add = update.action === 'add';
  return encodeMessage({
    id: update.id,
    opcode: Opcode.UPDATE,
    questions: [{ name: fqdn(update.zone), type: RecordType.SOA, class: RecordClass.IN }],
    authorities: [
      {
        name: fqdn(update.name),
        type: RecordType.TXT,
        class: add ? RecordClass.IN : RecordClass.NONE,
        ttl: add ? update.ttlSeconds : 0,
        rdata: encodeTxtRdata(update.value),
      },
    ],
  });
}
