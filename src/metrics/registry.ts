// The process's one metrics registry. acme6's own (not prom-client's global default), so a library
// that registers into the default registry cannot collide with our names.
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Every acme6 metric registers here; `/metrics` serves it. */
export const registry = new Registry();

let processMetricsOn = false;

/** Adds Node's process metrics (CPU, memory, event-loop lag, GC), read on each scrape. Idempotent. */
export function collectProcessMetrics(): void {
  if (processMetricsOn) return;
  processMetricsOn = true;
  collectDefaultMetrics({ register: registry });
}
