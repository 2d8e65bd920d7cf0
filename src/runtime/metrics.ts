// Hook contracts the runtime reports through. They keep prom-client out of the runtime: a separate
// wiring module implements them with the controller-runtime metric names (toolchain notes §6).
// Every method is optional so a test or a caller can implement only what it needs.

/** Observations from one WorkQueue (maps to the `workqueue_*{name}` metrics). */
export interface WorkQueueMetrics {
  /** The number of keys ready to be handed out changed. */
  depth?(keys: number): void;
  /** A key was newly queued or marked to run again (adds that collapse into a queued key are not counted). */
  added?(): void;
  /** A key was re-added through `addRateLimited`. */
  retried?(): void;
  /** A key waited this long between being queued and being handed to a worker. */
  queueLatency?(seconds: number): void;
  /** A worker held a key this long between `get` and `done`. */
  workDuration?(seconds: number): void;
}

/** How one reconcile ended. */
export type ReconcileOutcome = 'success' | 'error' | 'requeue_after' | 'terminal';

/** Observations from one Controller (maps to the `controller_runtime_*{controller}` metrics). */
export interface ControllerMetrics {
  /** A reconcile finished with this outcome after this long. */
  reconciled?(outcome: ReconcileOutcome, seconds: number): void;
  /** The number of workers currently inside a reconcile changed. */
  activeWorkers?(workers: number): void;
}

/** Why an informer replaced its underlying list+watch. */
export type InformerRestartReason = 'error' | 'relist' | 'watchdog';

/** Observations from one ResilientInformer. */
export interface InformerMetrics {
  /** The underlying list+watch was replaced (for `error`, after the backoff wait). */
  restarted?(reason: InformerRestartReason): void;
  /** A full list succeeded and the cache now holds this many objects. */
  listed?(objects: number): void;
}
