// A metadata-only informer (PartialObjectMetadata, as client-go's metadatainformer): the apiserver
// sends only each object's metadata, and each object is projected further before it is cached.
// client-node 2.0.1 has no option for the Accept header of a watch, so the Watch gets a KubeConfig
// view that adds it after authentication; the list passes it as a request header.
import type { KubeConfig } from '@kubernetes/client-node';
import {
  setHeaderOptions,
  Watch,
  type ConfigurationOptions,
  type KubernetesListObject,
  type KubernetesObject,
  type RequestContext,
} from '@kubernetes/client-node';
import type { Clock } from '../runtime/clock.ts';
import { ResilientInformer } from '../runtime/informer.ts';
import { listWatchFactory } from '../runtime/kube-informer.ts';
import type { Logger } from '../runtime/logger.ts';

/** Accept header of a metadata-only list. */
export const METADATA_LIST_ACCEPT = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1';
/** Accept header of a metadata-only watch (each event carries one PartialObjectMetadata). */
export const METADATA_WATCH_ACCEPT = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1';

/** Request options that make a generated list call ask for metadata only. */
export const metadataListOptions = (): ConfigurationOptions =>
  setHeaderOptions('Accept', METADATA_LIST_ACCEPT);

/** A view of `kubeConfig` whose requests ask for `accept`; everything else is the original's. */
export function withAccept(kubeConfig: KubeConfig, accept: string): KubeConfig {
  return new Proxy(kubeConfig, {
    get(target, prop) {
      if (prop === 'applySecurityAuthentication') {
        return async (context: RequestContext): Promise<void> => {
          await target.applySecurityAuthentication(context);
          context.setHeaderParam('Accept', accept);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** A Watch whose object events are projected (ERROR and BOOKMARK events pass unchanged). */
class ProjectingWatch<T extends KubernetesObject> extends Watch {
  private readonly project: (obj: KubernetesObject) => T;

  constructor(config: KubeConfig, project: (obj: KubernetesObject) => T) {
    super(config);
    this.project = project;
  }

  override watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    return super.watch(
      path,
      queryParams,
      (phase, obj: KubernetesObject, raw) =>
        callback(
          phase,
          phase === 'ADDED' || phase === 'MODIFIED' || phase === 'DELETED' ? this.project(obj) : obj,
          raw,
        ),
      done,
    );
  }
}

/** How to build a metadata informer. */
export interface MetadataInformerOptions<T extends KubernetesObject> {
  name: string;
  /** The collection, e.g. `/api/v1/services`. */
  path: string;
  /** Lists the collection with the given request options (which carry the metadata Accept header). */
  list: (options: ConfigurationOptions) => Promise<KubernetesListObject<KubernetesObject>>;
  /** Reduces each object's metadata to what is kept. */
  project: (obj: KubernetesObject) => T;
  logger: Logger;
  clock: Clock;
}

/** A ResilientInformer over the metadata of every object at `path`, each projected before caching. */
export function createMetadataInformer<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  options: MetadataInformerOptions<T>,
): ResilientInformer<T> {
  const watchConfig = withAccept(kubeConfig, METADATA_WATCH_ACCEPT);
  return new ResilientInformer<T>({
    name: options.name,
    logger: options.logger,
    clock: options.clock,
    list: async () => {
      const listed = await options.list(metadataListOptions());
      return { ...listed, items: listed.items.map((item) => options.project(item)) };
    },
    listWatchFactory: listWatchFactory<T>(
      kubeConfig,
      options.path,
      {},
      () => new ProjectingWatch<T>(watchConfig, options.project),
    ),
  });
}
