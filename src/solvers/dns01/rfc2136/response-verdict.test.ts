import { describe, expect, it } from 'vitest';
import { Rcode, TsigErrorCode } from '../wire/constants.ts';
import { judgeUpdateResponse } from './response-verdict.ts';

const signed = {
  zone: 'example.test.',
  name: '_acme-challenge.example.test.',
  keyName: 'acme6.',
  algorithm: 'hmac-sha256.',
};
const unsigned = { zone: 'example.test.', name: '_acme-challenge.example.test.' };

describe('judging UPDATE responses', () => {
  it('accepts NOERROR', () => {
    expect(judgeUpdateResponse(Rcode.NOERROR, 0, signed)).toEqual({ ok: true });
  });

  it.each([
    [Rcode.NOTAUTH, TsigErrorCode.BADSIG, 'terminal', 'refused: NOTAUTH (TSIG BADSIG: is the secret right?)'],
    [
      Rcode.NOTAUTH,
      TsigErrorCode.BADKEY,
      'terminal',
      'refused: NOTAUTH (TSIG BADKEY: the server does not know key acme6. with hmac-sha256.',
    ],
    [Rcode.NOTAUTH, TsigErrorCode.BADTIME, 'transient', 'refused: NOTAUTH (TSIG BADTIME'],
    [
      Rcode.NOTAUTH,
      0,
      'terminal',
      'refused: NOTAUTH (the server is not authoritative for zone example.test.',
    ],
    [
      Rcode.REFUSED,
      0,
      'terminal',
      'refused: REFUSED (the server does not allow key acme6. to update zone example.test.',
    ],
    [
      Rcode.NOTZONE,
      0,
      'terminal',
      'refused: NOTZONE (_acme-challenge.example.test. is not in zone example.test.)',
    ],
    [Rcode.NOTIMP, 0, 'terminal', 'refused: NOTIMP'],
    [Rcode.FORMERR, 0, 'terminal', 'refused: FORMERR'],
    [Rcode.SERVFAIL, 0, 'transient', 'failed: SERVFAIL'],
  ])('RCODE %i with TSIG error %i is %s', (rcode, tsigError, kind, reason) => {
    const verdict = judgeUpdateResponse(rcode, tsigError, signed);
    expect(verdict).toMatchObject({ ok: false, kind });
    expect(verdict.ok === false && verdict.reason).toContain(reason);
  });

  it('points unsigned updates that were refused at configuring a key', () => {
    const verdict = judgeUpdateResponse(Rcode.REFUSED, 0, unsigned);
    expect(verdict.ok === false && verdict.reason).toContain('does not allow unsigned updates');
  });
});
