// ACME challenge solvers of an Issuer or ClusterIssuer (spec.acme.solvers[]): zod twin of the solver
// part of crds/acme6.io_issuers.yaml. Credentials are only ever Secret references.
import { z } from 'zod';
import { templateLabels, templateMetadata } from './metadata.ts';
import { MESSAGE, PATTERN } from './patterns.ts';
import {
  boundedString,
  celIssue,
  dnsZone,
  durationNanos,
  goDuration,
  hostPort,
  httpsUrl,
  objectName,
  patterned,
  secretKeySelector,
  stringMap,
  stringSet,
} from './validation.ts';

/** Most solvers one issuer may list. */
export const MAX_SOLVERS = 50;
/** Most entries in each selector list. */
export const MAX_SELECTOR_ITEMS = 100;

// Selector entries are checked by OpenAPI pattern, not by the CEL rules Certificates use: 50 solvers
// times 100 entries of CEL regex would exceed the apiserver's CEL cost budget for the CRD.
const selectorDnsName = patterned(PATTERN.dnsName, 253);
const selectorDnsZone = patterned(PATTERN.dnsZone, 253);

/** solvers[].selector: which Certificates' names this solver handles; the most specific match wins. */
export const solverSelector = z.strictObject({
  dnsNames: stringSet(selectorDnsName, MAX_SELECTOR_ITEMS).optional(),
  dnsZones: stringSet(selectorDnsZone, MAX_SELECTOR_ITEMS).optional(),
  matchLabels: stringMap(patterned(PATTERN.labelValue, 63), 32).optional(),
});
export type SolverSelector = z.output<typeof solverSelector>;

const quantity = z.union([z.int(), patterned(PATTERN.quantity, Number.POSITIVE_INFINITY)]);

/** A pod toleration (core/v1 Toleration). */
export const toleration = z.strictObject({
  key: boundedString(316).optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: boundedString(63).optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
  tolerationSeconds: z.int().optional(),
});

/** The parts of the solver pod a user may shape. */
export const solverPodSpec = z.strictObject({
  nodeSelector: stringMap(patterned(PATTERN.labelValue, 63), 64).optional(),
  tolerations: z.array(toleration).max(32).optional(),
  resources: z
    .strictObject({
      requests: stringMap(quantity, 16).optional(),
      limits: stringMap(quantity, 16).optional(),
    })
    .optional(),
  priorityClassName: objectName.optional(),
  imagePullSecrets: z
    .array(z.strictObject({ name: objectName }))
    .max(16)
    .optional(),
});

/** Additions to the solver pod. */
const solverPodTemplate = z.strictObject({
  metadata: templateMetadata.optional(),
  spec: solverPodSpec.optional(),
});

/** http01.ingress: the solver pod, Service and Ingress acme6 creates for /.well-known/acme-challenge/. */
export const http01Ingress = z
  .strictObject({
    ingressClassName: objectName.optional(),
    class: boundedString(253, 1).optional(),
    pathType: z.enum(['Exact', 'ImplementationSpecific']).default('Exact'),
    serviceType: z.enum(['ClusterIP', 'NodePort']).default('ClusterIP'),
    podTemplate: solverPodTemplate.optional(),
    ingressTemplate: z.strictObject({ metadata: templateMetadata.optional() }).optional(),
  })
  .superRefine((ingress, ctx) => {
    if (ingress.ingressClassName !== undefined && ingress.class !== undefined)
      celIssue(ctx, MESSAGE.ingressClass);
  });

/** A Gateway, or one listener of it, that the solver's HTTPRoute attaches to (Gateway API ParentReference). */
export const gatewayParentRef = z.strictObject({
  name: objectName,
  namespace: patterned(PATTERN.dnsLabel, 63).optional(),
  sectionName: objectName.optional(),
  port: z.int32().min(1).max(65535).optional(),
});
export type GatewayParentRef = z.output<typeof gatewayParentRef>;

/** http01.gatewayHTTPRoute: the solver pod and Service, and an HTTPRoute (Gateway API) instead of an Ingress. */
export const http01GatewayHTTPRoute = z.strictObject({
  parentRefs: z.array(gatewayParentRef).min(1).max(16),
  labels: templateLabels.optional(),
  serviceType: z.enum(['ClusterIP', 'NodePort']).default('ClusterIP'),
  podTemplate: solverPodTemplate.optional(),
});
export type Http01GatewayHTTPRoute = z.output<typeof http01GatewayHTTPRoute>;

/** True if http01.ingress holds only its defaults (nothing a gatewayHTTPRoute solver would ignore). */
function ingressUntouched(ingress: z.output<typeof http01Ingress>): boolean {
  return (
    ingress.ingressClassName === undefined &&
    ingress.class === undefined &&
    ingress.podTemplate === undefined &&
    ingress.ingressTemplate === undefined &&
    ingress.pathType === 'Exact' &&
    ingress.serviceType === 'ClusterIP'
  );
}

/** http01.selfCheck: how acme6 fetches the token from every address before asking the CA. */
export const http01SelfCheck = z.strictObject({
  mode: z.enum(['Check', 'Skip']).default('Check'),
  passes: z.int32().min(1).max(10).default(2),
  interval: goDuration().default('5s'),
  requestTimeout: goDuration().default('10s'),
  timeout: goDuration().default('10m'),
  skipWait: goDuration().default('30s'),
});
export type Http01SelfCheck = z.output<typeof http01SelfCheck>;

/**
 * solvers[].http01; `http01: {}` is a complete solver (ingress and selfCheck default to `{}`). With
 * gatewayHTTPRoute, an HTTPRoute replaces the Ingress, so ingress must stay at its defaults.
 */
export const http01Solver = z
  .strictObject({
    ingress: http01Ingress.prefault({}),
    gatewayHTTPRoute: http01GatewayHTTPRoute.optional(),
    selfCheck: http01SelfCheck.prefault({}),
  })
  .superRefine((http01, ctx) => {
    if (http01.gatewayHTTPRoute !== undefined && !ingressUntouched(http01.ingress))
      celIssue(ctx, MESSAGE.http01Route);
  });
export type Http01Solver = z.output<typeof http01Solver>;

/** RFC 2136 dynamic updates, optionally TSIG-signed. */
export const rfc2136Provider = z
  .strictObject({
    nameserver: hostPort,
    tsigKeyName: patterned(PATTERN.tsigKeyName, 254).optional(),
    tsigAlgorithm: z.enum(['HMACSHA256', 'HMACSHA384', 'HMACSHA512']).default('HMACSHA256'),
    tsigSecretSecretRef: secretKeySelector.optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.tsigKeyName === undefined) !== (p.tsigSecretSecretRef === undefined))
      celIssue(ctx, MESSAGE.tsigPair);
  });
export type Rfc2136Provider = z.output<typeof rfc2136Provider>;

/** IIJ DNS Platform Service (DPF) API. */
export const iijDpfProvider = z
  .strictObject({
    tokenSecretRef: secretKeySelector,
    serviceCode: patterned(PATTERN.iijDpfServiceCode, 11).optional(),
    zoneName: dnsZone.optional(),
    endpoint: httpsUrl.optional(),
  })
  .superRefine((p, ctx) => {
    if (p.serviceCode === undefined && p.zoneName === undefined) celIssue(ctx, MESSAGE.iijDpfZone);
  });
export type IijDpfProvider = z.output<typeof iijDpfProvider>;

/** IIJ DNS Outsourcing Service (DO-API, version 20140601). */
export const iijDoProvider = z.strictObject({
  accessKeySecretRef: secretKeySelector,
  secretKeySecretRef: secretKeySelector,
  serviceCode: patterned(PATTERN.iijDoServiceCode, 32),
  endpoint: httpsUrl.optional(),
});
export type IijDoProvider = z.output<typeof iijDoProvider>;

/**
 * A cert-manager DNS01 webhook (any of the community's provider webhooks), called through the
 * Kubernetes API aggregation layer: POST /apis/<groupName>/v1alpha1/<solverName>.
 */
export const webhookProvider = z.strictObject({
  groupName: objectName,
  solverName: patterned(PATTERN.dnsLabel, 63),
  // Passed to the webhook as it is; its shape is the webhook's business, as in cert-manager.
  config: z.record(z.string(), z.unknown()).optional(),
});
export type WebhookProvider = z.output<typeof webhookProvider>;

/** dns01.propagation: where and how long to look for the TXT record before asking the CA to validate. */
export const propagation = z
  .strictObject({
    nameservers: stringSet(hostPort, 10).optional(),
    timeout: goDuration().default('10m'),
    interval: goDuration().default('10s'),
  })
  .superRefine((p, ctx) => {
    const interval = durationNanos(p.interval);
    const timeout = durationNanos(p.timeout);
    if (interval !== undefined && timeout !== undefined && interval >= timeout) {
      celIssue(ctx, MESSAGE.intervalShorter, ['interval']);
    }
  });
export type Propagation = z.output<typeof propagation>;

/** The DNS provider keys of dns01, exactly one of which must be set. */
export const DNS01_PROVIDERS = ['rfc2136', 'iijDpf', 'iijDo', 'webhook'] as const;

/** solvers[].dns01. */
export const dns01Solver = z
  .strictObject({
    rfc2136: rfc2136Provider.optional(),
    iijDpf: iijDpfProvider.optional(),
    iijDo: iijDoProvider.optional(),
    webhook: webhookProvider.optional(),
    propagation: propagation.prefault({}),
    cnameStrategy: z.enum(['None', 'Follow']).default('None'),
  })
  .superRefine((d, ctx) => {
    if (DNS01_PROVIDERS.filter((p) => d[p] !== undefined).length !== 1) celIssue(ctx, MESSAGE.dnsProvider);
  });
export type Dns01Solver = z.output<typeof dns01Solver>;

/** One entry of spec.acme.solvers. */
export const solver = z
  .strictObject({
    selector: solverSelector.optional(),
    http01: http01Solver.optional(),
    dns01: dns01Solver.optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.http01 === undefined) === (s.dns01 === undefined)) celIssue(ctx, MESSAGE.solverType);
  });
export type Solver = z.output<typeof solver>;
