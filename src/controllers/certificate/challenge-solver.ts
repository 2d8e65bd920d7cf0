// What the issuance needs from a challenge solver: publish the response, say whether the CA can see
// it yet, and take it down again. dns-01 lives in src/solvers/dns01, http-01 in src/solvers/http01.
import type { Solver } from '../../api/solver.ts';

/** One challenge to solve, with everything a solver needs to find its configuration. */
export interface ChallengeTask {
  /** The issuer's solver chosen for this name. */
  solver: Solver;
  /** Namespace whose Secrets the solver's credentials refer to. */
  secretNamespace: string;
  /** The Certificate being issued: http-01 creates its solver objects beside it and owned by it. */
  certificate: { name: string; namespace: string; uid: string; annotations?: Record<string, string> };
  /** The identifier, e.g. `example.test` (for `*.example.test`, the base name). */
  domain: string;
  wildcard: boolean;
  token: string;
  /** dns-01: the TXT value; http-01: the key authorization. */
  value: string;
}

/** Result of publishing: ready means the CA can now be asked to validate. */
export interface PresentResult {
  ready: boolean;
  /** For status: what was checked and what is missing, per server or address. */
  detail: string;
  /** Not ready because a check found a problem (not merely waiting): said in a Warning and the conditions. */
  failing?: boolean;
  /** When to look again if not ready. */
  recheckAfterMs: number;
  /** How long after the order started to stop waiting and fail the attempt (e.g. propagation.timeout). */
  giveUpAfterMs: number;
}

/** A solver for one challenge type. Errors are Dns01TransientError/TerminalError-style: kind says retry or not. */
export interface ChallengeSolver {
  present(task: ChallengeTask): Promise<PresentResult>;
  cleanUp(task: ChallengeTask): Promise<void>;
}
