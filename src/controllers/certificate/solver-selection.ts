// Which of an issuer's solvers handles each name of a Certificate. The most specific selector wins,
// as cert-manager users expect: an exact dnsNames entry beats the longest matching dnsZones entry,
// which beats a label-only or empty selector; more matching labels break ties, then list order.
// A Certificate may prefer a challenge type (annotation acme6.io/challenge-type): a solver of that
// type wins over any other that matches the name; without one of that type, the others still serve.
import type { Solver } from '../../api/solver.ts';

/** The solver chosen for one name, with its index in spec.acme.solvers. */
export interface SolverChoice {
  dnsName: string;
  solverIndex: number;
  solver: Solver;
  type: 'http-01' | 'dns-01';
}

/** Why no solver could be chosen for a name (configuration the user must change). */
export interface SolverProblem {
  dnsName: string;
  message: string;
}

/** A comparable specificity: [exact name, zone length, label count]; higher wins. */
type Specificity = [number, number, number];

/** The challenge types a Certificate can prefer. */
export type ChallengeType = SolverChoice['type'];

const typeOf = (solver: Solver): ChallengeType => (solver.dns01 ? 'dns-01' : 'http-01');

function specificity(
  solver: Solver,
  dnsName: string,
  labels: Record<string, string>,
): Specificity | undefined {
  const selector = solver.selector;
  if (!selector) return [0, 0, 0];
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  if (matchLabels.some(([k, v]) => labels[k] !== v)) return undefined;
  const bareName = dnsName.replace(/^\*\./, '');
  const exact = selector.dnsNames?.includes(dnsName) ? 1 : 0;
  const zone = Math.max(
    -1,
    ...(selector.dnsZones ?? [])
      .filter((z) => bareName === z || bareName.endsWith(`.${z}`))
      .map((z) => z.length),
  );
  const hasNameRules = selector.dnsNames !== undefined || selector.dnsZones !== undefined;
  if (hasNameRules && !exact && zone < 0) return undefined;
  return [exact, Math.max(zone, 0), matchLabels.length];
}

const beats = (a: readonly number[], b: readonly number[]): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false; // equal: the earlier solver keeps the name
};

/** Chooses a solver per name; a wildcard name can only be solved by dns-01. */
export function chooseSolvers(
  solvers: readonly Solver[],
  dnsNames: readonly string[],
  certificateLabels: Record<string, string> = {},
  preferredType?: ChallengeType,
): { choices: SolverChoice[]; problems: SolverProblem[] } {
  const choices: SolverChoice[] = [];
  const problems: SolverProblem[] = [];
  for (const dnsName of dnsNames) {
    const wildcard = dnsName.startsWith('*.');
    let best: { index: number; score: number[] } | undefined;
    let wildcardSkipped = false;
    solvers.forEach((solver, index) => {
      const specific = specificity(solver, dnsName, certificateLabels);
      if (!specific) return;
      const score = [typeOf(solver) === preferredType ? 1 : 0, ...specific];
      if (wildcard && !solver.dns01) {
        wildcardSkipped = true;
        return;
      }
      if (!best || beats(score, best.score)) best = { index, score };
    });
    if (best) {
      const solver = solvers[best.index]!;
      choices.push({ dnsName, solverIndex: best.index, solver, type: typeOf(solver) });
    } else {
      problems.push({
        dnsName,
        message: wildcardSkipped
          ? `${dnsName} is a wildcard name, which only dns-01 can validate, and no dns01 solver of the issuer matches it`
          : `no solver of the issuer matches ${dnsName} (check the solvers' selectors)`,
      });
    }
  }
  return { choices, problems };
}
