import { describe, expect, it } from 'vitest';
import type { Certificate } from '../../api/certificate.ts';
import {
  FAILED_REASON,
  MANUAL_TRIGGER_REASON,
  manualTrigger,
  ownedStatus,
  settledStatus,
  withIssuing,
  withManualTrigger,
} from './issuance-status.ts';

const now = new Date('2026-11-25T12:00:00Z');
const cert = {
  metadata: { name: 'web', namespace: 'team', generation: 4 },
} as unknown as Certificate;

describe('manual renewal trigger', () => {
  it('is read back as a verdict to issue on, for the generation it was asked on', () => {
    const requested = withManualTrigger({ failedIssuanceAttempts: 2 }, cert, now);
    expect(requested.failedIssuanceAttempts).toBe(2);
    expect(requested.conditions).toEqual([
      {
        type: 'Issuing',
        status: 'True',
        reason: MANUAL_TRIGGER_REASON,
        message: 'renewal requested by a user (kubectl acme6 renew)',
        observedGeneration: 4,
        lastTransitionTime: '2026-11-25T12:00:00Z',
      },
    ]);
    expect(manualTrigger(requested)).toEqual({
      reason: MANUAL_TRIGGER_REASON,
      message: 'renewal requested by a user (kubectl acme6 renew)',
    });
  });

  it('survives the round trip through status: ownedStatus keeps it', () => {
    const requested = withManualTrigger({}, cert, now);
    expect(manualTrigger(ownedStatus({ conditions: requested.conditions! }))).toBeDefined();
  });

  it('is spent once an order is placed, and means nothing for other Issuing reasons', () => {
    const requested = withManualTrigger({}, cert, now);
    expect(manualTrigger({ ...requested, acme: { orderURL: 'https://ca.example.test/order/1' } })).toBe(
      undefined,
    );
    expect(manualTrigger(withIssuing({}, cert, 'True', 'Renewing', 'due', now))).toBe(undefined);
    expect(manualTrigger(withIssuing({}, cert, 'False', MANUAL_TRIGGER_REASON, 'x', now))).toBe(undefined);
    expect(manualTrigger({})).toBe(undefined);
  });
});

describe('settled status (nothing to issue)', () => {
  const failure = withIssuing({ failedIssuanceAttempts: 1 }, cert, 'False', FAILED_REASON, 'boom', now);

  it('keeps the record of a failed attempt, unchanged, so no write is needed', () => {
    expect(settledStatus(failure)).toBe(failure);
  });

  it('drops any other Issuing condition and keeps the rest', () => {
    for (const [status, reason] of [
      ['True', MANUAL_TRIGGER_REASON],
      ['True', 'Renewing'],
      ['False', 'NoSolver'],
      ['False', 'IssuerNotReady'],
    ] as const) {
      const owned = withIssuing({ revision: 3 }, cert, status, reason, 'x', now);
      expect(settledStatus(owned)).toEqual({ revision: 3 });
    }
  });

  it('leaves a status without conditions as it is', () => {
    const owned = { revision: 2 };
    expect(settledStatus(owned)).toBe(owned);
  });
});
