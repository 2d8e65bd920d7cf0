import { describe, expect, it } from 'vitest';
import type { HTTPRoute } from '../../controllers/gateway/types.ts';
import { describeRouteProblems } from './route-status.ts';

const at = new Date('2026-01-01T00:00:00Z');
const route = (parents: NonNullable<HTTPRoute['status']>['parents']): HTTPRoute => ({
  metadata: { name: 'r', namespace: 'web' },
  status: { parents },
});
const parentRef = { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public', namespace: 'gw' };

describe('describeRouteProblems', () => {
  it('is silent when every parent accepted the route with its references resolved', () => {
    const accepted = route([
      {
        parentRef,
        conditions: [
          { type: 'Accepted', status: 'True', reason: 'Accepted', message: '', lastTransitionTime: at },
          {
            type: 'ResolvedRefs',
            status: 'True',
            reason: 'ResolvedRefs',
            message: '',
            lastTransitionTime: at,
          },
        ],
      },
    ]);
    expect(describeRouteProblems(accepted, 'web', 'r')).toBeUndefined();
  });

  it('names the route, the Gateway listener and the reason with a hint', () => {
    const refused = route([
      {
        parentRef: { ...parentRef, sectionName: 'http' },
        conditions: [
          {
            type: 'Accepted',
            status: 'False',
            reason: 'NoMatchingListenerHostname',
            message: 'no hostname match',
            lastTransitionTime: at,
          },
          {
            type: 'ResolvedRefs',
            status: 'False',
            reason: 'BackendNotFound',
            message: 'svc gone',
            lastTransitionTime: at,
          },
        ],
      },
      {
        parentRef: { name: 'other' },
        conditions: [
          {
            type: 'Accepted',
            status: 'False',
            reason: 'NotAllowedByListeners',
            message: '',
            lastTransitionTime: at,
          },
        ],
      },
    ]);
    expect(describeRouteProblems(refused, 'web', 'r')).toBe(
      'HTTPRoute web/r is not accepted by Gateway gw/public listener http: NoMatchingListenerHostname: no hostname match ' +
        "(the listener's hostname does not match the name being validated); " +
        'HTTPRoute web/r has unresolved references on Gateway gw/public listener http: BackendNotFound: svc gone ' +
        '(the solver Service is not there (yet)); ' +
        "HTTPRoute web/r is not accepted by Gateway web/other: NotAllowedByListeners (the listener's allowedRoutes do not admit HTTPRoutes from this namespace)",
    );
  });

  it('says when no controller has reported, and when the route is missing', () => {
    expect(describeRouteProblems(route([]), 'web', 'r')).toBe(
      "HTTPRoute web/r is not accepted yet: no Gateway controller reported on it (is the parentRefs' Gateway of a GatewayClass some controller serves?)",
    );
    expect(describeRouteProblems(undefined, 'web', 'r')).toBe(
      'HTTPRoute web/r does not exist (it is created again)',
    );
  });
});
