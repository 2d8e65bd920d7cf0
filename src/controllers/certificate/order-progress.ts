// Drives an ACME order in flight one step per reconcile, never waiting inside a worker: publish
// and check each challenge, answer it once the CA can see it, finalize with the next key, then
// write the TLS Secret. Where it must wait, it returns how long to wait.
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate, ChallengeStatus, PresentedChallenge } from '../../api/certificate.ts';
import { boundedText } from '../../api/bounded-text.ts';
import { LABEL_CERTIFICATE_NAME } from '../../api/group.ts';
import type { AnyIssuer } from '../../api/issuer.ts';
import { keyMatchesCertificate, readCertificate, readCertificateChain } from '../../acme/certificate-info.ts';
import { createCsr } from '../../acme/csr.ts';
import type { AcmeAuthorization, AcmeOrder, AcmePort } from '../../acme/port.ts';
import type { MutableSecretStore } from '../../kube/secrets.ts';
import { secretValue } from '../../kube/secrets.ts';
import { presentedEntry } from './challenge-cleanup-plan.ts';
import type { ChallengeSolver, ChallengeTask } from './challenge-solver.ts';
import { mayHaveMoved, pollDelayMs, type KnownOrder, type KnownOrders } from './known-orders.ts';
import { statusTime } from './issuance-status.ts';
import { ensureNextKey, isNextKeySecret, nextKeySecretName, readNextKey, type KeyOwner } from './next-key.ts';
import type { SolverChoice } from './solver-selection.ts';
import { buildTlsSecret } from './tls-secret.ts';

/** A problem that ends this issuance attempt (it is cleaned up and retried after the backoff). */
export class IssuanceFailure extends Error {}

/** What one step of an order produced. */
export type StepOutcome =
  | {
      kind: 'wait';
      afterMs: number;
      order: AcmeOrder;
      challenges?: ChallengeStatus[];
      /** Challenges held back by a failing self-check, as `name: detail`, before the CA is asked. */
      failingChecks?: string[];
    }
  | { kind: 'issued'; notAfter: Date; revision: number };

/** What the order steps need, set up by the issuance reconciler. */
export interface OrderContext {
  certificate: Certificate & { metadata: { name: string; namespace: string; uid: string } };
  issuer: AnyIssuer;
  secretNamespace: string;
  acme: AcmePort;
  choices: readonly SolverChoice[];
  solvers: Partial<Record<'http-01' | 'dns-01', ChallengeSolver>>;
  secrets: MutableSecretStore;
  revision: number;
  /** The TLS Secret as it is now (for rotationPolicy Never and for the update). */
  existingSecret: V1Secret | undefined;
  now: Date;
  /** When this order was placed (the Issuing condition's transition), for giving up on propagation. */
  orderStartedAt: Date;
  /** Records a response in status before it is published, so cleanup never needs the CA. */
  recordPresented?: (entry: PresentedChallenge) => Promise<void>;
  /**
   * When this controller first published each challenge (by challenge URL): the propagation timeout
   * counts from there, so an order placed by a leader that died before publishing is not given up
   * the moment its successor first publishes the record.
   */
  firstPublished?: Map<string, number>;
  /** What this process last learnt of its orders: a step asks the CA only what may have changed. */
  knownOrders?: KnownOrders;
}

const POLL_MS = 1000;

const displayName = (authz: AcmeAuthorization): string =>
  authz.wildcard ? `*.${authz.identifier.value}` : authz.identifier.value;

function owner(ctx: OrderContext): KeyOwner {
  const { name, namespace, uid } = ctx.certificate.metadata;
  return { name, namespace, uid };
}

/** The challenge task for an authorization, or undefined if nothing of ours can solve it. */
async function taskFor(ctx: OrderContext, authz: AcmeAuthorization) {
  const name = displayName(authz);
  const choice = ctx.choices.find((c) => c.dnsName === name);
  if (!choice)
    throw new IssuanceFailure(
      `the order has an authorization for ${name}, which the Certificate does not ask for`,
    );
  const challenge = authz.challenges.find((c) => c.type === choice.type);
  if (!challenge?.token) throw new IssuanceFailure(`the CA offers no ${choice.type} challenge for ${name}`);
  const solver = ctx.solvers[choice.type];
  if (!solver)
    throw new IssuanceFailure(
      `${choice.type} is not supported by this version of acme6 (needed for ${name})`,
    );
  const task: ChallengeTask = {
    solver: choice.solver,
    secretNamespace: ctx.secretNamespace,
    certificate: {
      ...owner(ctx),
      ...(ctx.certificate.metadata.annotations ? { annotations: ctx.certificate.metadata.annotations } : {}),
    },
    domain: authz.identifier.value,
    wildcard: authz.wildcard,
    token: challenge.token,
    value: await ctx.acme.challengeValue(challenge),
  };
  return { name, choice, challenge, solver, task };
}

// Every so many polls of a pending order whose challenges were answered, its authorizations are
// fetched again: a CA that left the order pending with a failed authorization is still noticed.
const AUTHZ_RECHECK_POLLS = 5;

/**
 * The order's authorizations: those this process has seen are taken as seen while only the order
 * can tell their progress (unanswered ones cannot move; answered ones show in the order's state);
 * the others are fetched.
 */
async function authorizationsOf(
  ctx: OrderContext,
  order: AcmeOrder,
  known: KnownOrder | undefined,
): Promise<AcmeAuthorization[]> {
  const recheck = known !== undefined && known.polls > 0 && known.polls % AUTHZ_RECHECK_POLLS === 0;
  if (!known || recheck) {
    const fetched = await ctx.acme.getAuthorizations(order);
    known?.authorizations.clear();
    for (const authz of fetched) known?.authorizations.set(authz.url, authz);
    return fetched;
  }
  const missing = order.authorizations.filter((url) => !known.authorizations.has(url));
  if (missing.length > 0) {
    const fetched = await ctx.acme.getAuthorizations({ ...order, authorizations: missing });
    for (const authz of fetched) known.authorizations.set(authz.url, authz);
  }
  return order.authorizations.map((url) => known.authorizations.get(url)!);
}

/** Publishes, checks and answers the challenges of a pending order. */
async function solvePending(
  ctx: OrderContext,
  order: AcmeOrder,
  known: KnownOrder | undefined,
): Promise<StepOutcome> {
  const challenges: ChallengeStatus[] = [];
  const failingChecks: string[] = [];
  let waitMs = Number.POSITIVE_INFINITY;
  for (const authz of await authorizationsOf(ctx, order, known)) {
    const { name, choice, challenge, solver, task } = await taskFor(ctx, authz);
    const entry: ChallengeStatus = {
      dnsName: name,
      wildcard: authz.wildcard,
      type: choice.type,
      state: challenge.status,
      authorizationURL: authz.url,
      challengeURL: challenge.url,
    };
    challenges.push(entry);
    if (authz.status === 'valid') {
      entry.state = 'valid';
      continue;
    }
    if (authz.status !== 'pending' || challenge.status === 'invalid') {
      const why = challenge.error?.detail ?? `authorization is ${authz.status}`;
      throw new IssuanceFailure(`${choice.type} challenge for ${name} failed: ${why}`);
    }
    if (challenge.status === 'pending') {
      const { issuerRef } = ctx.certificate.spec;
      await ctx.recordPresented?.(presentedEntry(order.url, issuerRef, choice, task, statusTime(ctx.now)));
      const result = await solver.present(task);
      entry.selfCheck = result.detail;
      const publishedAt = ctx.firstPublished?.get(challenge.url) ?? ctx.now.getTime();
      ctx.firstPublished?.set(challenge.url, publishedAt);
      const waitingSince = Math.max(ctx.orderStartedAt.getTime(), publishedAt);
      if (result.ready) {
        ctx.firstPublished?.delete(challenge.url);
        const answered = await ctx.acme.answerChallenge(challenge);
        entry.state = 'processing';
        // Answered: from now on the order says how it went (see known-orders.ts).
        known?.authorizations.set(authz.url, {
          ...authz,
          challenges: authz.challenges.map((c) =>
            c.url === challenge.url
              ? { ...c, status: answered.status === 'pending' ? 'processing' : answered.status }
              : c,
          ),
        });
        if (known) known.polls = 0;
        waitMs = Math.min(waitMs, known ? pollDelayMs(0) : POLL_MS);
      } else if (ctx.now.getTime() - waitingSince > result.giveUpAfterMs) {
        ctx.firstPublished?.delete(challenge.url);
        const waited = Math.round((ctx.now.getTime() - waitingSince) / 1000);
        throw new IssuanceFailure(
          `${choice.type} challenge for ${name} not visible after ${waited}s: ${result.detail}`,
        );
      } else {
        if (result.failing) failingChecks.push(`${choice.type} self-check for ${name}: ${result.detail}`);
        waitMs = Math.min(waitMs, result.recheckAfterMs);
      }
    } else {
      const retryAfter = authz.retryAfter ?? order.retryAfter;
      const retryAfterMs = retryAfter ? retryAfter.getTime() - ctx.now.getTime() : 0;
      const pollMs = known ? pollDelayMs(known.polls) : POLL_MS;
      waitMs = Math.min(waitMs, Math.max(pollMs, retryAfterMs));
    }
  }
  return {
    kind: 'wait',
    afterMs: Number.isFinite(waitMs) ? waitMs : POLL_MS,
    order,
    challenges,
    ...(failingChecks.length > 0 ? { failingChecks } : {}),
  };
}

/**
 * The TLS Secret to write must not be some Certificate's next key (a Certificate `foo-next-key`
 * whose secretName is `foo-next-key` while `foo` renews): using its key would take another
 * Certificate's private key, and writing it would destroy that issuance's key.
 */
function refuseAnotherNextKey(ctx: OrderContext): void {
  if (!isNextKeySecret(ctx.existingSecret)) return;
  const other = ctx.existingSecret?.metadata?.labels?.[LABEL_CERTIFICATE_NAME];
  throw new IssuanceFailure(
    `Secret ${ctx.certificate.spec.secretName} holds the private key of an issuance of Certificate ${other}; choose another secretName`,
  );
}

/**
 * A certificate for other names than the Certificate asks for is the CA's error, not something to
 * serve: writing it would replace a working Secret with one that fails every TLS client.
 */
function refuseOtherNames(wanted: readonly string[], issued: readonly string[]): void {
  const key = (names: readonly string[]): string =>
    [...new Set(names.map((n) => n.toLowerCase()))].sort().join(', ');
  if (key(wanted) === key(issued)) return;
  throw new IssuanceFailure(
    `the CA issued a certificate for ${boundedText(key(issued) || 'no DNS names', 512)}, not for ${key(wanted)}; it was not stored`,
  );
}

/** Finalizes a ready order with a CSR for the next key. */
async function finalize(ctx: OrderContext, order: AcmeOrder): Promise<StepOutcome> {
  const { spec } = ctx.certificate;
  refuseAnotherNextKey(ctx);
  const current = secretValue(ctx.existingSecret, 'tls.key');
  const reuse = spec.privateKey.rotationPolicy === 'Never' ? current : undefined;
  const keyPem = await ensureNextKey(ctx.secrets, owner(ctx), spec.privateKey, reuse);
  const finalized = await ctx.acme.finalizeOrder(order, await createCsr(keyPem, spec.dnsNames));
  const known = ctx.knownOrders?.rememberOrder(finalized);
  // Issued at once: no poll of the order is needed to learn it.
  if (finalized.status === 'valid' && finalized.certificate) return store(ctx, finalized);
  return { kind: 'wait', afterMs: known ? pollDelayMs(known.polls) : POLL_MS, order: finalized };
}

/** Downloads the certificate and writes the TLS Secret in one create or update. */
async function store(ctx: OrderContext, order: AcmeOrder): Promise<StepOutcome> {
  const { certificate } = ctx;
  const chainPem = await ctx.acme.downloadCertificate(order, ctx.issuer.spec.acme.preferredChain);
  const nextKeyName = nextKeySecretName(certificate.metadata.name);
  const keyPem = await readNextKey(ctx.secrets, owner(ctx));
  if (!keyPem || !keyMatchesCertificate(keyPem, chainPem)) {
    throw new IssuanceFailure(
      `the private key for the issued certificate is gone (Secret ${nextKeyName}); a new order is needed`,
    );
  }
  refuseAnotherNextKey(ctx);
  const leaf = readCertificate(chainPem);
  refuseOtherNames(certificate.spec.dnsNames, leaf.dnsNames);
  // Written already (a restart between the Secret and the status write): nothing left to do.
  const current = secretValue(ctx.existingSecret, 'tls.crt');
  if (current && safeSerial(current) === leaf.serialNumber) {
    return { kind: 'issued', notAfter: leaf.notAfter, revision: ctx.revision };
  }
  const top = readCertificateChain(chainPem).at(-1);
  const selfSigned = top && top.isCA && top.subjectCommonName === top.issuerCommonName;
  const secret = buildTlsSecret(
    { name: certificate.metadata.name, namespace: certificate.metadata.namespace, spec: certificate.spec },
    {
      chainPem,
      keyPem,
      ...(selfSigned ? { caPem: top.pem } : {}),
      dnsNames: leaf.dnsNames,
      notAfter: leaf.notAfter,
      revision: ctx.revision,
    },
    ctx.existingSecret,
  );
  // The old Secret keeps serving until this single write replaces it.
  await (ctx.existingSecret ? ctx.secrets.replace(secret) : ctx.secrets.create(secret));
  return { kind: 'issued', notAfter: leaf.notAfter, revision: ctx.revision };
}

function safeSerial(certPem: string): string | undefined {
  try {
    return readCertificate(certPem).serialNumber;
  } catch {
    return undefined;
  }
}

/** One step of the order at `orderURL`. */
export async function stepOrder(ctx: OrderContext, orderURL: string): Promise<StepOutcome> {
  const seen = ctx.knownOrders?.get(orderURL, ctx.now);
  // Another leader may have answered challenges since this process last saw the order.
  const answeredElsewhere = (ctx.certificate.status?.acme?.challenges ?? []).some(
    (c) => c.state !== 'pending',
  );
  const known =
    seen && !answeredElsewhere && !mayHaveMoved(seen)
      ? seen
      : ctx.knownOrders?.rememberOrder(await ctx.acme.getOrder(orderURL));
  const order = known?.order ?? (await ctx.acme.getOrder(orderURL));
  switch (order.status) {
    case 'pending':
      return solvePending(ctx, order, known);
    case 'ready':
      return finalize(ctx, order);
    case 'processing':
      // The CA itself considers the order invalid after `expires` (RFC 8555 §7.1.3): one still
      // processing then will never be issued, and polling it would wait for ever.
      if (order.expires && ctx.now.getTime() > order.expires.getTime()) {
        throw new IssuanceFailure(
          `the CA kept the order processing past its expiry (${order.expires.toISOString()}); a new order is needed`,
        );
      }
      return {
        kind: 'wait',
        afterMs: known ? Math.max(pollDelayMs(known.polls), retryAfterMs(ctx, order)) : POLL_MS,
        order,
      };
    case 'valid':
      return store(ctx, order);
    case 'invalid':
      // Said as the failed challenge, when one failed: the order's own error is often missing.
      await failIfChallengeFailed(ctx, order);
      throw new IssuanceFailure(
        `the CA marked the order invalid: ${order.error?.detail ?? 'no reason given'}`,
      );
  }
}

function retryAfterMs(ctx: OrderContext, order: AcmeOrder): number {
  return order.retryAfter ? order.retryAfter.getTime() - ctx.now.getTime() : 0;
}

async function failIfChallengeFailed(ctx: OrderContext, order: AcmeOrder): Promise<void> {
  for (const authz of await ctx.acme.getAuthorizations(order)) {
    const choice = ctx.choices.find((c) => c.dnsName === displayName(authz));
    const challenge = authz.challenges.find((c) => c.type === choice?.type);
    if (authz.status === 'invalid' || challenge?.status === 'invalid') {
      const why = challenge?.error?.detail ?? `authorization is ${authz.status}`;
      throw new IssuanceFailure(
        `${choice?.type ?? 'the'} challenge for ${displayName(authz)} failed: ${why}`,
      );
    }
  }
}

/**
 * The order's authorizations for taking their challenges down: as this process last saw them if it
 * saw them all (their tokens never change), else from the CA.
 */
async function authorizationsForCleanUp(ctx: OrderContext, orderURL: string): Promise<AcmeAuthorization[]> {
  const known = ctx.knownOrders?.get(orderURL, ctx.now);
  if (known && known.order.authorizations.every((url) => known.authorizations.has(url))) {
    return known.order.authorizations.map((url) => known.authorizations.get(url)!);
  }
  return ctx.acme.getAuthorizations(await ctx.acme.getOrder(orderURL));
}

/** Takes down every challenge response of the order; returns what could not be removed. */
export async function cleanUpChallenges(ctx: OrderContext, orderURL: string): Promise<string[]> {
  const problems: string[] = [];
  try {
    const authorizations = await authorizationsForCleanUp(ctx, orderURL);
    // The order is over (issued, failed, abandoned or deleted): nothing more to remember of it.
    ctx.knownOrders?.forget(orderURL);
    for (const authz of authorizations) {
      try {
        const { solver, task } = await taskFor(ctx, authz);
        await solver.cleanUp(task);
      } catch (err) {
        problems.push(`${displayName(authz)}: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    problems.push((err as Error).message);
  }
  return problems;
}
