// Takes down published challenge responses from what status recorded when they were published,
// never asking the CA: it works while the CA is unreachable, after the account was re-registered,
// and (for http-01, and for dns-01 while the issuer's DNS credentials remain) when the issuer is
// gone. Its own field manager holds the finalizer acme6.io/challenge-cleanup while any response is
// recorded, so a deleted Certificate stays until cleanup succeeded or a person removes the finalizer.
import { ApiException } from '@kubernetes/client-node';
import type { Certificate, PresentedChallenge } from '../../api/certificate.ts';
import type { AnyIssuer } from '../../api/issuer.ts';
import type { EventRecorder } from '../../kube/events.ts';
import { refOf } from '../../kube/object-ref.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Result } from '../../runtime/controller.ts';
import { parseKey } from '../../runtime/keys.ts';
import { issuerSecretNamespace } from './acme-clients.ts';
import {
  cleanUpTask,
  describePresented,
  holdsFinalizer,
  presentedKey,
  staleChallenges,
  supersededChallenges,
  type SolverLookup,
} from './challenge-cleanup-plan.ts';
import type { ChallengeSolver } from './challenge-solver.ts';
import { statusTime } from './issuance-status.ts';

/** Field manager of status.presentedChallenges and of this component's hold on the finalizer. */
export const CLEANUP_FIELD_MANAGER = 'acme6-challenge-cleanup';
/** The finalizer (shared with the issuance, each holding it under its own field manager). */
export const CLEANUP_FINALIZER = 'acme6.io/challenge-cleanup';
/** Warning reason while a recorded response cannot be taken down. */
export const CLEANUP_PENDING_REASON = 'CleanUpPending';

const MAX_MESSAGE = 4000;

/** What cleanup needs; every side effect is behind one of these. */
export interface ChallengeCleanupDeps {
  getCertificate(name: string, namespace: string): Certificate | undefined;
  /** Straight from the apiserver: the list is rewritten whole, on the version it was read from. */
  readCertificate(name: string, namespace: string): Promise<Certificate | undefined>;
  getIssuer(kind: string, name: string, namespace: string): AnyIssuer | undefined;
  solvers: Partial<Record<'http-01' | 'dns-01', ChallengeSolver>>;
  /** Applies status.presentedChallenges, failing with 409 if the object moved past `resourceVersion`. */
  writeRecords(
    certificate: Certificate,
    records: PresentedChallenge[],
    resourceVersion: string,
  ): Promise<string | undefined | void>;
  /** Holds (true) or releases (false) this component's share of the finalizer. */
  setFinalizer(certificate: Certificate, held: boolean): Promise<void>;
  recorder: EventRecorder;
  clock: Clock;
  clusterResourceNamespace: string;
}

/** Thrown so the controller retries with its per-key exponential backoff. */
/** Whether the apiserver's object shows the issuance what the cached one did (spec, order, revision). */
function sameIssuanceState(cached: Certificate, fresh: Certificate): boolean {
  return (
    cached.metadata.generation === fresh.metadata.generation &&
    cached.status?.acme?.orderURL === fresh.status?.acme?.orderURL &&
    cached.status?.revision === fresh.status?.revision
  );
}

export class CleanUpPendingError extends Error {}

type Stored = Certificate & { metadata: { name: string; namespace: string; uid: string } };

/** Records responses before they are published, and takes them down once their order is over. */
export class ChallengeCleanup {
  private readonly deps: ChallengeCleanupDeps;

  constructor(deps: ChallengeCleanupDeps) {
    this.deps = deps;
  }

  /**
   * Records a response about to be published: the finalizer first, then the status entry, so no
   * response ever exists that status does not name.
   */
  /**
   * Records a response before it is published. Returns the Certificate's new resourceVersion when it
   * wrote, so the issuance can make its own write of this pass on top of it: allowed only because
   * the fresh object showed the issuance's state as the cache did (else: a 409, decide again).
   */
  async record(certificate: Stored, entry: PresentedChallenge): Promise<string | undefined> {
    const key = presentedKey(entry);
    const known = (c: Certificate | undefined) =>
      (c?.status?.presentedChallenges ?? []).some((e) => presentedKey(e) === key);
    if (known(certificate)) return undefined;
    await this.deps.setFinalizer(certificate, true);
    const fresh = await this.deps.readCertificate(certificate.metadata.name, certificate.metadata.namespace);
    if (!fresh?.metadata.resourceVersion) throw new Error(`Certificate ${certificate.metadata.name} is gone`);
    if (known(fresh)) return undefined;
    if (!sameIssuanceState(certificate, fresh)) {
      throw new ApiException(409, 'the cached Certificate is behind the apiserver', {}, {});
    }
    const records = [...(fresh.status?.presentedChallenges ?? []), entry];
    return (await this.deps.writeRecords(fresh, records, fresh.metadata.resourceVersion)) ?? undefined;
  }

  async reconcile(key: string): Promise<Result> {
    const { name, namespace = '' } = parseKey(key);
    const cached = this.deps.getCertificate(name, namespace);
    if (!cached?.metadata.uid) return {};
    const certificate = cached as Stored;
    const stale = staleChallenges(certificate);
    const superseded = supersededChallenges(certificate);
    if (stale.length === 0 && superseded.length === 0) {
      const recorded = certificate.status?.presentedChallenges ?? [];
      const metadata = certificate.metadata as Record<string, unknown>;
      // Not while an order is in flight: record() may have just taken the finalizer for a response
      // whose status entry this cached version does not show yet.
      const idle = certificate.metadata.deletionTimestamp || !certificate.status?.acme?.orderURL;
      if (idle && recorded.length === 0 && holdsFinalizer(metadata, CLEANUP_FIELD_MANAGER, CLEANUP_FINALIZER))
        await this.deps.setFinalizer(certificate, false);
      return {};
    }
    const removed = new Set(superseded.map(presentedKey));
    const problems: string[] = [];
    for (const entry of stale) {
      const problem = await this.takeDown(certificate, entry);
      if (problem) problems.push(`${describePresented(entry)}: ${problem}`);
      else removed.add(presentedKey(entry));
    }
    if (removed.size > 0) {
      const fresh = await this.deps.readCertificate(name, namespace);
      if (fresh?.metadata.resourceVersion) {
        const left = (fresh.status?.presentedChallenges ?? []).filter((e) => !removed.has(presentedKey(e)));
        await this.deps.writeRecords(fresh, left, fresh.metadata.resourceVersion);
      }
    }
    if (problems.length > 0) {
      const message =
        `could not remove ${problems.join('; ')}`.slice(0, MAX_MESSAGE) +
        `; retrying with backoff (since ${statusTime(this.deps.clock.now())}); the finalizer ` +
        `${CLEANUP_FINALIZER} holds the Certificate until this succeeds or a person removes it`;
      this.deps.recorder.warning(refOf(certificate), CLEANUP_PENDING_REASON, message);
      throw new CleanUpPendingError(message);
    }
    return {};
  }

  /** Takes one response down; returns what went wrong, if anything. */
  private async takeDown(certificate: Stored, entry: PresentedChallenge): Promise<string | undefined> {
    const solver = this.deps.solvers[entry.type];
    if (!solver) return `${entry.type} is not enabled in this controller`;
    const { name, namespace, uid, annotations } = certificate.metadata;
    const secretNamespace = issuerSecretNamespace(
      entry.issuerKind,
      namespace,
      this.deps.clusterResourceNamespace,
    );
    const task = cleanUpTask(
      entry,
      { name, namespace, uid, ...(annotations ? { annotations } : {}) },
      secretNamespace,
      this.solverOf(entry, namespace),
    );
    if ('blocked' in task) return task.blocked;
    try {
      await solver.cleanUp(task);
      return undefined;
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }

  private solverOf(entry: PresentedChallenge, namespace: string): SolverLookup {
    const issuer = this.deps.getIssuer(entry.issuerKind, entry.issuerName, namespace);
    if (!issuer) return { kind: 'gone', why: `${entry.issuerKind} ${entry.issuerName} does not exist` };
    const solver = issuer.spec.acme.solvers[entry.solverIndex];
    if (!solver)
      return {
        kind: 'gone',
        why: `${entry.issuerKind} ${entry.issuerName} has no solver ${entry.solverIndex}`,
      };
    return { kind: 'found', solver };
  }
}
