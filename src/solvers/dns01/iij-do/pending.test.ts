import { describe, expect, it } from 'vitest';
import { describeEdit, foreignEdits } from './pending.ts';
import type { DoRecord } from './responses.ts';

const digest = `"${'a'.repeat(43)}"`;
const record = (overrides: Partial<DoRecord>): DoRecord => ({
  Id: '1001',
  Status: 'ADDING',
  Owner: '_acme-challenge.www',
  TTL: '300',
  RecordType: 'TXT',
  RData: digest,
  ...overrides,
});

describe('DO staged edits', () => {
  it('treats staged dns-01 TXT digests as ours, and committed records as nobody’s business', () => {
    expect(
      foreignEdits([
        record({}),
        record({ Status: 'DELETING', Owner: '_acme-challenge' }),
        record({ Status: 'UNCHANGED', RecordType: 'A', Owner: 'www', RData: '192.0.2.1' }),
      ]),
    ).toEqual([]);
  });

  it('finds anything else that is staged', () => {
    const a = record({ RecordType: 'A', Owner: 'www', RData: '192.0.2.1' });
    const txt = record({ Owner: 'www', RData: '"v=spf1 -all"', Status: 'DELETING' });
    const lookalike = record({ RData: '"not a digest"' });
    expect(foreignEdits([a, txt, lookalike, record({})])).toEqual([a, txt, lookalike]);
    expect(describeEdit('example.com', a)).toBe('A www.example.com (addition)');
    expect(describeEdit('example.com', record({ Owner: '@', RecordType: 'MX', Status: 'DELETING' }))).toBe(
      'MX example.com (deletion)',
    );
  });
});
