// What the agent knows of the cluster's Services, scaled to what it publishes: the metadata of
// every Service (one metadata-only watch, slimmed to identity and acme6's annotations), and, only
// for a Service that asks to be published, its full object (a watch selected by
// `metadata.name` in its namespace) and its EndpointSlices (a watch selected by
// `kubernetes.io/service-name` in its namespace). A node never holds the full objects or slices of
// Services it will not publish, and the apiserver sends it none of their slice churn.
import {
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  type KubernetesObject,
  type V1EndpointSlice,
  type V1Service,
} from '@kubernetes/client-node';
import type { Clock } from '../runtime/clock.ts';
import type { ResilientInformer } from '../runtime/informer.ts';
import { createKubeInformer } from '../runtime/kube-informer.ts';
import type { Logger } from '../runtime/logger.ts';
import { createMetadataInformer } from './metadata-watch.ts';
import {
  serviceKey,
  sliceBelongsTo,
  sliceSelectorOf,
  slimServiceMeta,
  wantsPublishing,
  watchChanges,
  type ServiceMeta,
} from './watch-selection.ts';

type Service = V1Service & KubernetesObject;
type EndpointSlice = V1EndpointSlice & KubernetesObject;

/** The two watches of one Service that asks to be published. */
interface Watched {
  readonly service: ResilientInformer<Service>;
  readonly slices: ResilientInformer<EndpointSlice>;
}

/** Objects held now, for logs and tests (`acme6 agent` logs them as `watching`). */
export interface WatchStats {
  /** Services known by metadata only (every Service of the cluster). */
  readonly serviceMetadata: number;
  /** Services held in full (those that ask to be published). */
  readonly services: number;
  /** EndpointSlices held (only those of Services held in full). */
  readonly endpointSlices: number;
}

/** How to build a PublishedServicesWatch. */
export interface PublishedServicesWatchOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Called on every change the model may care about (a Service or slice held, the wanted set). */
  readonly onChange: () => void;
}

/** Services that ask to be published, in full, and their EndpointSlices. */
export class PublishedServicesWatch {
  private readonly o: PublishedServicesWatchOptions;
  private readonly core: CoreV1Api;
  private readonly discovery: DiscoveryV1Api;
  private readonly metadata: ResilientInformer<ServiceMeta>;
  private readonly watched = new Map<string, Watched>();
  private stopped = false;
  private loggedStats = '';

  constructor(options: PublishedServicesWatchOptions) {
    this.o = options;
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.discovery = options.kubeConfig.makeApiClient(DiscoveryV1Api);
    this.metadata = createMetadataInformer<ServiceMeta>(options.kubeConfig, {
      name: 'service-metadata',
      path: '/api/v1/services',
      list: (requestOptions) => this.core.listServiceForAllNamespaces({}, requestOptions),
      project: slimServiceMeta,
      logger: options.logger,
      clock: options.clock,
    });
  }

  /** Watches metadata, then the Services that ask to be published; resolves once all have listed. */
  async start(signal?: AbortSignal): Promise<void> {
    // One Service at a time once synced; the first full pass runs below.
    const one = (meta: ServiceMeta, exists: boolean): void => {
      if (!this.metadata.hasSynced()) return;
      const key = serviceKey(meta);
      const wanted = exists && wantsPublishing(meta) ? [key] : [];
      this.apply(watchChanges(this.watched.has(key) ? [key] : [], wanted));
    };
    this.metadata.addHandler({
      onAdd: (meta) => one(meta, true),
      onUpdate: (meta) => one(meta, true),
      onDelete: (meta) => one(meta, false),
    });
    this.metadata.start();
    if (!(await this.metadata.waitForSync(signal))) throw new Error('informer service-metadata did not sync');
    this.reconcile();
    // The first sync must see every published Service whole, or it would tear down their rules.
    for (const [key, w] of this.watched) {
      for (const informer of [w.service, w.slices] as const) {
        if (!(await (informer as ResilientInformer<KubernetesObject>).waitForSync(signal)))
          throw new Error(`informer ${informer.name} of ${key} did not sync`);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const watches = [...this.watched.values()];
    this.watched.clear();
    await Promise.all([this.metadata.stop(), ...watches.flatMap((w) => [w.service.stop(), w.slices.stop()])]);
  }

  /** Full objects of the Services that ask to be published. */
  services(): V1Service[] {
    const out: V1Service[] = [];
    for (const [key, w] of this.watched) {
      const [namespace, name] = splitKey(key);
      const service = w.service.get(name, namespace);
      if (service !== undefined) out.push(service);
    }
    return out;
  }

  /** EndpointSlices of the Services that ask to be published. */
  endpointSlices(): V1EndpointSlice[] {
    return [...this.watched].flatMap(([key, w]) => w.slices.list().filter((s) => sliceBelongsTo(s, key)));
  }

  /** Identity of any Service of the cluster (`namespace/name`), e.g. to point an Event at it. */
  serviceMeta(key: string): ServiceMeta | undefined {
    const [namespace, name] = splitKey(key);
    return this.metadata.get(name, namespace);
  }

  stats(): WatchStats {
    let endpointSlices = 0;
    let services = 0;
    for (const w of this.watched.values()) {
      services += w.service.list().length;
      endpointSlices += w.slices.list().length;
    }
    return { serviceMetadata: this.metadata.list().length, services, endpointSlices };
  }

  /** Starts the watches of every Service that asks to be published and stops the others'. */
  private reconcile(): void {
    this.apply(
      watchChanges(this.watched.keys(), this.metadata.list().filter(wantsPublishing).map(serviceKey)),
    );
  }

  private apply({ start, stop }: { start: string[]; stop: string[] }): void {
    if (this.stopped || (start.length === 0 && stop.length === 0)) return;
    for (const key of stop) {
      const w = this.watched.get(key);
      this.watched.delete(key);
      if (w) void Promise.all([w.service.stop(), w.slices.stop()]);
    }
    for (const key of start) this.watched.set(key, this.watch(key));
    this.o.logger.info({ started: start, stopped: stop, watched: this.watched.size }, 'published Services');
    this.changed();
  }

  /** Tells the agent, and logs what is held whenever its counts moved (`watching`). */
  private readonly changed = (): void => {
    const stats = this.stats();
    const text = JSON.stringify(stats);
    if (text !== this.loggedStats) {
      this.loggedStats = text;
      this.o.logger.info({ ...stats }, 'watching');
    }
    this.o.onChange();
  };

  private watch(key: string): Watched {
    const [namespace, name] = splitKey(key);
    const common = { logger: this.o.logger, clock: this.o.clock };
    const service = createKubeInformer<Service>(
      this.o.kubeConfig,
      `/api/v1/namespaces/${namespace}/services`,
      (s) => this.core.listNamespacedService({ namespace, ...s }),
      { name: `service ${key}`, fieldSelector: `metadata.name=${name}`, ...common },
    );
    const slices = createKubeInformer<EndpointSlice>(
      this.o.kubeConfig,
      `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
      (s) => this.discovery.listNamespacedEndpointSlice({ namespace, ...s }),
      { name: `endpointslices ${key}`, labelSelector: sliceSelectorOf(name), ...common },
    );
    const changed = { onAdd: this.changed, onUpdate: this.changed, onDelete: this.changed };
    service.addHandler(changed);
    slices.addHandler(changed);
    service.start();
    slices.start();
    return { service, slices };
  }
}

function splitKey(key: string): [namespace: string, name: string] {
  const slash = key.indexOf('/');
  return [key.slice(0, slash), key.slice(slash + 1)];
}
