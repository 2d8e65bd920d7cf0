// The soak's one table: each goal beside what was measured, and whether it was met. Pure, so the
// verdict rules are unit-tested apart from the run that feeds them.

export interface SoakMeasures {
  certificates: number;
  ready: number;
  /** Per Certificate: orders pebble created for its names, and its revision (issuances). */
  ordersPerCertificate: { name: string; orders: number; revision: number }[];
  accountKeys: { total: number; unchanged: number };
  leftoverTxt: string[];
  leftoverSolverObjects: string[];
  killedBySoak: number;
  apiserverRestarts: number;
  /** Replica exits the soak did not cause: crashes, and leaders that lost the lease and left. */
  crashes: number;
  leaseLostExits: number;
  /** Seconds from the end of the faults until every Certificate was Ready; undefined: never. */
  secondsUntilReady: number | undefined;
  settleBoundSeconds: number;
  logLines: number;
  leakingLogLines: number;
  leakKinds: string[];
}

export interface Row {
  measure: string;
  goal: string;
  measured: string;
  met: boolean | undefined;
}

/** The rows of the table, in the order the issue lists them. */
export function soakRows(m: SoakMeasures): Row[] {
  const orders = m.ordersPerCertificate.reduce((sum, c) => sum + c.orders, 0);
  const revisions = m.ordersPerCertificate.reduce((sum, c) => sum + c.revision, 0);
  const off = m.ordersPerCertificate.filter((c) => c.orders !== c.revision || c.revision === 0);
  const offNote =
    off.length === 0 ? '' : `; off: ${off.map((c) => `${c.name} ${c.orders}/${c.revision}`).join(', ')}`;
  const percent = m.certificates === 0 ? 0 : (100 * m.ready) / m.certificates;
  const list = (items: string[]): string =>
    items.length === 0 ? '0' : `${items.length}: ${items.join(', ')}`;
  return [
    {
      measure: 'Certificates Ready (Secret valid for its names)',
      goal: '100 %',
      measured: `${percent.toFixed(1)} % (${m.ready}/${m.certificates})`,
      met: m.ready === m.certificates,
    },
    {
      measure: 'orders at pebble per Certificate revision',
      goal: 'exactly 1',
      measured: `${orders} orders / ${revisions} revisions; ${m.certificates - off.length}/${m.certificates} Certificates at exactly 1${offNote}`,
      met: off.length === 0,
    },
    {
      measure: 'ACME account keys unchanged',
      goal: 'all',
      measured: `${m.accountKeys.unchanged}/${m.accountKeys.total}`,
      met: m.accountKeys.total > 0 && m.accountKeys.unchanged === m.accountKeys.total,
    },
    {
      measure: 'leftover _acme-challenge TXT (BIND primary + secondary, DPF, DO-API)',
      goal: '0',
      measured: list(m.leftoverTxt),
      met: m.leftoverTxt.length === 0,
    },
    {
      measure: 'leftover solver Pods/Services/Ingresses',
      goal: '0',
      measured: list(m.leftoverSolverObjects),
      met: m.leftoverSolverObjects.length === 0,
    },
    {
      measure: 'controller restarts by the soak (leader SIGKILLed)',
      goal: '(fault)',
      measured: String(m.killedBySoak),
      met: undefined,
    },
    {
      measure: 'kube-apiserver restarts by the soak',
      goal: '(fault)',
      measured: String(m.apiserverRestarts),
      met: undefined,
    },
    {
      measure: 'controller exits not caused by the soak: crashes',
      goal: '0',
      measured: String(m.crashes),
      met: m.crashes === 0,
    },
    {
      measure: 'controller exits not caused by the soak: lease lost (leader left on purpose)',
      goal: '(reported)',
      measured: String(m.leaseLostExits),
      met: undefined,
    },
    {
      measure: 'seconds until all Ready after the faults stopped',
      goal: `<= ${m.settleBoundSeconds}`,
      measured: m.secondsUntilReady === undefined ? 'never (bound reached)' : m.secondsUntilReady.toFixed(1),
      met: m.secondsUntilReady !== undefined,
    },
    {
      measure: 'log lines with key material or a token',
      goal: '0',
      measured: `${m.leakingLogLines} of ${m.logLines}${m.leakKinds.length ? ` (${m.leakKinds.join('; ')})` : ''}`,
      met: m.leakingLogLines === 0,
    },
  ];
}

/** The Markdown table, pasted as it is into docs/reliability.md. */
export function soakTable(rows: Row[]): string {
  const verdict = (met: boolean | undefined): string => (met === undefined ? '' : met ? 'met' : 'MISSED');
  const cells = (row: string[]): string => `| ${row.join(' | ')} |`;
  return [
    cells(['measure', 'goal', 'measured', 'verdict']),
    cells(['---', '---', '---', '---']),
    ...rows.map((r) => cells([r.measure, r.goal, r.measured, verdict(r.met)])),
    '',
  ].join('\n');
}

/** Goals missed, by name; empty when the soak passed. */
export const missedGoals = (rows: Row[]): string[] =>
  rows.filter((r) => r.met === false).map((r) => r.measure);
