import { describe, expect, it } from 'vitest';
import {
  type Condition,
  type ConditionUpdate,
  conditionList,
  getCondition,
  isConditionTrue,
  removeCondition,
  setCondition,
} from './conditions.ts';

const t0 = new Date('2026-11-25T01:00:00.123Z');
const t1 = new Date('2026-11-25T02:00:00.456Z');
const ready = (status: ConditionUpdate['status'], generation = 1, message = 'ok'): ConditionUpdate => ({
  type: 'Ready',
  status,
  reason: status === 'True' ? 'Issued' : 'OrderFailed',
  message,
  observedGeneration: generation,
});

describe('setCondition', () => {
  it('adds a new condition with the transition time at second precision', () => {
    const conditions = setCondition(undefined, ready('True'), t0);
    expect(conditions).toEqual([
      {
        type: 'Ready',
        status: 'True',
        reason: 'Issued',
        message: 'ok',
        observedGeneration: 1,
        lastTransitionTime: '2026-11-25T01:00:00Z',
      },
    ]);
    expect(conditionList.safeParse(conditions).success).toBe(true);
  });

  it('keeps lastTransitionTime when the status stays, but updates reason, message and generation', () => {
    const before = setCondition(undefined, ready('False', 1, 'first'), t0);
    const after = setCondition(before, ready('False', 2, 'second'), t1);
    expect(after[0]).toMatchObject({ message: 'second', observedGeneration: 2 });
    expect(after[0]?.lastTransitionTime).toBe('2026-11-25T01:00:00Z');
  });

  it('moves lastTransitionTime when the status flips', () => {
    const before = setCondition(undefined, ready('False'), t0);
    const after = setCondition(before, ready('True'), t1);
    expect(after[0]?.lastTransitionTime).toBe('2026-11-25T02:00:00Z');
    expect(after[0]?.status).toBe('True');
  });

  it('returns the same list when nothing changed, so callers can skip the write', () => {
    const before = setCondition(undefined, ready('True'), t0);
    expect(setCondition(before, ready('True'), t1)).toBe(before);
  });

  it('leaves other conditions and their order alone, and does not mutate its input', () => {
    const issuing: Condition = {
      type: 'Issuing',
      status: 'True',
      reason: 'OrderPending',
      message: '',
      lastTransitionTime: '2026-11-24T00:00:00Z',
    };
    const before = setCondition([issuing], ready('True'), t0);
    const frozen = structuredClone(before);
    const after = setCondition(before, ready('False'), t1);
    expect(before).toEqual(frozen);
    expect(after.map((c) => c.type)).toEqual(['Issuing', 'Ready']);
    expect(after[0]).toBe(issuing);
  });
});

describe('condition helpers', () => {
  const conditions = setCondition(undefined, ready('True'), t0);
  it('finds conditions by type', () => {
    expect(getCondition(conditions, 'Ready')?.reason).toBe('Issued');
    expect(getCondition(conditions, 'Issuing')).toBeUndefined();
    expect(isConditionTrue(conditions, 'Ready')).toBe(true);
    expect(isConditionTrue(undefined, 'Ready')).toBe(false);
  });
  it('removes a condition by type', () => {
    expect(removeCondition(conditions, 'Ready')).toEqual([]);
    expect(removeCondition(conditions, 'Issuing')).toBe(conditions);
  });
  it('rejects two conditions of one type, as the list-map schema does', () => {
    const doubled = [...conditions, ...conditions];
    const result = conditionList.safeParse(doubled);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([1]);
  });
});

describe('setCondition with a huge message', () => {
  it('cuts the message so the apiserver accepts the status, and keeps its end', () => {
    const huge = `rejected: ${'x'.repeat(100_000)}; next attempt at 2026-11-25T03:00:00Z (failure 1)`;
    const conditions = setCondition(undefined, ready('False', 1, huge), t0);
    const message = conditions[0]!.message;
    expect(message.length).toBeLessThanOrEqual(4096);
    expect(message).toMatch(/^rejected: x+ … \[truncated \d+ characters\] … x+; next attempt at /);
    expect(message.endsWith('(failure 1)')).toBe(true);
    expect(conditionList.safeParse(conditions).success).toBe(true);
    // The same huge message again is no change, so no status write.
    expect(setCondition(conditions, ready('False', 1, huge), t1)).toBe(conditions);
  });
});
