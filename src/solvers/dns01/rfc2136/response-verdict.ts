// What an UPDATE response means for the caller: the RCODE (RFC 2136 section 2.2) and the TSIG
// error (RFC 8945 section 5.3.2) decide whether retrying can help and what the user should check.
import type { Dns01ErrorKind } from '../provider.ts';
import { Rcode, rcodeName, TsigErrorCode } from '../wire/constants.ts';

/** Accepted, or refused/failed with a kind and a reason that starts with the RCODE. */
export type UpdateVerdict = { ok: true } | { ok: false; kind: Dns01ErrorKind; reason: string };

/** Facts about the update for the hints; none of them secret. */
export interface UpdateContext {
  zone: string;
  name: string;
  keyName?: string;
  algorithm?: string;
}

function tsigHint(tsigError: number, context: UpdateContext): { kind: Dns01ErrorKind; hint: string } {
  switch (tsigError) {
    case TsigErrorCode.BADSIG:
      return { kind: 'terminal', hint: 'TSIG BADSIG: is the secret right?' };
    case TsigErrorCode.BADKEY:
      return {
        kind: 'terminal',
        hint: `TSIG BADKEY: the server does not know key ${context.keyName} with ${context.algorithm}; check the key name and algorithm`,
      };
    case TsigErrorCode.BADTIME:
      // A clock can be fixed without touching the Issuer, so this one is retried.
      return {
        kind: 'transient',
        hint: "TSIG BADTIME: this machine's clock and the server's differ by more than the allowed 300 s",
      };
    default:
      return { kind: 'terminal', hint: `TSIG error ${tsigError}` };
  }
}

/** Judges an UPDATE response from its RCODE and, if it carried one, its TSIG error code. */
export function judgeUpdateResponse(rcode: number, tsigError: number, context: UpdateContext): UpdateVerdict {
  const name = rcodeName(rcode);
  const refused = (hint: string): UpdateVerdict => ({
    ok: false,
    kind: 'terminal',
    reason: `refused: ${name} (${hint})`,
  });
  if (tsigError !== 0) {
    const { kind, hint } = tsigHint(tsigError, context);
    return { ok: false, kind, reason: `refused: ${name} (${hint})` };
  }
  switch (rcode) {
    case Rcode.NOERROR:
      return { ok: true };
    case Rcode.SERVFAIL:
      return { ok: false, kind: 'transient', reason: `failed: ${name} (the server could not apply it now)` };
    case Rcode.REFUSED:
      return refused(
        context.keyName
          ? `the server does not allow key ${context.keyName} to update zone ${context.zone}; check its allow-update or update-policy`
          : `the server does not allow unsigned updates to zone ${context.zone}; configure a TSIG key`,
      );
    case Rcode.NOTAUTH:
      return refused(`the server is not authoritative for zone ${context.zone}, or it is a secondary`);
    case Rcode.NOTZONE:
      return refused(`${context.name} is not in zone ${context.zone}`);
    case Rcode.NOTIMP:
      return refused('the server does not implement dynamic updates');
    case Rcode.FORMERR:
      return refused('the server could not parse the update');
    default:
      return refused('unexpected for an update without prerequisites');
  }
}
