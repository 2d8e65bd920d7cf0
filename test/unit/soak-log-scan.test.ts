// The soak's leak scan: a line with a PEM block or a secret value counts once, others do not.
import { describe, expect, it } from 'vitest';
import { scanText } from '../soak/log-scan.ts';

const secrets = { 'TSIG secret': 'c2VjcmV0LXRzaWc9PQ==', 'IIJ DPF token': 'dpf-0123456789abcdef' };

describe('soak log scan', () => {
  it('counts lines with PEM blocks or secret values, once per line', () => {
    const text = [
      '{"level":30,"msg":"issued","name":"a"}',
      '{"msg":"bad","key":"-----BEGIN EC PRIVATE KEY-----\\nMHc..."}',
      'token=dpf-0123456789abcdef secret c2VjcmV0LXRzaWc9PQ==',
      '',
      'Authorization: Bearer dpf-0123456789abcdef',
      '-----BEGIN CERTIFICATE-----',
    ].join('\n');
    const count = scanText(text, secrets, 'controller-0-1.log');
    expect(count.lines).toBe(5);
    expect(count.leakingLines).toBe(4);
    expect([...count.kinds.keys()].sort()).toEqual(['IIJ DPF token', 'PEM block', 'TSIG secret']);
    expect([...count.kinds.get('PEM block')!]).toEqual(['controller-0-1.log']);
  });

  it('finds nothing in clean lines, and ignores values too short to be secrets', () => {
    const count = scanText(
      '{"msg":"ready"}\nBEGIN CERTIFICATE without dashes\nabc',
      { short: 'abc' },
      'x.log',
    );
    expect(count).toMatchObject({ lines: 3, leakingLines: 0 });
  });
});
