import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Io } from './main.ts';
import { runPlugin } from '../plugin/main.ts';

const entry = fileURLToPath(new URL('./kubectl-acme6.ts', import.meta.url));

/** Io that keeps what was written, per stream. */
function capture(): Io & { stdout: () => string; stderr: () => string } {
  const written = { out: [] as string[], err: [] as string[] };
  const sink = (to: string[]) => ({ write: (s: string) => to.push(s) });
  return {
    out: sink(written.out),
    err: sink(written.err),
    stdout: () => written.out.join(''),
    stderr: () => written.err.join(''),
  };
}

describe('kubectl-acme6', () => {
  it('is a node program kubectl can run directly', async () => {
    expect(readFileSync(entry, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const { stdout } = await promisify(execFile)(process.execPath, [entry, '--help']);
    expect(stdout).toMatch(/^usage: kubectl acme6 <command>/);
  }, 60_000); // a cold node start on a busy machine

  it('prints usage for help, and exit code 2 with the reason for bad input, before touching a cluster', async () => {
    const connect = (): never => {
      throw new Error('must not connect');
    };
    const help = capture();
    expect(await runPlugin(['help'], help, connect)).toBe(0);
    expect(help.stdout()).toContain('status certificate NAME');
    const bad = capture();
    expect(await runPlugin(['renew'], bad, connect)).toBe(2);
    expect(bad.stderr()).toMatch(/^kubectl-acme6: renew needs certificate names or --all\n\nusage:/);
  });

  it('reports a kubeconfig it cannot use as an error, exit code 1', async () => {
    const io = capture();
    expect(
      await runPlugin(['status', 'certificate', 'web', '--kubeconfig', '/nonexistent/kubeconfig'], io),
    ).toBe(1);
    expect(io.stderr()).toMatch(/^kubectl-acme6: .*nonexistent/);
  });
});
