// The issuance of a Certificate: decides whether to issue (the policies), places one ACME order per
// revision and records its URL in status before anything else happens, drives it step by step,
// and on failure cleans up and backs off. It owns the Issuing condition, status.acme's order
// fields, revision and the failure counters.
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/certificate.ts';
import { ConditionType } from '../../api/conditions.ts';
import { ANNOTATION_CHALLENGE_TYPE } from '../../api/group.ts';
import type { AnyIssuer } from '../../api/issuer.ts';
import { ariCertificateId } from '../../acme/ari.ts';
import { AcmeError } from '../../acme/errors.ts';
import type { EventRecorder } from '../../kube/events.ts';
import { isConflict } from '../../kube/errors.ts';
import { refOf } from '../../kube/object-ref.ts';
import { secretValue, type MutableSecretStore } from '../../kube/secrets.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Result } from '../../runtime/controller.ts';
import { isTerminalError } from '../../runtime/errors.ts';
import { parseKey } from '../../runtime/keys.ts';
import { IssuerNotReadyError, issuerSecretNamespace, type AcmeClients } from './acme-clients.ts';
import type { ChallengeCleanup } from './challenge-cleanup.ts';
import type { ChallengeSolver } from './challenge-solver.ts';
import { failureDelayMs, type FailureBackoff } from './failure-backoff.ts';
import {
  FAILED_REASON,
  manualTrigger,
  ownedStatus,
  settledStatus,
  statusTime,
  withIssuing,
  withoutIssuing,
  type IssuanceStatus,
} from './issuance-status.ts';
import { dropNextKey } from './next-key.ts';
import { cleanUpChallenges, IssuanceFailure, stepOrder, type OrderContext } from './order-progress.ts';
import { evaluate, issuancePolicies, type Verdict } from './policies.ts';
import { readSecretFacts } from './secret-facts.ts';
import { chooseSolvers } from './solver-selection.ts';
import { secretKeeper } from './duplicate-secret.ts';
import { standAsideForKeeper } from './duplicate-secret-hold.ts';

/** What the issuance needs; every side effect is behind one of these. */
export interface IssuanceDeps {
  getCertificate(name: string, namespace: string): Certificate | undefined;
  /** The cached Certificates of a namespace (to find others naming the same Secret). */
  listCertificates?(namespace: string): Certificate[];
  getIssuer(kind: string, name: string, namespace: string): AnyIssuer | undefined;
  /** Reads a Certificate straight from the apiserver (the cache may lag our own writes). */
  readCertificate(name: string, namespace: string): Promise<Certificate | undefined>;
  secrets: MutableSecretStore;
  acmeClients: AcmeClients;
  solvers: Partial<Record<'http-01' | 'dns-01', ChallengeSolver>>;
  writeStatus(certificate: Certificate, status: IssuanceStatus): Promise<void>;
  /** Holds (true) or releases (false) CHALLENGE_FINALIZER on the Certificate. */
  setFinalizer(certificate: Certificate, held: boolean): Promise<void>;
  recorder: EventRecorder;
  clock: Clock;
  backoff: FailureBackoff;
  clusterResourceNamespace: string;
  /** Records each challenge response in status before it is published (challenge-cleanup.ts). */
  challengeCleanup?: Pick<ChallengeCleanup, 'record'>;
}

type StoredCertificate = Certificate & { metadata: { name: string; namespace: string; uid: string } };

const WAIT_FOR_ISSUER_MS = 5 * 60_000;

/** Held while an order is in flight, so a deleted Certificate still gets its challenge records removed. */
export const CHALLENGE_FINALIZER = 'acme6.io/challenge-cleanup';

const SELF_CHECK_MARK = '; not asking the CA yet: ';

/**
 * The Issuing message names failing self-checks (and so does Ready, which repeats it) while they
 * fail, appended to the reason for issuing, and drops them once they pass.
 */
function withSelfCheckProblems(
  owned: IssuanceStatus,
  certificate: Certificate,
  problems: string[] | undefined,
  now: Date,
): IssuanceStatus {
  const issuing = owned.conditions?.[0];
  if (!issuing) return owned;
  const base = issuing.message.split(SELF_CHECK_MARK)[0]!;
  // Bounded: conditions carry at most 32768 characters.
  const message = problems ? `${base}${SELF_CHECK_MARK}${problems.join('; ')}`.slice(0, 30_000) : base;
  if (message === issuing.message) return owned;
  const status = issuing.status === 'False' ? 'False' : 'True';
  return withIssuing(owned, certificate, status, issuing.reason, message, now);
}

/** Reconciles the issuance of one Certificate key. */
export class IssuanceReconciler {
  private readonly deps: IssuanceDeps;

  constructor(deps: IssuanceDeps) {
    this.deps = deps;
  }

  async reconcile(key: string): Promise<Result> {
    const { name, namespace } = parseKey(key);
    const cached = this.deps.getCertificate(name, namespace ?? '');
    if (!cached?.metadata.uid) return {};
    const certificate = cached as StoredCertificate;
    const secret = await this.deps.secrets.get(certificate.metadata.namespace, certificate.spec.secretName);
    const owned = ownedStatus(certificate.status);
    const held = certificate.metadata.finalizers?.includes(CHALLENGE_FINALIZER) ?? false;
    try {
      if (certificate.metadata.deletionTimestamp) return await this.finalize(certificate, owned, held);
      // DuplicateSecretName: an older Certificate keeps this Secret, so this one places no order.
      const keeper = secretKeeper(
        certificate,
        this.deps.listCertificates?.(certificate.metadata.namespace) ?? [],
      );
      if (keeper) return await standAsideForKeeper(this.deps, certificate, owned, keeper);
      if (owned.acme?.orderURL) return await this.progress(certificate, owned, secret);
      return await this.maybeStart(certificate, owned, secret);
    } catch (err) {
      return this.handleError(certificate, owned, err);
    }
  }

  /** No order in flight: issue if a policy says so and no backoff holds us back. */
  private async maybeStart(
    certificate: StoredCertificate,
    owned: IssuanceStatus,
    secret?: V1Secret,
  ): Promise<Result> {
    const now = this.deps.clock.now();
    const renewalTime = certificate.status?.renewalTime
      ? new Date(certificate.status.renewalTime)
      : undefined;
    // A renewal a person asked for wins over the policies and the failure backoff.
    const manual = manualTrigger(owned);
    const verdict =
      manual ??
      evaluate(issuancePolicies, {
        spec: certificate.spec,
        secret: readSecretFacts(secret),
        now,
        ...(renewalTime ? { renewalTime } : {}),
      });
    if (!verdict) {
      const settled = settledStatus(owned);
      if (settled !== owned) await this.deps.writeStatus(certificate, settled);
      return renewalTime ? { requeueAfter: Math.max(0, renewalTime.getTime() - now.getTime()) } : {};
    }
    const backoffUntil = owned.nextAttemptTime ? new Date(owned.nextAttemptTime) : undefined;
    const issuing = owned.conditions?.[0];
    // A spec change (new generation) resets the backoff, as it may be the fix.
    if (
      !manual &&
      backoffUntil &&
      backoffUntil > now &&
      issuing?.observedGeneration === certificate.metadata.generation
    ) {
      return { requeueAfter: backoffUntil.getTime() - now.getTime() };
    }
    return this.startOrder(certificate, owned, verdict, secret);
  }

  private async startOrder(
    certificate: StoredCertificate,
    owned: IssuanceStatus,
    verdict: Verdict,
    secret?: V1Secret,
  ): Promise<Result> {
    const now = this.deps.clock.now();
    const { issuer, secretNamespace } = this.issuerOf(certificate);
    const { problems } = solversFor(issuer, certificate);
    if (problems.length > 0) {
      // Configuration only a person can fix: say so once, and do not retry until something changes.
      const message = problems.map((p) => p.message).join('; ');
      // Said already? Asked of the apiserver, not the cache, so a lagging cache cannot repeat it.
      const fresh = (await this.deps.readCertificate(
        certificate.metadata.name,
        certificate.metadata.namespace,
      )) as StoredCertificate | undefined;
      if (!fresh) return {};
      const freshOwned = ownedStatus(fresh.status);
      const said = freshOwned.conditions?.[0];
      const generation = fresh.metadata.generation;
      if (said?.reason === 'NoSolver' && said.message === message && said.observedGeneration === generation)
        return {};
      await this.deps.writeStatus(fresh, withIssuing(freshOwned, fresh, 'False', 'NoSolver', message, now));
      this.deps.recorder.warning(refOf(certificate), 'BadConfig', message);
      return {};
    }
    // Held before the order exists, so a deletion at any later moment still cleans up. It changes
    // the object's version, which is why the fresh read below comes after it.
    await this.deps.setFinalizer(certificate, true);
    // The cache may not show an order we recorded a moment ago: ask the apiserver before ordering,
    // and record the order on that fresh object so the write does not fail on a stale version.
    const fresh = (await this.deps.readCertificate(
      certificate.metadata.name,
      certificate.metadata.namespace,
    )) as StoredCertificate | undefined;
    if (
      !fresh ||
      fresh.status?.acme?.orderURL ||
      fresh.metadata.generation !== certificate.metadata.generation
    ) {
      return { requeueAfter: 1000 };
    }
    const acme = await this.deps.acmeClients.forIssuer(issuer, secretNamespace);
    const replaces = await this.replacedCertificateId(acme, verdict, secret);
    const order = await acme.createOrder({
      identifiers: certificate.spec.dnsNames.map((value) => ({ type: 'dns' as const, value })),
      ...(issuer.spec.acme.profile ? { profile: issuer.spec.acme.profile } : {}),
      ...(replaces ? { replaces } : {}),
    });
    const revision = (fresh.status?.revision ?? 0) + 1;
    const next: IssuanceStatus = {
      ...withIssuing(ownedStatus(fresh.status), fresh, 'True', verdict.reason, verdict.message, now),
      acme: {
        orderURL: order.url,
        orderCreatedTime: statusTime(now),
        orderState: order.status,
        certificateRevision: revision,
        challenges: [],
      },
    };
    await this.deps.writeStatus(fresh, next);
    const why = `${verdict.reason}: ${verdict.message}`;
    this.deps.recorder.normal(
      refOf(certificate),
      'OrderCreated',
      `created ACME order ${order.url} for revision ${revision} (${why})`,
    );
    return { requeueAfter: 0 };
  }

  /** RFC 9773: a renewal names the certificate it replaces, if the CA offers ARI. */
  private async replacedCertificateId(
    acme: Awaited<ReturnType<AcmeClients['forIssuer']>>,
    verdict: Verdict,
    secret?: V1Secret,
  ): Promise<string | undefined> {
    const certPem = secretValue(secret, 'tls.crt');
    if (verdict.reason !== 'Renewing' || !certPem) return undefined;
    if (!(await acme.getDirectory()).renewalInfo) return undefined;
    try {
      return ariCertificateId(certPem);
    } catch {
      return undefined; // no AKI: renew without `replaces`
    }
  }

  /** The Certificate is being deleted: take its challenge records down, then let it go. */
  private async finalize(
    certificate: StoredCertificate,
    owned: IssuanceStatus,
    held: boolean,
  ): Promise<Result> {
    if (!held) return {};
    // Best effort, once: a deletion must not wait for ever on an issuer or DNS server that is gone.
    if (owned.acme?.orderURL) {
      let problems: string[];
      try {
        const ctx = await this.orderContext(certificate, undefined, 0);
        problems = await cleanUpChallenges(ctx, owned.acme.orderURL);
      } catch (err) {
        problems = [(err as Error).message];
      }
      for (const problem of problems)
        this.deps.recorder.warning(refOf(certificate), 'CleanUpFailed', problem);
    }
    await this.deps.setFinalizer(certificate, false);
    return {};
  }

  /** An order is in flight: take one step. */
  private async progress(
    certificate: StoredCertificate,
    owned: IssuanceStatus,
    secret?: V1Secret,
  ): Promise<Result> {
    const orderURL = owned.acme!.orderURL!;
    const revision = (certificate.status?.revision ?? 0) + 1;
    const ctx = await this.orderContext(certificate, secret, revision);
    const ordered = new Set((owned.acme?.challenges ?? []).map((c) => c.dnsName));
    const changed = ordered.size > 0 && certificate.spec.dnsNames.some((n) => !ordered.has(n));
    if (owned.acme?.certificateRevision !== revision || changed) {
      // The spec moved on (or the revision did): this order is for something no longer wanted.
      await cleanUpChallenges(ctx, orderURL);
      const { acme: _dropped, ...rest } = owned;
      await this.deps.writeStatus(certificate, rest);
      return { requeueAfter: 0 };
    }
    const outcome = await stepOrder(ctx, orderURL);
    if (outcome.kind === 'wait') {
      const acme = {
        ...owned.acme,
        orderState: outcome.order.status,
        ...(outcome.challenges ? { challenges: outcome.challenges } : {}),
      };
      const next = withSelfCheckProblems({ ...owned, acme }, certificate, outcome.failingChecks, ctx.now);
      if (JSON.stringify(next) !== JSON.stringify(owned)) await this.deps.writeStatus(certificate, next);
      for (const problem of outcome.failingChecks ?? [])
        this.deps.recorder.warning(refOf(certificate), 'SelfCheckFailed', problem);
      return { requeueAfter: outcome.afterMs };
    }
    const leftovers = await cleanUpChallenges(ctx, orderURL);
    for (const problem of leftovers) this.deps.recorder.warning(refOf(certificate), 'CleanUpFailed', problem);
    const {
      failedIssuanceAttempts: _f,
      lastFailureTime: _l,
      nextAttemptTime: _n,
      acme: _a,
      ...rest
    } = withoutIssuing(owned);
    await this.deps.writeStatus(certificate, { ...rest, revision: outcome.revision });
    // Only now that status records the revision may the key's other copy go.
    await dropNextKey(this.deps.secrets, certificate.metadata);
    await this.deps.setFinalizer(certificate, false);
    this.deps.recorder.normal(
      refOf(certificate),
      'Issued',
      `certificate revision ${outcome.revision} written to Secret ${certificate.spec.secretName}, valid until ${outcome.notAfter.toISOString()}`,
    );
    return {};
  }

  private async orderContext(
    certificate: StoredCertificate,
    secret: V1Secret | undefined,
    revision: number,
  ): Promise<OrderContext> {
    const { issuer, secretNamespace } = this.issuerOf(certificate);
    const { choices } = solversFor(issuer, certificate);
    return {
      certificate,
      issuer,
      secretNamespace,
      acme: await this.deps.acmeClients.forIssuer(issuer, secretNamespace),
      choices,
      solvers: this.deps.solvers,
      secrets: this.deps.secrets,
      revision,
      existingSecret: secret,
      now: this.deps.clock.now(),
      orderStartedAt: new Date(certificate.status?.acme?.orderCreatedTime ?? this.deps.clock.now()),
      ...(this.deps.challengeCleanup
        ? { recordPresented: (entry) => this.deps.challengeCleanup!.record(certificate, entry) }
        : {}),
    };
  }

  private issuerOf(certificate: StoredCertificate): { issuer: AnyIssuer; secretNamespace: string } {
    const { kind, name } = certificate.spec.issuerRef;
    const issuer = this.deps.getIssuer(kind, name, certificate.metadata.namespace);
    if (!issuer) throw new IssuerNotReadyError(`${kind} ${name} does not exist`);
    const ready = issuer.status?.conditions?.find((c) => c.type === ConditionType.Ready);
    if (ready?.status !== 'True') {
      throw new IssuerNotReadyError(`${kind} ${name} is not ready${ready ? `: ${ready.message}` : ''}`);
    }
    const secretNamespace = issuerSecretNamespace(
      kind,
      certificate.metadata.namespace,
      this.deps.clusterResourceNamespace,
    );
    return { issuer, secretNamespace };
  }

  /** Sorts an error into wait, retry with backoff, or a failed attempt. */
  private async handleError(
    certificate: StoredCertificate,
    owned: IssuanceStatus,
    err: unknown,
  ): Promise<Result> {
    const now = this.deps.clock.now();
    const message = err instanceof Error ? err.message : String(err);
    if (isConflict(err)) throw err; // decided on a stale cache: the newer object comes with its event
    if (err instanceof IssuerNotReadyError) {
      await this.deps.writeStatus(
        certificate,
        withIssuing(owned, certificate, 'False', 'IssuerNotReady', message, now),
      );
      return { requeueAfter: WAIT_FOR_ISSUER_MS };
    }
    const failed =
      err instanceof IssuanceFailure || isTerminalError(err) || (err instanceof AcmeError && !err.transient);
    if (!failed) {
      // Transient (network, rate limit, DNS timeout): keep the order, show why we wait, retry.
      const reason = owned.conditions?.[0]?.reason ?? 'Issuing';
      const retryAfter = err instanceof AcmeError && err.retryAfter ? statusTime(err.retryAfter) : undefined;
      const acme = retryAfter ? { ...owned.acme, retryAfter } : owned.acme;
      const next = withIssuing(
        { ...owned, ...(acme ? { acme } : {}) },
        certificate,
        'True',
        reason,
        `retrying: ${message}`,
        now,
      );
      await this.deps.writeStatus(certificate, next);
      // Repeats aggregate into one Event with a count, so a retry loop shows as "(xN over ...)".
      this.deps.recorder.warning(refOf(certificate), 'Retrying', message);
      if (err instanceof AcmeError && err.retryAfter)
        return { requeueAfter: Math.max(1000, err.retryAfter.getTime() - now.getTime()) };
      throw err;
    }
    return this.fail(certificate, owned, message);
  }

  /** Ends this attempt: clean up, count it, and schedule the next one after the backoff. */
  private async fail(
    certificate: StoredCertificate,
    owned: IssuanceStatus,
    message: string,
  ): Promise<Result> {
    const now = this.deps.clock.now();
    if (owned.acme?.orderURL) {
      try {
        const ctx = await this.orderContext(certificate, undefined, (certificate.status?.revision ?? 0) + 1);
        for (const problem of await cleanUpChallenges(ctx, owned.acme.orderURL)) {
          this.deps.recorder.warning(refOf(certificate), 'CleanUpFailed', problem);
        }
      } catch (err) {
        this.deps.recorder.warning(refOf(certificate), 'CleanUpFailed', (err as Error).message);
      }
    }
    const failures = (owned.failedIssuanceAttempts ?? 0) + 1;
    const nextAttempt = new Date(now.getTime() + failureDelayMs(failures, this.deps.backoff));
    const text = `${message}; next attempt at ${nextAttempt.toISOString()} (failure ${failures})`;
    const { challenges } = owned.acme ?? {};
    const next: IssuanceStatus = {
      ...withIssuing(owned, certificate, 'False', FAILED_REASON, text, now),
      failedIssuanceAttempts: failures,
      lastFailureTime: statusTime(now),
      nextAttemptTime: statusTime(nextAttempt),
      ...(challenges ? { acme: { challenges } } : {}),
    };
    await this.deps.writeStatus(certificate, next);
    await this.deps.setFinalizer(certificate, false);
    this.deps.recorder.warning(refOf(certificate), 'Failed', text);
    return { requeueAfter: nextAttempt.getTime() - now.getTime() };
  }
}

/** The issuer's solver per name of the Certificate, honouring its preferred challenge type. */
function solversFor(issuer: AnyIssuer, certificate: StoredCertificate): ReturnType<typeof chooseSolvers> {
  const preferred = certificate.metadata.annotations?.[ANNOTATION_CHALLENGE_TYPE];
  return chooseSolvers(
    issuer.spec.acme.solvers,
    certificate.spec.dnsNames,
    certificate.metadata.labels,
    preferred === 'http-01' || preferred === 'dns-01' ? preferred : undefined,
  );
}
