// http-01 for the issuance: per challenge a solver Pod, Service and Ingress (or HTTPRoute), then a self-check of
// every A and AAAA address before the CA is asked. One check per call, never a sleep: when not
// ready the controller comes back after selfCheck.interval.
import { http01Solver, type Http01Solver } from '../../api/solver.ts';
import { durationNanos } from '../../api/validation.ts';
import type {
  ChallengeSolver,
  ChallengeTask,
  PresentResult,
} from '../../controllers/certificate/challenge-solver.ts';
import type { Clock } from '../../runtime/clock.ts';
import { TerminalError } from '../../runtime/errors.ts';
import type { SolverObjectStore } from './kube-objects.ts';
import type { SelfChecker } from './network-self-check.ts';
import { buildSolverObjects, challengeHash, ingressClassOf, solverName } from './resources.ts';
import { CheckTracker } from './check-tracker.ts';
import { describeRouteProblems } from './route-status.ts';
import { summarizeSelfCheck } from './self-check.ts';

/** Controller-wide http-01 settings (flags). */
export interface Http01Settings {
  /** Image of the solver pods (acme6 itself). */
  image: string;
}

const MAX_DETAIL = 2000;
/** Look again this soon while a check is still running. */
const RUNNING_RECHECK_MS = 2000;

const ms = (duration: string, fallbackMs: number): number => {
  const nanos = durationNanos(duration);
  return nanos === undefined ? fallbackMs : Number(nanos / 1_000_000n);
};

/** A ChallengeSolver for http-01. */
export class Http01ChallengeSolver implements ChallengeSolver {
  private readonly objects: SolverObjectStore;
  private readonly checker: SelfChecker;
  private readonly clock: Clock;
  private readonly settings: Http01Settings;
  private readonly checks: CheckTracker;
  /** When each challenge's solver was first presented (for mode Skip). */
  private readonly firstPresented = new Map<string, number>();

  constructor(objects: SolverObjectStore, checker: SelfChecker, clock: Clock, settings: Http01Settings) {
    this.objects = objects;
    this.checker = checker;
    this.clock = clock;
    this.settings = settings;
    this.checks = new CheckTracker(clock);
  }

  async present(task: ChallengeTask): Promise<PresentResult> {
    const config = this.config(task);
    const key = challengeHash(task);
    // Created once per challenge, and again while its check fails (someone may have deleted a part).
    const first = this.firstPresented.get(key);
    if (first === undefined || !this.checks.passing(key))
      await this.objects.ensure(buildSolverObjects(task, config, this.settings.image));
    const now = this.clock.now().getTime();
    if (first === undefined) this.firstPresented.set(key, now);
    const check = config.selfCheck;
    const intervalMs = ms(check.interval, 5000);
    const giveUpAfterMs = ms(check.timeout, 600_000);
    if (check.mode === 'Skip') {
      const waitMs = ms(check.skipWait, 30_000);
      const leftMs = (first ?? now) + waitMs - now;
      return {
        ready: leftMs <= 0,
        detail:
          leftMs <= 0
            ? `self-check skipped (mode Skip); waited ${check.skipWait} after creating the solver`
            : `self-check skipped (mode Skip); asking the CA in ${Math.ceil(leftMs / 1000)}s`,
        recheckAfterMs: Math.max(leftMs, 0),
        giveUpAfterMs: Math.max(giveUpAfterMs, waitMs + intervalMs),
      };
    }
    const requestTimeoutMs = ms(check.requestTimeout, 10_000);
    const result = await this.checks.latest(key, intervalMs, () =>
      this.checker.check(task.domain, task.token, task.value, requestTimeoutMs),
    );
    if (!result) {
      return {
        ready: false,
        detail: 'self-check running',
        recheckAfterMs: RUNNING_RECHECK_MS,
        giveUpAfterMs,
      };
    }
    const { ingressClassName, classAnnotation } = ingressClassOf(task, config);
    const { namespace } = task.certificate;
    const name = solverName(task);
    const hints = config.gatewayHTTPRoute
      ? { httpRoute: `${namespace}/${name}` }
      : { ingressClass: ingressClassName ?? classAnnotation };
    let summary = summarizeSelfCheck(result.report, hints);
    if (!result.passed && config.gatewayHTTPRoute) {
      // The route's own status usually says why nothing answers: name it first.
      const route = await this.objects.getRoute(namespace, name);
      const problem = describeRouteProblems(route, namespace, name);
      if (problem) summary = `${problem}; ${summary}`;
    }
    const ready = result.passed && result.passes >= check.passes;
    const progress = result.passed && !ready ? ` (pass ${result.passes} of ${check.passes})` : '';
    // A check still running (a slow address) is looked at again soon, not a whole interval later.
    const recheckAfterMs = this.checks.running(key) ? RUNNING_RECHECK_MS : intervalMs;
    return {
      ready,
      // status.acme.challenges[].selfCheck holds at most 4096 characters.
      detail: `${summary}${progress}`.slice(0, MAX_DETAIL),
      failing: !result.passed,
      recheckAfterMs,
      giveUpAfterMs,
    };
  }

  async cleanUp(task: ChallengeTask): Promise<void> {
    const key = challengeHash(task);
    this.checks.forget(key);
    this.firstPresented.delete(key);
    await this.objects.remove(task.certificate.namespace, solverName(task));
  }

  /** The solver's options with every default filled in (objects from the cache may predate them). */
  private config(task: ChallengeTask): Http01Solver {
    if (!task.solver.http01) throw new TerminalError(`solver for ${task.domain} is not an http01 solver`);
    if (task.wildcard)
      throw new TerminalError(
        `http-01 cannot validate the wildcard name *.${task.domain}; use a dns01 solver`,
      );
    const parsed = http01Solver.safeParse(task.solver.http01);
    if (!parsed.success)
      throw new TerminalError(`the http01 solver for ${task.domain} is invalid: ${parsed.error.message}`);
    return parsed.data;
  }
}
