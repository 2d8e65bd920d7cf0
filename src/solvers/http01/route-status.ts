// Why the solver's HTTPRoute does not route the challenge, in words a user can act on: read from
// the route's status.parents[] conditions, which the Gateway controller writes per parentRef.
import type { V1Condition } from '@kubernetes/client-node';
import type { HTTPRoute, ParentReference } from '../../controllers/gateway/types.ts';

/** What to check for the usual reasons a route is not accepted. */
const HINTS: Readonly<Record<string, string>> = {
  NoMatchingParent: 'no listener of the Gateway has that sectionName or port',
  NotAllowedByListeners: "the listener's allowedRoutes do not admit HTTPRoutes from this namespace",
  NoMatchingListenerHostname: "the listener's hostname does not match the name being validated",
  BackendNotFound: 'the solver Service is not there (yet)',
  RefNotPermitted: 'a ReferenceGrant is needed for the reference',
};

function describeParent(ref: ParentReference, routeNamespace: string): string {
  const where = ref.sectionName ? ` listener ${ref.sectionName}` : '';
  const port = ref.port !== undefined ? ` port ${ref.port}` : '';
  return `${ref.kind ?? 'Gateway'} ${ref.namespace ?? routeNamespace}/${ref.name}${where}${port}`;
}

function describeCondition(condition: V1Condition): string {
  const hint = HINTS[condition.reason] ? ` (${HINTS[condition.reason]})` : '';
  return `${condition.reason}${condition.message ? `: ${condition.message}` : ''}${hint}`;
}

/**
 * What is wrong with the route for routing the challenge, or undefined if every parent accepted it
 * with its references resolved. `namespace`/`name` name the route when it is absent.
 */
export function describeRouteProblems(
  route: HTTPRoute | undefined,
  namespace: string,
  name: string,
): string | undefined {
  const id = `HTTPRoute ${namespace}/${name}`;
  if (!route) return `${id} does not exist (it is created again)`;
  const parents = route.status?.parents ?? [];
  if (parents.length === 0) {
    return `${id} is not accepted yet: no Gateway controller reported on it (is the parentRefs' Gateway of a GatewayClass some controller serves?)`;
  }
  const problems: string[] = [];
  for (const parent of parents) {
    const conditions = parent.conditions ?? [];
    const accepted = conditions.find((c) => c.type === 'Accepted');
    const resolved = conditions.find((c) => c.type === 'ResolvedRefs');
    const gateway = describeParent(parent.parentRef, namespace);
    if (accepted?.status === 'False')
      problems.push(`${id} is not accepted by ${gateway}: ${describeCondition(accepted)}`);
    if (resolved?.status === 'False')
      problems.push(`${id} has unresolved references on ${gateway}: ${describeCondition(resolved)}`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}
