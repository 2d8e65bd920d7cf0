// The soak's verdict: every goal beside its measure, a missed goal named, a fault row never a verdict.
import { describe, expect, it } from 'vitest';
import { missedGoals, soakRows, soakTable, type SoakMeasures } from '../soak/report.ts';

const passing: SoakMeasures = {
  certificates: 3,
  ready: 3,
  ordersPerCertificate: [
    { name: 'a', orders: 1, revision: 1 },
    { name: 'b', orders: 2, revision: 2 },
    { name: 'c', orders: 1, revision: 1 },
  ],
  accountKeys: { total: 4, unchanged: 4 },
  leftoverTxt: [],
  leftoverSolverObjects: [],
  killedBySoak: 20,
  apiserverRestarts: 1,
  crashes: 0,
  leaseLostExits: 1,
  secondsUntilReady: 12.5,
  settleBoundSeconds: 600,
  logLines: 1000,
  leakingLogLines: 0,
  leakKinds: [],
};

describe('soak report', () => {
  it('meets every goal when the measures are clean', () => {
    const rows = soakRows(passing);
    expect(missedGoals(rows)).toEqual([]);
    const table = soakTable(rows);
    expect(table).toContain(
      '| Certificates Ready (Secret valid for its names) | 100 % | 100.0 % (3/3) | met |',
    );
    expect(table).toContain(
      '| orders at pebble per Certificate revision | exactly 1 | 4 orders / 4 revisions;',
    );
    expect(table).toContain('| controller restarts by the soak (leader SIGKILLed) | (fault) | 20 |  |');
  });

  it.each([
    ['a Certificate not Ready', { ready: 2 }, 'Certificates Ready (Secret valid for its names)'],
    [
      'two orders for one revision',
      { ordersPerCertificate: [{ name: 'a', orders: 2, revision: 1 }] },
      'orders at pebble per Certificate revision',
    ],
    [
      'a Certificate never issued (no revision, no order)',
      { ordersPerCertificate: [{ name: 'a', orders: 0, revision: 0 }] },
      'orders at pebble per Certificate revision',
    ],
    ['a new account key', { accountKeys: { total: 4, unchanged: 3 } }, 'ACME account keys unchanged'],
    [
      'a TXT record left',
      { leftoverTxt: ['_acme-challenge.a.example.test (secondary)'] },
      'leftover _acme-challenge TXT (BIND primary + secondary, DPF, DO-API)',
    ],
    [
      'a solver Pod left',
      { leftoverSolverObjects: ['pod soak/x'] },
      'leftover solver Pods/Services/Ingresses',
    ],
    ['a crash', { crashes: 1 }, 'controller exits not caused by the soak: crashes'],
    ['never all Ready', { secondsUntilReady: undefined }, 'seconds until all Ready after the faults stopped'],
    ['a leaked secret', { leakingLogLines: 1 }, 'log lines with key material or a token'],
  ])('misses exactly one goal with %s', (_, change, goal) => {
    expect(missedGoals(soakRows({ ...passing, ...change }))).toEqual([goal]);
  });

  it('names the Certificates whose orders and revisions differ', () => {
    const rows = soakRows({ ...passing, ordersPerCertificate: [{ name: 'rfc-0', orders: 3, revision: 2 }] });
    expect(soakTable(rows)).toContain('off: rfc-0 3/2');
  });
});
