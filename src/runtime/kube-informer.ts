import { ListWatch, Watch } from '@kubernetes/client-node';
import type { KubeConfig, KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';
import { ResilientInformer } from './informer.ts';
import type { ListWatchFactory, ResilientInformerOptions } from './informer.ts';

/** Server-side filters applied to both the list and the watch. */
export interface Selectors {
  labelSelector?: string;
  fieldSelector?: string;
}

/** One list request: the selectors plus the page wanted (client-node's parameter names). */
export interface ListRequest extends Selectors {
  limit?: number;
  _continue?: string;
}

/**
 * Lists the resource with the given selectors and page,
 * e.g. `(s) => api.listNamespacedSecret({ namespace, ...s })`.
 */
export type SelectingListFn<T extends KubernetesObject> = (
  request: ListRequest,
) => Promise<KubernetesListObject<T>>;

/** Objects per list response, as client-go's informers ask (its reflector's default page size). */
export const DEFAULT_LIST_PAGE_SIZE = 500;

/** Options of `createKubeInformer`: the informer's tuning, the selectors and the list page size. */
export type KubeInformerOptions<T extends KubernetesObject> = Omit<
  ResilientInformerOptions<T>,
  'list' | 'listWatchFactory'
> &
  Selectors & {
    /** Objects per list response (default 500; 0 lists everything in one response). */
    listPageSize?: number;
  };

/** List metadata as client-node's models name it (`_continue`) or as custom objects arrive (`continue`). */
interface RawListMeta {
  resourceVersion?: string;
  _continue?: string;
  continue?: string;
  remainingItemCount?: number;
}

const continueToken = (page: { metadata?: object }): string | undefined => {
  const meta = page.metadata as RawListMeta | undefined;
  return meta?._continue || meta?.continue || undefined;
};

/**
 * Lists every object in pages of `pageSize` (`limit` + `continue`), trimming each page with `prune`
 * as it arrives, and returns them as one list with the last page's resourceVersion (the apiserver
 * serves all pages of one list from the same snapshot). One response for 10,000 objects is tens of
 * MB of JSON, held at once as text, parsed JSON and client-node's model copies of it; a page is 500.
 */
export async function listInPages<T extends KubernetesObject>(
  list: SelectingListFn<T>,
  selectors: Selectors,
  pageSize: number,
  prune: (obj: T) => void = (): void => {},
): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let page: KubernetesListObject<T>;
  let token: string | undefined;
  do {
    page = await list({
      ...selectors,
      ...(pageSize > 0 ? { limit: pageSize } : {}),
      ...(token ? { _continue: token } : {}),
    });
    for (const obj of page.items) {
      prune(obj);
      items.push(obj);
    }
    token = continueToken(page);
  } while (token);
  const {
    _continue: _token,
    continue: _rawToken,
    remainingItemCount: _left,
    ...metadata
  } = (page.metadata ?? {}) as RawListMeta;
  return { ...page, metadata, items };
}

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
 * as the watch, so the cache never mixes a filtered watch with an unfiltered list, and is called
 * once per page.
 */
export function createKubeInformer<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  path: string,
  list: SelectingListFn<T>,
  options: KubeInformerOptions<T>,
): ResilientInformer<T> {
  const { labelSelector, fieldSelector, listPageSize, ...informerOptions } = options;
  const selectors: Selectors = {};
  if (labelSelector !== undefined) selectors.labelSelector = labelSelector;
  if (fieldSelector !== undefined) selectors.fieldSelector = fieldSelector;
  return new ResilientInformer<T>({
    ...informerOptions,
    list: () => listInPages(list, selectors, listPageSize ?? DEFAULT_LIST_PAGE_SIZE, informerOptions.prune),
    listWatchFactory: listWatchFactory<T>(kubeConfig, path, selectors),
  });
}
