import { describe, expect, it } from 'vitest';
import { http01Solver } from '../../api/solver.ts';
import type { ChallengeTask } from '../../controllers/certificate/challenge-solver.ts';
import { buildSolverObjects, solverName } from './resources.ts';

const task = (extra: Partial<ChallengeTask> = {}): ChallengeTask => ({
  solver: { http01: http01Solver.parse({}) },
  secretNamespace: 'acme6',
  certificate: { name: 'App.Example', namespace: 'web', uid: 'uid-1' },
  domain: 'app.example.test',
  wildcard: false,
  token: 'tok1',
  value: 'tok1.thumb',
  ...extra,
});

describe('solver objects', () => {
  it('are named deterministically per challenge, as DNS-1035 labels', () => {
    expect(solverName(task())).toBe(solverName(task()));
    expect(solverName(task())).not.toBe(solverName(task({ token: 'tok2' })));
    expect(solverName(task())).toMatch(/^acme6-http01-app-example-[0-9a-f]{10}$/);
    const long = solverName(task({ certificate: { name: 'x'.repeat(253), namespace: 'web', uid: 'u' } }));
    expect(long.length).toBeLessThanOrEqual(63);
  });

  it('run a hardened pod owned by the Certificate, listening on its pod IP', () => {
    const {
      pod,
      service,
      ingress: maybeIngress,
      namespace,
    } = buildSolverObjects(task(), http01Solver.parse({}), 'ghcr.io/acme6/acme6:1.0.0');
    const ingress = maybeIngress!;
    expect(namespace).toBe('web');
    for (const object of [pod, service, ingress]) {
      expect(object.metadata?.ownerReferences).toEqual([
        {
          apiVersion: 'acme6.io/v1alpha1',
          kind: 'Certificate',
          name: 'App.Example',
          uid: 'uid-1',
          controller: true,
        },
      ]);
      expect(object.metadata?.labels).toMatchObject({
        'acme6.io/http01-solver': 'true',
        'acme6.io/certificate-uid': 'uid-1',
      });
    }
    const spec = pod.spec!;
    const container = spec.containers[0]!;
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.command).toBeUndefined();
    expect(container.args).toEqual([
      'solver',
      '--domain=app.example.test',
      '--token=tok1',
      '--key-auth=tok1.thumb',
      '--listen-host=$(POD_IP)',
      '--listen-port=8089',
    ]);
    expect(container.env).toEqual([
      { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    ]);
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources?.limits).toEqual({ cpu: '100m', memory: '128Mi' });
    expect(service.spec).toMatchObject({ type: 'ClusterIP', selector: pod.metadata?.labels });
    expect(ingress.spec?.ingressClassName).toBeUndefined();
    expect(ingress.spec?.rules).toEqual([
      {
        host: 'app.example.test',
        http: {
          paths: [
            {
              path: '/.well-known/acme-challenge/tok1',
              pathType: 'Exact',
              backend: { service: { name: solverName(task()), port: { number: 8089 } } },
            },
          ],
        },
      },
    ]);
  });

  it('apply the issuer options', () => {
    const config = http01Solver.parse({
      ingress: {
        class: 'nginx',
        pathType: 'ImplementationSpecific',
        serviceType: 'NodePort',
        podTemplate: {
          metadata: { labels: { team: 'web' }, annotations: { note: 'x' } },
          spec: {
            nodeSelector: { zone: 'a' },
            tolerations: [{ key: 'edge', operator: 'Exists' }],
            resources: { limits: { memory: '64Mi' } },
            priorityClassName: 'low',
            imagePullSecrets: [{ name: 'pull' }],
          },
        },
        ingressTemplate: { metadata: { labels: { l: 'v' }, annotations: { 'a.example/x': 'y' } } },
      },
    });
    const { pod, service, ingress: maybeIngress } = buildSolverObjects(task(), config, 'acme6:dev');
    const ingress = maybeIngress!;
    expect(pod.metadata?.labels).toMatchObject({ team: 'web' });
    expect(pod.metadata?.annotations).toMatchObject({ note: 'x' });
    expect(pod.spec).toMatchObject({
      nodeSelector: { 'kubernetes.io/os': 'linux', zone: 'a' },
      tolerations: [{ key: 'edge', operator: 'Exists' }],
      priorityClassName: 'low',
      imagePullSecrets: [{ name: 'pull' }],
    });
    expect(pod.spec?.containers[0]?.resources).toEqual({ limits: { memory: '64Mi' } });
    expect(service.spec?.type).toBe('NodePort');
    expect(ingress.metadata?.labels).toMatchObject({ l: 'v' });
    expect(ingress.metadata?.annotations).toMatchObject({
      'a.example/x': 'y',
      'kubernetes.io/ingress.class': 'nginx',
    });
    expect(ingress.spec?.rules?.[0]?.http?.paths[0]?.pathType).toBe('ImplementationSpecific');
  });

  it('take the ingress class from the Certificate annotation over the issuer', () => {
    const config = http01Solver.parse({ ingress: { ingressClassName: 'nginx' } });
    const annotated = task({
      certificate: {
        name: 'c',
        namespace: 'web',
        uid: 'u',
        annotations: { 'acme6.io/http01-ingress-class': 'traefik' },
      },
    });
    expect(buildSolverObjects(annotated, config, 'acme6:dev').ingress?.spec?.ingressClassName).toBe(
      'traefik',
    );
    expect(buildSolverObjects(task(), config, 'acme6:dev').ingress?.spec?.ingressClassName).toBe('nginx');
  });

  it('route the challenge through an HTTPRoute on the given parentRefs instead of an Ingress', () => {
    const config = http01Solver.parse({
      gatewayHTTPRoute: {
        parentRefs: [{ name: 'public', namespace: 'gateways', sectionName: 'http' }, { name: 'local' }],
        labels: { routes: 'acme' },
        serviceType: 'NodePort',
        podTemplate: { metadata: { labels: { team: 'web' } } },
      },
    });
    const { name, pod, service, ingress, route } = buildSolverObjects(task(), config, 'acme6:dev');
    expect(ingress).toBeUndefined();
    expect(service.spec?.type).toBe('NodePort');
    expect(pod.metadata?.labels).toMatchObject({ team: 'web' });
    expect(route?.metadata?.labels).toMatchObject({ routes: 'acme', 'acme6.io/http01-solver': 'true' });
    expect(route?.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: 'Certificate',
      uid: 'uid-1',
      controller: true,
    });
    expect(route).toMatchObject({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name, namespace: 'web' },
      spec: {
        parentRefs: [
          {
            group: 'gateway.networking.k8s.io',
            kind: 'Gateway',
            name: 'public',
            namespace: 'gateways',
            sectionName: 'http',
          },
          { group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'local' },
        ],
        hostnames: ['app.example.test'],
        rules: [
          {
            matches: [{ path: { type: 'Exact', value: '/.well-known/acme-challenge/tok1' } }],
            backendRefs: [{ group: '', kind: 'Service', name, port: 8089 }],
          },
        ],
      },
    });
  });
});
