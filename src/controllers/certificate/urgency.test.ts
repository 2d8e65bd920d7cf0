import { describe, expect, it } from 'vitest';
import { isAwaited } from './urgency.ts';

const withReady = (status: 'True' | 'False') => ({
  status: { conditions: [{ type: 'Ready', status, reason: 'r', message: 'm', lastTransitionTime: '' }] },
});

describe('isAwaited', () => {
  it('puts a new Certificate (no status yet) and one that is not Ready ahead', () => {
    expect(isAwaited({ status: undefined })).toBe(true);
    expect(isAwaited(withReady('False'))).toBe(true);
  });

  it('lets a Ready Certificate (a renewal) and a deleted one wait their turn', () => {
    expect(isAwaited(withReady('True'))).toBe(false);
    expect(isAwaited(undefined)).toBe(false);
  });
});
