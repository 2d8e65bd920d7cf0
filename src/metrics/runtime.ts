// The runtime's metric hooks implemented with controller-runtime's metric names, so dashboards and
// alerts written for Go operators (workqueue_*, controller_runtime_*) work unchanged. Label values
// are controller and queue names: a fixed, small set.
import { Counter, Gauge, Histogram } from 'prom-client';
import type {
  ControllerMetrics,
  InformerMetrics,
  ReconcileOutcome,
  WorkQueueMetrics,
} from '../runtime/metrics.ts';
import { registry } from './registry.ts';

const registers = [registry];
// controller-runtime's buckets for reconcile time; workqueue durations span microseconds to hours.
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60];
const QUEUE_BUCKETS = [0.001, 0.01, 0.1, 1, 10, 60, 600, 3600];

const depth = new Gauge({
  name: 'workqueue_depth',
  help: 'Current depth of the work queue.',
  labelNames: ['name'],
  registers,
});
const adds = new Counter({
  name: 'workqueue_adds_total',
  help: 'Keys added to the work queue (adds that collapse into a queued key are not counted).',
  labelNames: ['name'],
  registers,
});
const retries = new Counter({
  name: 'workqueue_retries_total',
  help: 'Rate-limited re-adds (retries after a failed reconcile).',
  labelNames: ['name'],
  registers,
});
const queueDuration = new Histogram({
  name: 'workqueue_queue_duration_seconds',
  help: 'How long a key waited in the queue before a worker took it.',
  labelNames: ['name'],
  buckets: QUEUE_BUCKETS,
  registers,
});
const workDuration = new Histogram({
  name: 'workqueue_work_duration_seconds',
  help: 'How long a worker held a key.',
  labelNames: ['name'],
  buckets: QUEUE_BUCKETS,
  registers,
});
const reconcileTotal = new Counter({
  name: 'controller_runtime_reconcile_total',
  help: 'Reconciles per controller and result (success, error, requeue_after, terminal).',
  labelNames: ['controller', 'result'],
  registers,
});
const reconcileErrors = new Counter({
  name: 'controller_runtime_reconcile_errors_total',
  help: 'Reconciles that failed (retried with backoff, or terminal).',
  labelNames: ['controller'],
  registers,
});
const reconcileTime = new Histogram({
  name: 'controller_runtime_reconcile_time_seconds',
  help: 'How long a reconcile took.',
  labelNames: ['controller'],
  buckets: RECONCILE_BUCKETS,
  registers,
});
const activeWorkers = new Gauge({
  name: 'controller_runtime_active_workers',
  help: 'Workers currently inside a reconcile.',
  labelNames: ['controller'],
  registers,
});
const informerRestarts = new Counter({
  name: 'acme6_informer_restarts_total',
  help: 'Times an informer replaced its list+watch (reason: error, relist, watchdog).',
  labelNames: ['informer', 'reason'],
  registers,
});
const informerObjects = new Gauge({
  name: 'acme6_informer_objects',
  help: 'Objects in the informer cache after its last full list.',
  labelNames: ['informer'],
  registers,
});
const leaderStatus = new Gauge({
  name: 'leader_election_master_status',
  help: '1 while this process holds the leader election lease, else 0.',
  labelNames: ['name'],
  registers,
});

/** Hooks for the WorkQueue named `name` (a controller's name). */
export function workQueueMetrics(name: string): WorkQueueMetrics {
  const labels = { name };
  depth.set(labels, 0);
  adds.inc(labels, 0);
  retries.inc(labels, 0);
  return {
    depth: (keys) => depth.set(labels, keys),
    added: () => adds.inc(labels),
    retried: () => retries.inc(labels),
    queueLatency: (seconds) => queueDuration.observe(labels, seconds),
    workDuration: (seconds) => workDuration.observe(labels, seconds),
  };
}

/** Hooks for the Controller named `controller`. */
export function controllerMetrics(controller: string): ControllerMetrics {
  reconcileErrors.inc({ controller }, 0);
  activeWorkers.set({ controller }, 0);
  return {
    reconciled(outcome: ReconcileOutcome, seconds: number) {
      reconcileTotal.inc({ controller, result: outcome });
      if (outcome === 'error' || outcome === 'terminal') reconcileErrors.inc({ controller });
      reconcileTime.observe({ controller }, seconds);
    },
    activeWorkers: (workers) => activeWorkers.set({ controller }, workers),
  };
}

/** Hooks for the informer named `informer`. */
export function informerMetrics(informer: string): InformerMetrics {
  return {
    restarted: (reason) => informerRestarts.inc({ informer, reason }),
    listed: (objects) => informerObjects.set({ informer }, objects),
  };
}

/** Sets `leader_election_master_status{name}`. */
export function setLeaderStatus(name: string, leading: boolean): void {
  leaderStatus.set({ name }, leading ? 1 : 0);
}
