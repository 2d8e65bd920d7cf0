// Metrics of the node agent (`acme6 agent`): the rules it keeps in place and how long syncs take.
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from './registry.ts';

/** Why a sync ran (the agent's SyncReason). */
export type AgentSyncReason = 'change' | 'resync' | 'canary';

const rules = new Gauge({
  name: 'acme6_agent_rules',
  help: 'NAT rules the agent has in place on this node (after its last successful sync).',
  registers: [registry],
});
const syncDuration = new Histogram({
  name: 'acme6_agent_sync_duration_seconds',
  help: 'How long one sync of the node rules took, by why it ran.',
  labelNames: ['reason'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
const syncFailures = new Counter({
  name: 'acme6_agent_sync_failures_total',
  help: 'Syncs of the node rules that failed (retried after the minimum interval).',
  labelNames: ['reason'],
  registers: [registry],
});

/** Reports one finished sync: its duration, whether it worked, and the rule count it left in place. */
export function recordAgentSync(result: {
  reason: AgentSyncReason;
  seconds: number;
  ok: boolean;
  /** Rules in place after the sync; leave out when unknown (a failed sync). */
  rules?: number;
}): void {
  syncDuration.observe({ reason: result.reason }, result.seconds);
  if (!result.ok) syncFailures.inc({ reason: result.reason });
  if (result.rules !== undefined) rules.set(result.rules);
}
