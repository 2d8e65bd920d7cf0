import { describe, expect, it } from 'vitest';
import { main, type Io } from './main.ts';

function capture(): Io & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: { write: (s: string) => (out += s) },
    err: { write: (s: string) => (err += s) },
    stdout: () => out,
    stderr: () => err,
  };
}

describe('acme6 command line', () => {
  it('prints its version', async () => {
    const io = capture();
    expect(await main(['version'], io)).toBe(0);
    expect(io.stdout()).toMatch(/^acme6 \d+\.\d+\.\d+ \(node v22\./);
  });

  it('rejects an unknown command with usage and exit code 2', async () => {
    const io = capture();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.stderr()).toContain('unknown command "frobnicate"');
    expect(io.stderr()).toContain('version');
  });

  it('prints usage without a command', async () => {
    const io = capture();
    expect(await main([], io)).toBe(2);
    expect(io.stdout()).toContain('usage: acme6 <command>');
  });
});
