// The solver Pod, Service and Ingress (or HTTPRoute) of one http-01 challenge, built from the issuer's options:
// deterministic names (a retry finds what the last attempt made), acme6 labels to find them by,
// and the Certificate as controller owner so the garbage collector removes anything left behind.
import { createHash } from 'node:crypto';
import type { V1Ingress, V1Pod, V1Service } from '@kubernetes/client-node';
import { ANNOTATION_HTTP01_INGRESS_CLASS, API_VERSION, GROUP, Kind } from '../../api/group.ts';
import type { Http01Solver } from '../../api/solver.ts';
import type { ChallengeTask } from '../../controllers/certificate/challenge-solver.ts';
import { GATEWAY_API_GROUP, GATEWAY_API_VERSION, type HTTPRoute } from '../../controllers/gateway/types.ts';
import { CHALLENGE_PATH_PREFIX } from './challenge-server.ts';

/** Label on every solver object (value `"true"`): what RBAC-minded listings select on. */
export const LABEL_HTTP01_SOLVER = `${GROUP}/http01-solver`;
/** Label: the challenge's identity (a hash of Certificate uid, name and token). */
export const LABEL_CHALLENGE = `${GROUP}/challenge`;
/** Label: uid of the Certificate the challenge is for. */
export const LABEL_CERTIFICATE_UID = `${GROUP}/certificate-uid`;
/** Annotation: the name being validated (too long for a label value). */
export const ANNOTATION_CHALLENGE_DOMAIN = `${GROUP}/challenge-domain`;

/** Port the solver listens on inside its pod. */
export const SOLVER_PORT = 8089;
/** uid/gid the solver runs as (any non-root id works: it only binds an unprivileged port). */
export const SOLVER_UID = 65532;

const DEFAULT_RESOURCES = {
  requests: { cpu: '10m', memory: '48Mi' },
  limits: { cpu: '100m', memory: '128Mi' },
};

/** The three objects of one challenge, all named `name` in `namespace`: an Ingress or an HTTPRoute routes it. */
export interface SolverObjects {
  name: string;
  namespace: string;
  pod: V1Pod;
  service: V1Service;
  ingress?: V1Ingress;
  route?: HTTPRoute;
}

/** Deterministic name: readable prefix from the Certificate, a hash for uniqueness; a DNS-1035 label. */
export function solverName(task: ChallengeTask): string {
  const hash = challengeHash(task).slice(0, 10);
  const base = task.certificate.name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 30)
    .replace(/-+$/, '');
  return `acme6-http01-${base ? `${base}-` : ''}${hash}`;
}

/** Identity of a challenge: the Certificate (by uid), the name and the token. */
export function challengeHash(task: ChallengeTask): string {
  return createHash('sha256')
    .update(`${task.certificate.uid}\n${task.domain}\n${task.token}`)
    .digest('hex')
    .slice(0, 32);
}

/** Which ingress class routes the solver: the Certificate's annotation overrides the issuer. */
export function ingressClassOf(
  task: ChallengeTask,
  config: Http01Solver,
): { ingressClassName?: string; classAnnotation?: string } {
  const override = task.certificate.annotations?.[ANNOTATION_HTTP01_INGRESS_CLASS];
  if (override) return { ingressClassName: override };
  const { ingressClassName, class: legacy } = config.ingress;
  if (ingressClassName) return { ingressClassName };
  if (legacy) return { classAnnotation: legacy };
  return {};
}

/** Builds the solver objects for `task` with solver `image`. */
export function buildSolverObjects(task: ChallengeTask, config: Http01Solver, image: string): SolverObjects {
  const name = solverName(task);
  const { namespace } = task.certificate;
  const ours = {
    [LABEL_HTTP01_SOLVER]: 'true',
    [LABEL_CHALLENGE]: challengeHash(task),
    [LABEL_CERTIFICATE_UID]: task.certificate.uid,
  };
  const meta = (labels: Record<string, string> = {}, annotations: Record<string, string> = {}) => ({
    name,
    namespace,
    // Ours last: a template cannot override them (the schema rejects acme6.io/ keys anyway).
    labels: { ...labels, ...ours },
    annotations: { ...annotations, [ANNOTATION_CHALLENGE_DOMAIN]: task.domain },
    ownerReferences: [
      {
        apiVersion: API_VERSION,
        kind: Kind.Certificate,
        name: task.certificate.name,
        uid: task.certificate.uid,
        controller: true,
      },
    ],
  });
  const { ingressTemplate, pathType } = config.ingress;
  const { podTemplate, serviceType } = config.gatewayHTTPRoute ?? config.ingress;
  const podSpec = podTemplate?.spec ?? {};
  const pod: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(podTemplate?.metadata?.labels, podTemplate?.metadata?.annotations),
    spec: {
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      restartPolicy: 'Always',
      nodeSelector: { 'kubernetes.io/os': 'linux', ...podSpec.nodeSelector },
      ...(podSpec.tolerations ? { tolerations: podSpec.tolerations } : {}),
      ...(podSpec.priorityClassName ? { priorityClassName: podSpec.priorityClassName } : {}),
      ...(podSpec.imagePullSecrets ? { imagePullSecrets: podSpec.imagePullSecrets } : {}),
      securityContext: {
        runAsNonRoot: true,
        runAsUser: SOLVER_UID,
        runAsGroup: SOLVER_UID,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'solver',
          image,
          // No command: the image's entrypoint is acme6 itself.
          args: [
            'solver',
            `--domain=${task.domain}`,
            `--token=${task.token}`,
            `--key-auth=${task.value}`,
            '--listen-host=$(POD_IP)',
            `--listen-port=${SOLVER_PORT}`,
          ],
          env: [{ name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }],
          ports: [{ name: 'http', containerPort: SOLVER_PORT, protocol: 'TCP' }],
          readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 2 },
          resources: (podSpec.resources as typeof DEFAULT_RESOURCES | undefined) ?? DEFAULT_RESOURCES,
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          },
        },
      ],
    },
  };
  const service: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(),
    spec: {
      type: serviceType,
      selector: ours,
      ports: [{ name: 'http', port: SOLVER_PORT, targetPort: 'http', protocol: 'TCP' }],
    },
  };
  if (config.gatewayHTTPRoute) {
    const { parentRefs, labels } = config.gatewayHTTPRoute;
    const route: HTTPRoute = {
      apiVersion: GATEWAY_API_VERSION,
      kind: 'HTTPRoute',
      metadata: meta(labels),
      spec: {
        parentRefs: parentRefs.map((ref) => ({ group: GATEWAY_API_GROUP, kind: 'Gateway', ...ref })),
        hostnames: [task.domain],
        rules: [
          {
            matches: [{ path: { type: 'Exact', value: `${CHALLENGE_PATH_PREFIX}${task.token}` } }],
            backendRefs: [{ group: '', kind: 'Service', name, port: SOLVER_PORT }],
          },
        ],
      },
    };
    return { name, namespace, pod, service, route };
  }
  const { ingressClassName, classAnnotation } = ingressClassOf(task, config);
  const ingressAnnotations = {
    ...ingressTemplate?.metadata?.annotations,
    ...(classAnnotation ? { 'kubernetes.io/ingress.class': classAnnotation } : {}),
  };
  const ingress: V1Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: meta(ingressTemplate?.metadata?.labels, ingressAnnotations),
    spec: {
      ...(ingressClassName ? { ingressClassName } : {}),
      rules: [
        {
          host: task.domain,
          http: {
            paths: [
              {
                path: `${CHALLENGE_PATH_PREFIX}${task.token}`,
                pathType,
                backend: { service: { name, port: { number: SOLVER_PORT } } },
              },
            ],
          },
        },
      ],
    },
  };
  return { name, namespace, pod, service, ingress };
}
