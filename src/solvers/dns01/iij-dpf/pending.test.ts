import { describe, expect, it } from 'vitest';
import { describeEdit, foreignEdits } from './pending.ts';
import type { DpfDiff, DpfRecord } from './responses.ts';

const digest = `"${'a'.repeat(43)}"`;
const row = (overrides: Partial<DpfRecord>): DpfRecord => ({
  id: 'rAbCdEfGhIjKlM',
  name: '_acme-challenge.www.example.com.',
  rrtype: 'TXT',
  rdata: [{ value: digest }],
  state: 1,
  operator: 'SA0000001',
  ...overrides,
});

describe('pending edits', () => {
  it('treats dns-01 TXT changes holding only digests as ours', () => {
    const diffs: DpfDiff[] = [
      { new: row({}), old: null },
      { new: row({ state: 2 }), old: row({ state: 0 }) },
    ];
    expect(foreignEdits(diffs)).toEqual([]);
  });

  it('treats anything else as foreign, and describes it', () => {
    const a: DpfDiff = {
      new: row({ name: 'www.example.com.', rrtype: 'A', rdata: [{ value: '192.0.2.1' }] }),
      old: null,
    };
    const txt: DpfDiff = {
      new: row({ rdata: [{ value: '"v=spf1 -all"' }], state: 3 }),
      old: row({ state: 0 }),
    };
    expect(foreignEdits([a, txt])).toEqual([a, txt]);
    expect(describeEdit(a)).toBe('A www.example.com. (addition by SA0000001)');
    expect(describeEdit(txt)).toBe('TXT _acme-challenge.www.example.com. (update by SA0000001)');
  });
});

describe('pending edits right after our own write', () => {
  it('counts the TXT RRset acme6 just staged as ours, whatever its value, and nothing else', () => {
    const ownName = '_acme-challenge.www.example.com.';
    const ownDeletion: DpfDiff = {
      new: row({ state: 2, rdata: [{ value: '"v1"' }] }),
      old: row({ state: 0 }),
    };
    const elsewhere: DpfDiff = {
      new: row({ name: '_acme-challenge.mail.example.com.', rdata: [{ value: '"v1"' }] }),
      old: null,
    };
    expect(foreignEdits([ownDeletion, elsewhere], ownName)).toEqual([elsewhere]);
    expect(foreignEdits([ownDeletion])).toEqual([ownDeletion]);
  });
});
