// Kubernetes Events on the objects acme6 works on: what `kubectl describe` shows a user.
// Like client-go's correlator, a repeat of the same event within the window bumps the count of
// the existing Event instead of creating another, so a retry loop cannot flood the namespace.
import { hostname } from 'node:os';
import { CoreV1Api, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import { boundedText, MAX_MESSAGE } from '../api/bounded-text.ts';
import type { Clock } from '../runtime/clock.ts';
import { realClock } from '../runtime/clock.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { apiErrorMessage, isNotFound } from './errors.ts';
import { describeRef, type ObjectRef } from './object-ref.ts';

/** Records Events about objects; never throws (an Event is worth less than the work it reports). */
export interface EventRecorder {
  normal(ref: ObjectRef, reason: string, message: string): void;
  warning(ref: ObjectRef, reason: string, message: string): void;
}

/** Options of the Kubernetes-backed recorder. */
export interface KubeEventRecorderOptions {
  component: string;
  clock?: Clock;
  logger?: Logger;
  /** Repeats within this window update one Event (default 10 minutes). */
  windowMs?: number;
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  firstSeen: number;
}

const maxTracked = 4096;

/** An EventRecorder writing core/v1 Events, aggregating repeats. */
export class KubeEventRecorder implements EventRecorder {
  private readonly api: CoreV1Api;
  private readonly component: string;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly windowMs: number;
  private readonly seen = new Map<string, Seen>();
  private pending: Promise<void> = Promise.resolve();

  constructor(kubeConfig: KubeConfig, options: KubeEventRecorderOptions) {
    this.api = kubeConfig.makeApiClient(CoreV1Api);
    this.component = options.component;
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? silentLogger;
    this.windowMs = options.windowMs ?? 10 * 60_000;
  }

  normal(ref: ObjectRef, reason: string, message: string): void {
    this.record(ref, 'Normal', reason, message);
  }

  warning(ref: ObjectRef, reason: string, message: string): void {
    this.record(ref, 'Warning', reason, message);
  }

  /** Resolves once every Event recorded so far has been written (for tests and shutdown). */
  flush(): Promise<void> {
    return this.pending;
  }

  private record(ref: ObjectRef, type: string, reason: string, text: string): void {
    // Messages quote CAs and DNS APIs; a huge one would be rejected or bloat etcd.
    const message = boundedText(text, MAX_MESSAGE);
    // Serialised so that a repeat always finds the Event its predecessor created.
    this.pending = this.pending.then(() =>
      this.write(ref, type, reason, message).catch((err: unknown) =>
        this.logger.warn(
          { object: describeRef(ref), reason, error: apiErrorMessage(err) },
          'could not record event',
        ),
      ),
    );
  }

  private async write(ref: ObjectRef, type: string, reason: string, message: string): Promise<void> {
    const now = this.clock.now();
    const key = [ref.uid ?? describeRef(ref), type, reason, message].join('\u0000');
    const previous = this.seen.get(key);
    if (previous && now.getTime() - previous.firstSeen < this.windowMs) {
      previous.count += 1;
      try {
        await this.api.patchNamespacedEvent(
          {
            name: previous.name,
            namespace: previous.namespace,
            body: { count: previous.count, lastTimestamp: now.toISOString() },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        );
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    // Events of cluster-scoped objects live in "default", as client-go records them.
    const namespace = ref.namespace ?? 'default';
    const created = await this.api.createNamespacedEvent({
      namespace,
      body: {
        metadata: { generateName: `${ref.name}.`, namespace },
        involvedObject: {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          name: ref.name,
          ...(ref.namespace ? { namespace: ref.namespace } : {}),
          ...(ref.uid ? { uid: ref.uid } : {}),
        },
        type,
        reason,
        message,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: this.component },
        reportingComponent: this.component,
        reportingInstance: hostname(),
      },
    });
    if (this.seen.size >= maxTracked) this.seen.delete(this.seen.keys().next().value as string);
    this.seen.set(key, { name: created.metadata?.name ?? '', namespace, count: 1, firstSeen: now.getTime() });
  }
}
