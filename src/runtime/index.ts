// The public surface of acme6's controller runtime.
export { Backoff, exponentialDelay } from './backoff.ts';
export { FakeClock, realClock } from './clock.ts';
export type { Cancel, Clock } from './clock.ts';
export { Controller } from './controller.ts';
export type { ControllerOptions, Reconciler, Result } from './controller.ts';
export { TerminalError, isTerminalError } from './errors.ts';
export { enqueueKeys } from './handlers.ts';
export type { KeySink, KeysOf } from './handlers.ts';
export { ResilientInformer } from './informer.ts';
export type {
  InformerHandler,
  ListFn,
  ListWatchEvents,
  ListWatchFactory,
  ListWatchRun,
  ResilientInformerOptions,
} from './informer.ts';
export { objectKey, parseKey } from './keys.ts';
export type { ObjectIdentity, ObjectRef } from './keys.ts';
export { createKubeInformer, listWatchFactory } from './kube-informer.ts';
export type { KubeInformerOptions, SelectingListFn, Selectors } from './kube-informer.ts';
export { silentLogger } from './logger.ts';
export type { Logger } from './logger.ts';
export type {
  ControllerMetrics,
  InformerMetrics,
  InformerRestartReason,
  ReconcileOutcome,
  WorkQueueMetrics,
} from './metrics.ts';
export { ObjectCache } from './object-cache.ts';
export type { CacheChange } from './object-cache.ts';
export {
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  TokenBucketRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter.ts';
export type { ControllerRateLimiterOptions, RateLimiter } from './rate-limiter.ts';
export { WorkQueue } from './workqueue.ts';
export type { WorkQueueOptions } from './workqueue.ts';
