// `make soak` at CI size: 20 Certificates over RFC 2136, IIJ DPF, IIJ DO-API and http-01 with 90 s of
// every fault at once, on a testbed of its own. Every goal of the table must be met, and the faults
// must really have happened (leaders killed, the apiserver restarted, CA errors injected, Secrets
// damaged), or a quiet run would pass for a robust one.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');

function run(env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['test/soak/soak.ts'],
      { cwd: repo, env: { ...process.env, ...env }, timeout: 420_000, maxBuffer: 8 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

describe('soak (short)', () => {
  it('meets every goal after 90 s of faults with 20 Certificates', async () => {
    const { code, stdout, stderr } = await run({
      SOAK_CERTS: '20',
      SOAK_FAULT_SECONDS: '90',
      SOAK_SETTLE_SECONDS: '180',
      // As the other integration tests run the controller: from source, so no build is needed.
      SOAK_CONTROLLER_ENTRY: resolve(repo, 'src/cmd/acme6.ts'),
    });
    const report = `${stdout}\n${stderr.split('\n').slice(-40).join('\n')}`;
    expect(stdout, report).toContain('## acme6 soak: 20 Certificates, 90 s of faults');
    expect(stdout, report).not.toContain('MISSED');
    expect(code, report).toBe(0);
    const row = (measure: string): string[] =>
      (stdout.split('\n').find((l) => l.startsWith(`| ${measure} |`)) ?? '')
        .split(' | ')
        .map((c) => c.trim());
    expect(row('Certificates Ready (Secret valid for its names)')[2]).toBe('100.0 % (20/20)');
    expect(row('log lines with key material or a token')[2]).toMatch(/^0 of [1-9]\d*$/);
    // The faults happened.
    expect(Number(row('controller restarts by the soak (leader SIGKILLed)')[2])).toBeGreaterThanOrEqual(3);
    expect(row('kube-apiserver restarts by the soak')[2]).toBe('1');
    expect(stdout).toMatch(/\((\d+) injected\)/);
    expect(Number(/\((\d+) injected\)/.exec(stdout)![1])).toBeGreaterThan(0);
    expect(stdout).toMatch(/Secret \S+-tls deleted and \S+-tls tampered with/);
    // The damaged Secrets serve their own names again with a matching key: the Ready row above
    // counts a Certificate only when its Secret does (test/soak/end-state.ts, secretServes).
  }, 480_000);
});
