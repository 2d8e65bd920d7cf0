// `make bench` at a tiny size, so its scripts keep working: five Certificates through acme6, lego
// and Traefik's certResolver, the same over http-01, a short steady state, a renewal wave of five
// (P4), P2 with five of each object, and the tables it prints.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../..');

describe('make bench', () => {
  it('prints the P1 (dns-01 and http-01), P3, P4 and P2 tables for five certificates', async () => {
    const { stdout } = await run(process.execPath, ['bench/controller/bench.ts'], {
      cwd: repo,
      env: {
        ...process.env,
        BENCH_N: '5',
        BENCH_STEADY_SECONDS: '10',
        BENCH_P2_CERTS: '5',
        BENCH_P2_SECRETS: '5',
        BENCH_P2_SECRET_KB: '1',
        BENCH_P2_INGRESSES: '5',
        BENCH_P2_SETTLE: '10',
        BENCH_P4_CERTS: '5',
        BENCH_P4_LEAD: '10',
      },
      timeout: 1_200_000,
      maxBuffer: 1 << 20,
    });
    expect(stdout).toContain('### P1 batch issuance: 5 certificates');
    const p1 = stdout.split('### P3')[0]!;
    // Each peer's row: a name, a number of seconds, the orders pebble saw, requests per certificate.
    const orders = (table: string, peer: string): number | undefined => {
      const name = peer.replace(/[()]/g, '\\$&');
      const match = new RegExp(`\\| ${name} \\| \\d+\\.\\d \\| (\\d+) \\| \\d+\\.\\d \\|`).exec(table);
      return match ? Number(match[1]) : undefined;
    };
    // acme6 and lego: one order per certificate. Traefik may place more: it orders a certificate
    // again when a configuration update comes while the first is being stored, or after a failure.
    for (const peer of ['acme6 (defaults)', 'lego (defaults)', 'lego (tuned)']) {
      expect(orders(p1, peer), peer).toBe(5);
    }
    for (const peer of ['Traefik (defaults)', 'Traefik (tuned)']) {
      expect(orders(p1, peer), peer).toBeGreaterThanOrEqual(5);
    }
    const http01 = stdout.split('### P1 over http-01')[1]?.split('###')[0] ?? '';
    expect(http01).toContain(': 5 certificates of one name each (http-01 cannot validate wildcards)');
    for (const peer of ['acme6 (defaults)', 'acme6 (tuned)', 'lego']) {
      expect(orders(http01, peer), peer).toBe(5);
    }
    expect(orders(http01, 'Traefik'), 'Traefik').toBeGreaterThanOrEqual(5);
    expect(stdout).toContain('### P3 steady state: controller with 5 Ready Certificates');
    expect(stdout).toMatch(/\| CPU s \/ min \| \d+\.\d\d \|/);
    const p4 = stdout.split('### P4')[1]?.split('###')[0] ?? '';
    expect(p4).toContain('5 Ready Certificates due at the same second');
    // Every Secret renewed by pebble, with one placed order each (five and the probe).
    expect(p4).toMatch(/\| \d+\.\d \(5 of 5 renewed\) \|/);
    expect(p4).toMatch(
      /\| orders pebble placed during the wave \(wave \+ 1 probe\) \| 6 [^|]*\| 6 \(1 each\) \|/,
    );
    const p2 = stdout.split('### P2')[1] ?? '';
    expect(p2).toContain('5 Ready Certificates with their Secrets, 5 unrelated 1 KB Secrets, 5 Ingresses');
    // The benchmark's own Secrets are taken as they are: all five Ready without an order.
    expect(p2).toMatch(
      /\| seconds until all 5 Certificates evaluated \(Ready condition written\) \| \d+\.\d \|/,
    );
    expect(p2).toMatch(/\| {3}of them Ready=True \| 5 \|/);
    expect(p2).toMatch(/\| RSS MB after 10 s \| \d+\.\d \|/);
  }, 1_500_000);
});
