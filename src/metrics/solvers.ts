// Metrics the challenge solvers report. Import and call from solver code; the registry serves them.
import { Counter } from 'prom-client';
import { registry } from './registry.ts';

/** The address family a self-check went over (http-01 checks A and AAAA separately). */
export type AddressFamily = 'ipv4' | 'ipv6';

const selfCheckFailures = new Counter({
  name: 'acme6_self_check_failures_total',
  help: 'Self-checks of a challenge that failed before asking the CA to validate, by challenge type and address family.',
  labelNames: ['type', 'family'],
  registers: [registry],
});

/**
 * Counts one failed self-check, e.g. `recordSelfCheckFailure('http-01', 'ipv6')` when the token
 * was not served over the name's AAAA address.
 */
export function recordSelfCheckFailure(type: 'http-01' | 'dns-01', family: AddressFamily): void {
  selfCheckFailures.inc({ type, family });
}
