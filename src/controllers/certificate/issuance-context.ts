// What every step of the issuance shares: its dependencies, the Certificate as stored, the issuer
// it names (ready, or an IssuerNotReadyError), its solver per name, and the context of an order.
import type { V1Secret } from '@kubernetes/client-node';
import type { Certificate } from '../../api/certificate.ts';
import { ConditionType } from '../../api/conditions.ts';
import { ANNOTATION_CHALLENGE_TYPE } from '../../api/group.ts';
import type { AnyIssuer } from '../../api/issuer.ts';
import { isConflict } from '../../kube/errors.ts';
import type { EventRecorder } from '../../kube/events.ts';
import type { MutableSecretStore } from '../../kube/secrets.ts';
import type { Clock } from '../../runtime/clock.ts';
import { IssuerNotReadyError, issuerSecretNamespace, type AcmeClients } from './acme-clients.ts';
import type { ChallengeCleanup } from './challenge-cleanup.ts';
import type { ChallengeSolver } from './challenge-solver.ts';
import type { FailureBackoff } from './failure-backoff.ts';
import type { IssuanceSlots } from './issuance-slots.ts';
import type { IssuanceStatus } from './issuance-status.ts';
import { KnownOrders } from './known-orders.ts';
import type { OrderContext } from './order-progress.ts';
import { chooseSolvers } from './solver-selection.ts';

/** What the issuance needs; every side effect is behind one of these. */
export interface IssuanceDeps {
  getCertificate(name: string, namespace: string): Certificate | undefined;
  /** The cached Certificates of a namespace naming this Secret (others are ignored). */
  listCertificates?(namespace: string, secretName: string): Certificate[];
  getIssuer(kind: string, name: string, namespace: string): AnyIssuer | undefined;
  /** Reads a Certificate straight from the apiserver (the cache may lag our own writes). */
  readCertificate(name: string, namespace: string): Promise<Certificate | undefined>;
  secrets: MutableSecretStore;
  /**
   * The Secret as the managed-Secret cache holds it, undefined if the cache does not (a Secret
   * acme6 did not write, or none). Decides "nothing is due" without a request; before an order is
   * placed the apiserver is asked again. Without it every pass reads the apiserver.
   */
  cachedSecret?(namespace: string, name: string): V1Secret | undefined;
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
  /** --max-concurrent-issuances; without it orders are not limited. */
  slots?: Pick<IssuanceSlots, 'tryAcquire' | 'release'>;
}

/** A Certificate read from the apiserver or its cache: it has a name, namespace and uid. */
export type StoredCertificate = Certificate & {
  metadata: { name: string; namespace: string; uid: string };
};

/** The issuer the Certificate names, if it exists and is ready; else an IssuerNotReadyError. */
export function issuerOf(
  deps: IssuanceDeps,
  certificate: StoredCertificate,
): { issuer: AnyIssuer; secretNamespace: string } {
  const { kind, name } = certificate.spec.issuerRef;
  const issuer = deps.getIssuer(kind, name, certificate.metadata.namespace);
  if (!issuer) throw new IssuerNotReadyError(`${kind} ${name} does not exist`);
  const ready = issuer.status?.conditions?.find((c) => c.type === ConditionType.Ready);
  if (ready?.status !== 'True') {
    throw new IssuerNotReadyError(`${kind} ${name} is not ready${ready ? `: ${ready.message}` : ''}`);
  }
  const secretNamespace = issuerSecretNamespace(
    kind,
    certificate.metadata.namespace,
    deps.clusterResourceNamespace,
  );
  return { issuer, secretNamespace };
}

/** The issuer's solver per name of the Certificate, honouring its preferred challenge type. */
export function solversFor(
  issuer: AnyIssuer,
  certificate: StoredCertificate,
): ReturnType<typeof chooseSolvers> {
  const preferred = certificate.metadata.annotations?.[ANNOTATION_CHALLENGE_TYPE];
  return chooseSolvers(
    issuer.spec.acme.solvers,
    certificate.spec.dnsNames,
    certificate.metadata.labels,
    preferred === 'http-01' || preferred === 'dns-01' ? preferred : undefined,
  );
}

/** What the order steps need for this Certificate and the revision being issued. */
export async function orderContext(
  deps: IssuanceDeps,
  certificate: StoredCertificate,
  secret: V1Secret | undefined,
  revision: number,
): Promise<OrderContext> {
  const { issuer, secretNamespace } = issuerOf(deps, certificate);
  const { choices } = solversFor(issuer, certificate);
  return {
    certificate,
    issuer,
    secretNamespace,
    acme: await deps.acmeClients.forIssuer(issuer, secretNamespace),
    choices,
    solvers: deps.solvers,
    secrets: deps.secrets,
    revision,
    existingSecret: secret,
    now: deps.clock.now(),
    orderStartedAt: new Date(certificate.status?.acme?.orderCreatedTime ?? deps.clock.now()),
    firstPublished: firstPublishedOf(deps),
    knownOrders: knownOrdersOf(deps),
    ...(deps.challengeCleanup
      ? {
          // The record write moves the object's version; the issuance's next write builds on it.
          recordPresented: async (entry) => {
            const resourceVersion = await deps.challengeCleanup!.record(certificate, entry);
            if (resourceVersion) certificate.metadata.resourceVersion = resourceVersion;
          },
        }
      : {}),
  };
}

const CONFLICT_TRIES = 5;

/**
 * Writes a status built from the Certificate; on 409 (another controller wrote in between) reads it
 * again and writes on that version, as long as `stillApplies` says the decision holds there. For
 * outcomes that must not be lost to a conflict: an order placed at the CA, an issuance finished.
 * Returns whether it wrote.
 */
export async function writeStatusOnLatest(
  deps: IssuanceDeps,
  certificate: StoredCertificate,
  build: (current: StoredCertificate) => IssuanceStatus,
  stillApplies: (fresh: StoredCertificate) => boolean,
): Promise<boolean> {
  let current = certificate;
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.writeStatus(current, build(current));
      return true;
    } catch (err) {
      if (!isConflict(err) || attempt >= CONFLICT_TRIES) throw err;
    }
    const fresh = (await deps.readCertificate(current.metadata.name, current.metadata.namespace)) as
      StoredCertificate | undefined;
    if (!fresh || !stillApplies(fresh)) return false;
    current = fresh;
  }
}

// Per controller (its deps), in memory: a new process starts every challenge's clock afresh.
const firstPublished = new WeakMap<IssuanceDeps, Map<string, number>>();

function firstPublishedOf(deps: IssuanceDeps): Map<string, number> {
  let published = firstPublished.get(deps);
  if (!published) {
    published = new Map();
    firstPublished.set(deps, published);
  }
  return published;
}

// Per controller (its deps), in memory, as firstPublished: a new process asks the CA for everything.
const knownOrders = new WeakMap<IssuanceDeps, KnownOrders>();

/** What this controller has learnt of its orders in flight (known-orders.ts). */
export function knownOrdersOf(deps: IssuanceDeps): KnownOrders {
  let known = knownOrders.get(deps);
  if (!known) {
    known = new KnownOrders();
    knownOrders.set(deps, known);
  }
  return known;
}
