import { ListWatch, Watch } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { ResilientInformer } from './informer.ts';
import type { ListWatchFactory, ResilientInformerOptions } from './informer.ts';

/** Server-side filters applied to both the list and the watch. */
export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/** Lists the resource with the given selectors, e.g. `(s) => api.listNamespacedSecret({ namespace, ...s })`. */
export type SelectingListFn<T extends KubernetesObject> = (
  selectors: Selectors,
) => Promise<KubernetesListObject<T>>;

/** Options of `createKubeInformer`: the informer's tuning plus the selectors. */
export type KubeInformerOptions<T extends KubernetesObject> = Omit<
  ResilientInformerOptions<T>,
  'list' | 'listWatchFactory'
> &
  Selectors;

/**
 * A ListWatchFactory that builds client-node ListWatches for `path` (e.g. `/api/v1/secrets`).
 * `makeWatch` exists for tests that drive a real ListWatch over a fake watch stream.
 */
export function listWatchFactory<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  selectors: Selectors = {},
  makeWatch: (kubeConfig: KubeConfig) => Watch = (config) => new Watch(config),
): ListWatchFactory<T> {
  return (list, events) => {
    // autoStart=false: the informer decides when to start.
    const listWatch = new ListWatch<T>(
      path,
      makeWatch(kubeConfig),
      list,
      false,
      selectors.labelSelector,
      selectors.fieldSelector,
    );
    listWatch.on('add', (obj) => events.add(obj));
    listWatch.on('update', (obj) => events.update(obj));
    listWatch.on('delete', (obj) => events.delete(obj));
    listWatch.on('connect', () => events.connect());
    listWatch.on('error', (error: unknown) => events.error(error));
    return listWatch;
  };
}

/**
 * A ResilientInformer for `path` on the cluster in `kubeConfig`. `list` receives the same selectors
 * as the watch, so the cache never mixes a filtered watch with an unfiltered list.
 */
export function createKubeInformer<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  list: SelectingListFn<T>,
  options: KubeInformerOptions<T>,
): ResilientInformer<T> {
  const { labelSelector, fieldSelector, ...informerOptions } = options;
  const selectors: Selectors = {};
  if (labelSelector !== undefined) selectors.labelSelector = labelSelector;
  if (fieldSelector !== undefined) selectors.fieldSelector = fieldSelector;
  return new ResilientInformer<T>({
    ...informerOptions,
    list: () => list(selectors),
    listWatchFactory: listWatchFactory<T>(kubeConfig, path, selectors),
  });
}
