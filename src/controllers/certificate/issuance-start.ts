// Starting an issuance: no order is in flight, so decide whether to issue (a manual request, or
// the policies, held back by the failure backoff unless the spec changed), then place one ACME
// order and record its URL in status before anything else happens.
import type { V1Secret } from '@kubernetes/client-node';
import { ariCertificateId } from '../../acme/ari.ts';
import { isAcmeProblem } from '../../acme/errors.ts';
import type { AcmeOrder, AcmePort, NewOrder } from '../../acme/port.ts';
import { refOf } from '../../kube/object-ref.ts';
import { secretValue } from '../../kube/secrets.ts';
import type { Result } from '../../runtime/controller.ts';
import { objectKey } from '../../runtime/keys.ts';
import type { AcmeClients } from './acme-clients.ts';
import {
  issuerOf,
  knownOrdersOf,
  solversFor,
  writeStatusOnLatest,
  type IssuanceDeps,
  type StoredCertificate,
} from './issuance-context.ts';
import {
  manualTrigger,
  ownedStatus,
  settledStatus,
  statusTime,
  withIssuing,
  type IssuanceStatus,
} from './issuance-status.ts';
import { placeWithinSlots, type Placement } from './issuance-slot-gate.ts';
import { checkNextKeyName } from './next-key.ts';
import { orderFingerprint } from './order-fingerprint.ts';
import { evaluate, issuancePolicies, type Verdict } from './policies.ts';
import { readSecretFacts } from './secret-facts.ts';

/** No order in flight: issue if a policy says so and no backoff holds us back. */
export async function maybeStartOrder(
  deps: IssuanceDeps,
  certificate: StoredCertificate,
  owned: IssuanceStatus,
  secret?: V1Secret,
  secretFromCache = false,
): Promise<Result> {
  const now = deps.clock.now();
  const renewalTime = certificate.status?.renewalTime ? new Date(certificate.status.renewalTime) : undefined;
  // A renewal a person asked for wins over the policies and the failure backoff.
  const manual = manualTrigger(owned);
  const verdictOn = (s: V1Secret | undefined): Verdict | undefined =>
    manual ??
    evaluate(issuancePolicies, {
      spec: certificate.spec,
      secret: readSecretFacts(s),
      now,
      ...(renewalTime ? { renewalTime } : {}),
    });
  let verdict = verdictOn(secret);
  if (verdict && secretFromCache) {
    // The cache may lag a Secret written a moment ago (our own last issuance): an order is placed
    // only on what the apiserver holds now.
    secret = await deps.secrets.get(certificate.metadata.namespace, certificate.spec.secretName);
    verdict = verdictOn(secret);
  }
  if (!verdict) {
    deps.slots?.release(objectKey(certificate)); // an order that finished before the cache showed it
    const settled = settledStatus(owned);
    if (settled !== owned) await deps.writeStatus(certificate, settled);
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
    deps.slots?.release(objectKey(certificate)); // an order that failed before the cache showed it
    return { requeueAfter: backoffUntil.getTime() - now.getTime() };
  }
  return placeWithinSlots(deps, certificate, owned, verdict, () =>
    startOrder(deps, certificate, verdict, secret),
  );
}

async function startOrder(
  deps: IssuanceDeps,
  certificate: StoredCertificate,
  verdict: Verdict,
  secret?: V1Secret,
): Promise<Placement> {
  const now = deps.clock.now();
  const { issuer, secretNamespace } = issuerOf(deps, certificate);
  const { choices, problems } = solversFor(issuer, certificate);
  if (problems.length > 0) {
    // Configuration only a person can fix: say so once, and do not retry until something changes.
    const message = problems.map((p) => p.message).join('; ');
    // Said already? Asked of the apiserver, not the cache, so a lagging cache cannot repeat it.
    const fresh = (await deps.readCertificate(certificate.metadata.name, certificate.metadata.namespace)) as
      StoredCertificate | undefined;
    if (!fresh) return NOTHING_PLACED;
    const freshOwned = ownedStatus(fresh.status);
    const said = freshOwned.conditions?.[0];
    const generation = fresh.metadata.generation;
    if (said?.reason === 'NoSolver' && said.message === message && said.observedGeneration === generation)
      return NOTHING_PLACED;
    await deps.writeStatus(fresh, withIssuing(freshOwned, fresh, 'False', 'NoSolver', message, now));
    deps.recorder.warning(refOf(certificate), 'BadConfig', message);
    return NOTHING_PLACED;
  }
  // An order whose key could not be stored would be wasted: say so before placing it.
  await checkNextKeyName(deps.secrets, certificate.metadata);
  // Held before the order exists, so a deletion at any later moment still cleans up. It changes
  // the object's version, which is why the fresh read below comes after it.
  await deps.setFinalizer(certificate, true);
  // The cache may not show an order we recorded a moment ago: ask the apiserver before ordering,
  // and record the order on that fresh object so the write does not fail on a stale version.
  const fresh = (await deps.readCertificate(certificate.metadata.name, certificate.metadata.namespace)) as
    StoredCertificate | undefined;
  if (
    !fresh ||
    fresh.status?.acme?.orderURL ||
    fresh.metadata.generation !== certificate.metadata.generation
  ) {
    // An order the cache does not show yet still holds its slot.
    return { result: { requeueAfter: 1000 }, recorded: Boolean(fresh?.status?.acme?.orderURL) };
  }
  const revision = (fresh.status?.revision ?? 0) + 1;
  const fingerprint = orderFingerprint(certificate, issuer, choices);
  const placed = unrecordedOrdersOf(deps);
  const uid = certificate.metadata.uid;
  const generation = certificate.metadata.generation;
  const kept = placed.get(uid);
  placed.delete(uid);
  let order: AcmeOrder;
  if (
    kept &&
    kept.generation === generation &&
    kept.revision === revision &&
    kept.fingerprint === fingerprint
  ) {
    order = kept.order;
  } else {
    const acme = await deps.acmeClients.forIssuer(issuer, secretNamespace);
    const replaces = await replacedCertificateId(acme, verdict, secret);
    order = await createOrder(
      acme,
      {
        identifiers: certificate.spec.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...(issuer.spec.acme.profile ? { profile: issuer.spec.acme.profile } : {}),
      },
      replaces,
    );
    // Its first step needs not ask for the order again.
    knownOrdersOf(deps).rememberOrder(order);
  }
  const recorded = (current: StoredCertificate): IssuanceStatus => ({
    ...withIssuing(ownedStatus(current.status), current, 'True', verdict.reason, verdict.message, now),
    acme: {
      orderURL: order.url,
      orderCreatedTime: statusTime(now),
      orderState: order.status,
      certificateRevision: revision,
      orderFingerprint: fingerprint,
      challenges: [],
    },
  });
  // An order placed at the CA must be recorded: a conflict with another writer is written again on
  // the newer version while it still has no order (else it would be placed twice). Any other
  // failure (the apiserver away) keeps the order for this Certificate's next attempt.
  try {
    await writeStatusOnLatest(
      deps,
      fresh,
      recorded,
      (latest) => !latest.status?.acme?.orderURL && latest.metadata.generation === fresh.metadata.generation,
    );
  } catch (err) {
    placed.set(uid, { generation, revision, fingerprint, order });
    throw err;
  }
  const why = `${verdict.reason}: ${verdict.message}`;
  deps.recorder.normal(
    refOf(certificate),
    'OrderCreated',
    `created ACME order ${order.url} for revision ${revision} (${why})`,
  );
  return { result: { requeueAfter: 0 }, recorded: true };
}

const NOTHING_PLACED: Placement = { result: {}, recorded: false };

/** An order the CA created whose record in status failed, kept for the same attempt's retry. */
interface UnrecordedOrder {
  generation: number | undefined;
  revision: number;
  fingerprint: string;
  order: AcmeOrder;
}

// Per controller (its deps), in memory: a process that dies before recording an order loses it,
// as it would lose any reply; one that merely failed to write takes the order up again.
const unrecordedOrders = new WeakMap<IssuanceDeps, Map<string, UnrecordedOrder>>();

function unrecordedOrdersOf(deps: IssuanceDeps): Map<string, UnrecordedOrder> {
  let orders = unrecordedOrders.get(deps);
  if (!orders) {
    orders = new Map();
    unrecordedOrders.set(deps, orders);
  }
  return orders;
}

/**
 * Places the order, naming the certificate it replaces. A CA that says that certificate was
 * replaced already (RFC 9773 alreadyReplaced: an earlier order of ours, or a renewal elsewhere)
 * or refuses the name as malformed (a certificate it did not issue: the Secret's came from another
 * CA) gets the order once more without `replaces`, which it has no reason to refuse.
 */
async function createOrder(
  acme: AcmePort,
  request: NewOrder,
  replaces: string | undefined,
): Promise<AcmeOrder> {
  if (!replaces) return acme.createOrder(request);
  try {
    return await acme.createOrder({ ...request, replaces });
  } catch (err) {
    if (!isAcmeProblem(err, 'alreadyReplaced') && !isAcmeProblem(err, 'malformed')) throw err;
    return acme.createOrder(request);
  }
}

/** RFC 9773: a renewal names the certificate it replaces, if the CA offers ARI. */
async function replacedCertificateId(
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
