// cert-manager's DNS01 webhook protocol (pkg/acme/webhook/apis/acme/v1alpha1 in cert-manager): the
// ChallengePayload acme6 sends, and how it reads the answer. Pure: no I/O here.
import type { Dns01ErrorKind } from '../provider.ts';

/** The apiVersion of a ChallengePayload: cert-manager's own group, whatever group serves the solver. */
export const CHALLENGE_PAYLOAD_API_VERSION = 'webhook.acme.cert-manager.io/v1alpha1';
/** The version of the webhook's group that serves the solvers. */
export const WEBHOOK_GROUP_VERSION = 'v1alpha1';
/** Longest webhook message that reaches a status or an Event; webhooks may say a lot. */
export const MAX_WEBHOOK_MESSAGE = 512;

/** Present or CleanUp, spelled as cert-manager spells them. */
export type ChallengeAction = 'Present' | 'CleanUp';

/** A ChallengeRequest, field for field. */
export interface ChallengeRequest {
  uid: string;
  action: ChallengeAction;
  type: 'dns-01';
  /** The identifier being validated; for `*.example.com` the base name `example.com`, as cert-manager's Challenge has it. */
  dnsName: string;
  /** The TXT value. */
  key: string;
  /** Where Secrets named in config live: the Issuer's namespace, or acme6's for ClusterIssuers. */
  resourceNamespace: string;
  /** The TXT record's name after CNAMEs, with a trailing dot. */
  resolvedFQDN: string;
  /** The zone holding it, with a trailing dot. */
  resolvedZone: string;
  allowAmbientCredentials: boolean;
  config?: Record<string, unknown>;
}

/** The envelope POSTed to the webhook and returned with `response` filled in. */
export interface ChallengePayload {
  apiVersion: typeof CHALLENGE_PAYLOAD_API_VERSION;
  kind: 'ChallengePayload';
  request: ChallengeRequest;
}

/** The path the webhook's solver is served at, through the aggregation layer. */
export function solverPath(groupName: string, solverName: string): string {
  return `/apis/${groupName}/${WEBHOOK_GROUP_VERSION}/${solverName}`;
}

/** The request for one action. */
export function challengePayload(request: ChallengeRequest): ChallengePayload {
  const { config, ...rest } = request;
  return {
    apiVersion: CHALLENGE_PAYLOAD_API_VERSION,
    kind: 'ChallengePayload',
    request: { ...rest, ...(config === undefined ? {} : { config }) },
  };
}

/** What an answer means: done, or an error and whether retrying can help. */
export type WebhookVerdict = { ok: true } | { ok: false; kind: Dns01ErrorKind; message: string };

/** Shortens `text` to MAX_WEBHOOK_MESSAGE characters, saying how much was left out. */
export function capMessage(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  const chars = [...oneLine];
  if (chars.length <= MAX_WEBHOOK_MESSAGE) return oneLine;
  return `${chars.slice(0, MAX_WEBHOOK_MESSAGE).join('')}… (${chars.length - MAX_WEBHOOK_MESSAGE} more characters)`;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The names of the webhook's resource and group, for messages. */
export interface SolverRef {
  groupName: string;
  solverName: string;
}

/**
 * Judges the apiserver's answer to the POST. A 2xx carries the payload with `response.success` and,
 * on failure, `response.status.message`; anything else is a metav1.Status from the apiserver (or the
 * webhook's own server) whose `message` says why.
 */
export function judgeWebhookAnswer(status: number, body: unknown, ref: SolverRef): WebhookVerdict {
  const resource = `${ref.solverName}.${ref.groupName}`;
  if (status >= 200 && status < 300) {
    const response = record(record(body)?.response);
    if (!response) {
      return {
        ok: false,
        kind: 'transient',
        message: `failed: HTTP ${status} without a ChallengePayload response`,
      };
    }
    if (response.success === true) return { ok: true };
    const reason = text(record(response.status)?.message);
    // The webhook cannot say whether its failure passes (a DNS API outage) or not (a bad token):
    // like cert-manager, keep retrying with backoff, and show its message meanwhile.
    return {
      ok: false,
      kind: 'transient',
      message: reason ? `failed: ${capMessage(reason)}` : 'failed without saying why',
    };
  }
  const said = text(record(body)?.message);
  const detail = said ? `: ${capMessage(said)}` : '';
  if (status === 403) {
    return {
      ok: false,
      kind: 'terminal',
      message: `failed: HTTP 403 Forbidden${detail} (grant acme6's ServiceAccount create on resource ${ref.solverName} in API group ${ref.groupName}, see docs/webhook.md)`,
    };
  }
  if (status === 404) {
    return {
      ok: false,
      kind: 'terminal',
      message: `failed: HTTP 404 Not Found${detail} (the apiserver serves no ${resource}: is the webhook installed and its APIService ${WEBHOOK_GROUP_VERSION}.${ref.groupName} available?)`,
    };
  }
  // 5xx (the webhook's Service has no ready endpoint, or it crashed), 429 and timeouts pass; other
  // 4xx mean the webhook refused this request and will refuse it again.
  const passes = status >= 500 || status === 429 || status === 408 || status === 401;
  return { ok: false, kind: passes ? 'transient' : 'terminal', message: `failed: HTTP ${status}${detail}` };
}
