// What the http-01 self-check found, in words a user can act on: one verdict per A and AAAA
// address (the CA may pick any of them, and prefers IPv6), with a hint for the usual causes.

export type Family = 'A' | 'AAAA';

/** One address the name resolves to. */
export interface Target {
  family: Family;
  address: string;
}

/** What fetching the token from one address gave. */
export type ProbeOutcome =
  | { kind: 'ok' }
  /** A final answer other than 200 (after redirects, if any). */
  | { kind: 'status'; status: number; statusText: string; finalUrl?: string }
  /** 200, but not the key authorization (another server answers for the name). */
  | { kind: 'wrong-body' }
  /** No HTTP answer: refused, timed out, unreachable, TLS, too many redirects. */
  | { kind: 'error'; message: string };

export interface AddressResult {
  target: Target;
  port: number;
  outcome: ProbeOutcome;
}

/** The whole check of one name. */
export interface SelfCheckReport {
  domain: string;
  results: AddressResult[];
  /** Lookups that failed (not "no such record"), e.g. `AAAA lookup failed: SERVFAIL`. */
  lookupProblems: string[];
}

/** What the hints may mention about the solver's routing. */
export interface SelfCheckHints {
  /** The IngressClass (or legacy class) of the solver Ingress; undefined: the cluster default. */
  ingressClass?: string;
  /** The solver HTTPRoute (`namespace/name`), when a Gateway routes the challenge instead of an Ingress. */
  httpRoute?: string;
}

/** True when the CA may be asked: at least one address, all of them answering, no failed lookup. */
export function selfCheckPassed(report: SelfCheckReport): boolean {
  return (
    report.lookupProblems.length === 0 &&
    report.results.length > 0 &&
    report.results.every((r) => r.outcome.kind === 'ok')
  );
}

/** `A 192.0.2.10:80` or `AAAA [2001:db8::1]:80`. */
export function describeTarget(target: Target, port: number): string {
  return `${target.family} ${target.family === 'AAAA' ? `[${target.address}]` : target.address}:${port}`;
}

function statusHint(status: number, hints: SelfCheckHints): string {
  if (status === 401 || status === 403)
    return ' (the path is behind authentication? The solver Ingress must route /.well-known/acme-challenge/ around it)';
  if (status === 404 && hints.httpRoute)
    return ` (is the solver HTTPRoute ${hints.httpRoute} attached to a Gateway listener this address reaches?)`;
  if (status === 404) {
    const by = hints.ingressClass
      ? `the controller of class ${hints.ingressClass}`
      : "the cluster's default ingress controller";
    return ` (is the solver Ingress served by ${by}, and does this address reach it?)`;
  }
  if (status === 502 || status === 503 || status === 504)
    return ' (is the solver pod running and ready, and does its Service have endpoints?)';
  return '';
}

/** One address's verdict, e.g. `AAAA [2001:db8::1]:80 connection refused`. */
export function describeResult(result: AddressResult, hints: SelfCheckHints = {}): string {
  const where = describeTarget(result.target, result.port);
  const { outcome } = result;
  switch (outcome.kind) {
    case 'ok':
      return `${where} ok`;
    case 'wrong-body':
      return `${where} answered 200 but not with the key authorization (another server answers for this name?)`;
    case 'error':
      return `${where} ${outcome.message}`;
    case 'status': {
      const text = `${outcome.status}${outcome.statusText ? ` ${outcome.statusText}` : ''}`;
      const after = outcome.finalUrl ? ` after redirects to ${outcome.finalUrl}` : '';
      return `${where} ${text} from ${result.target.address}${after}${statusHint(outcome.status, hints)}`;
    }
  }
}

/** The report in one line, failures first: what status and the Event say. */
export function summarizeSelfCheck(report: SelfCheckReport, hints: SelfCheckHints = {}): string {
  if (report.results.length === 0 && report.lookupProblems.length === 0)
    return `${report.domain} has no A or AAAA record`;
  const failed = report.results.filter((r) => r.outcome.kind !== 'ok');
  const passed = report.results.filter((r) => r.outcome.kind === 'ok');
  return [
    ...report.lookupProblems,
    ...failed.map((r) => describeResult(r, hints)),
    ...passed.map((r) => describeResult(r, hints)),
  ].join('; ');
}
