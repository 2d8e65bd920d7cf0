// Which published challenge responses must come down now, and how to describe one to a person.
// Pure: the reconciler in challenge-cleanup.ts gathers the Certificate and acts on the answer.
import type { Certificate, PresentedChallenge } from '../../api/certificate.ts';
import { http01Solver, type Solver } from '../../api/solver.ts';
import type { ChallengeTask } from './challenge-solver.ts';

/**
 * Every recorded response not of the order in flight is stale: its order finished, failed or was
 * abandoned, or the Certificate is being deleted. Only the status is read, never the CA.
 */
export function staleChallenges(certificate: Certificate): PresentedChallenge[] {
  const recorded = certificate.status?.presentedChallenges ?? [];
  const inFlight = certificate.metadata.deletionTimestamp ? undefined : certificate.status?.acme?.orderURL;
  // A CA may hand a new order the authorization of an abandoned one: a response the order in
  // flight uses again (same token) stays up, and its old entry goes with the new one.
  const response = (e: PresentedChallenge): string => `${e.type}\n${e.dnsName}\n${e.token}`;
  const live = new Set(recorded.filter((e) => e.orderURL === inFlight).map(response));
  return recorded.filter((entry) => entry.orderURL !== inFlight && !live.has(response(entry)));
}

/** Stale entries whose response the order in flight reuses: dropped from status, not taken down. */
export function supersededChallenges(certificate: Certificate): PresentedChallenge[] {
  const recorded = certificate.status?.presentedChallenges ?? [];
  const stale = new Set(staleChallenges(certificate));
  const inFlight = certificate.metadata.deletionTimestamp ? undefined : certificate.status?.acme?.orderURL;
  return recorded.filter((e) => e.orderURL !== inFlight && !stale.has(e));
}

/** Identity of a recorded response (a re-presented challenge is recorded once). */
export const presentedKey = (entry: PresentedChallenge): string =>
  `${entry.orderURL}\n${entry.type}\n${entry.dnsName}\n${entry.wildcard ?? false}\n${entry.token}`;

/** What a person would have to remove by hand, e.g. `dns-01 TXT _acme-challenge.a.test "xyz"`. */
export function describePresented(entry: PresentedChallenge): string {
  const name = `${entry.wildcard ? '*.' : ''}${entry.dnsName}`;
  return entry.type === 'dns-01'
    ? `dns-01 TXT record _acme-challenge.${entry.dnsName} "${entry.value}" (for ${name})`
    : `http-01 solver objects for ${name} (token ${entry.token})`;
}

/** The issuer's solver an entry was published with, as far as the issuer can still tell. */
export type SolverLookup = { kind: 'found'; solver: Solver } | { kind: 'gone'; why: string };

/**
 * The task a solver's cleanUp needs, rebuilt from status. http-01 needs nothing of the issuer (its
 * objects are named from the Certificate and the token); dns-01 needs the issuer's DNS provider
 * and credentials, and says plainly when they cannot be reached.
 */
export function cleanUpTask(
  entry: PresentedChallenge,
  certificate: { name: string; namespace: string; uid: string; annotations?: Record<string, string> },
  secretNamespace: string,
  lookup: SolverLookup,
): ChallengeTask | { blocked: string } {
  let solver: Solver;
  if (lookup.kind === 'found' && (entry.type === 'dns-01' ? lookup.solver.dns01 : lookup.solver.http01)) {
    solver = lookup.solver;
  } else if (entry.type === 'http-01') {
    solver = { http01: http01Solver.parse({}) };
  } else {
    const why =
      lookup.kind === 'gone' ? lookup.why : `solver ${entry.solverIndex} is no longer a dns01 solver`;
    return {
      blocked:
        `${why}, so its DNS provider and credentials cannot be reached; bring the issuer back, or remove ` +
        `the record by hand and then the finalizer acme6.io/challenge-cleanup`,
    };
  }
  return {
    solver,
    secretNamespace,
    certificate,
    domain: entry.dnsName,
    wildcard: entry.wildcard ?? false,
    token: entry.token,
    value: entry.value,
  };
}

/** The status entry for a response about to be published. */
export function presentedEntry(
  orderURL: string,
  issuerRef: { kind?: string; name: string },
  choice: { type: 'http-01' | 'dns-01'; solverIndex: number },
  task: Pick<ChallengeTask, 'domain' | 'wildcard' | 'token' | 'value'>,
  now: string,
): PresentedChallenge {
  return {
    orderURL,
    type: choice.type,
    dnsName: task.domain,
    ...(task.wildcard ? { wildcard: true } : {}),
    token: task.token,
    value: task.value,
    issuerKind: issuerRef.kind === 'ClusterIssuer' ? 'ClusterIssuer' : 'Issuer',
    issuerName: issuerRef.name,
    solverIndex: choice.solverIndex,
    presentedTime: now,
  };
}

/**
 * Whether `manager` holds `finalizer` according to managedFields; true when the object carries no
 * managedFields (then only a release tells).
 */
export function holdsFinalizer(
  metadata: Record<string, unknown>,
  manager: string,
  finalizer: string,
): boolean {
  const finalizers = metadata['finalizers'] as string[] | undefined;
  if (!finalizers?.includes(finalizer)) return false;
  const managed = metadata['managedFields'] as { manager?: string; fieldsV1?: unknown }[] | undefined;
  if (!managed) return true;
  return managed.some(
    (m) =>
      m.manager === manager &&
      JSON.stringify(m.fieldsV1 ?? {}).includes(JSON.stringify(`v:"${finalizer}"`).slice(1, -1)),
  );
}
