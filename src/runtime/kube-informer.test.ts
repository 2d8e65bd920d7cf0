import { KubeConfig, ListWatch } from '@kubernetes/client-node';
import type { KubernetesListObject, KubernetesObject, Watch } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { ResilientInformer } from './informer.ts';
import { createKubeInformer, listInPages, listWatchFactory } from './kube-informer.ts';
import type { ListRequest, Selectors } from './kube-informer.ts';
import { settle } from './testing.ts';

type Obj = KubernetesObject;
type WatchCallback = (phase: string, apiObj: Obj) => void;

function obj(name: string, resourceVersion: string): Obj {
  return { metadata: { name, namespace: 'default', resourceVersion } };
}

function kubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromOptions({
    clusters: [{ name: 'unused', server: 'https://127.0.0.1:1', skipTLSVerify: false }],
    users: [{ name: 'nobody' }],
    contexts: [{ name: 'unused', cluster: 'unused', user: 'nobody' }],
    currentContext: 'unused',
  });
  return config;
}

/** Stands in for client-node's Watch: records each watch request and lets the test drive the stream. */
class FakeWatch {
  readonly requests: { path: string; params: Record<string, unknown> }[] = [];
  private callback: WatchCallback | undefined;
  private done: ((error: unknown) => void) | undefined;

  watch(
    path: string,
    params: Record<string, unknown>,
    callback: WatchCallback,
    done: (error: unknown) => void,
  ): Promise<AbortController> {
    this.requests.push({ path, params });
    this.callback = callback;
    this.done = done;
    const controller = new AbortController();
    // Like the real Watch, aborting the request ends the stream with an AbortError.
    controller.signal.addEventListener('abort', () =>
      queueMicrotask(() => done(new DOMException('This operation was aborted', 'AbortError'))),
    );
    return Promise.resolve(controller);
  }

  event(phase: string, apiObj: Obj): void {
    this.callback?.(phase, apiObj);
  }

  fail(error: unknown): void {
    this.done?.(error);
  }

  asWatch(): Watch {
    return this as unknown as Watch;
  }
}

function listOf(items: Obj[], resourceVersion: string): KubernetesListObject<Obj> {
  return { items, metadata: { resourceVersion } };
}

describe('client-node ListWatch (the behaviour ResilientInformer relies on)', () => {
  it('does not relist when the same instance is stopped and started, but a fresh instance does', async () => {
    const watch = new FakeWatch();
    let lists = 0;
    const list = (): Promise<KubernetesListObject<Obj>> => {
      lists++;
      return Promise.resolve(listOf([obj('a', '5')], '5'));
    };
    const listWatch = new ListWatch<Obj>('/api/v1/things', watch.asWatch(), list, false);
    await listWatch.start();
    await listWatch.stop();
    await listWatch.start();
    expect(lists).toBe(1);
    expect(watch.requests.map((request) => request.params.resourceVersion)).toEqual(['5', '5']);

    const fresh = new ListWatch<Obj>('/api/v1/things', watch.asWatch(), list, false);
    await fresh.start();
    expect(lists).toBe(2);
    await listWatch.stop();
    await fresh.stop();
  });
});

describe('listWatchFactory + ResilientInformer over a real ListWatch', () => {
  it('syncs, follows the watch, relists after an error and ignores the abort caused by stop', async () => {
    const clock = new FakeClock();
    const watches: FakeWatch[] = [];
    let served = [obj('a', '1'), obj('b', '1')];
    const selectors: Selectors = { labelSelector: 'acme6.example/managed=true' };
    const informer = new ResilientInformer<Obj>({
      name: 'things',
      clock,
      list: () => Promise.resolve(listOf(served, '10')),
      listWatchFactory: listWatchFactory<Obj>(kubeConfig(), '/api/v1/things', selectors, () => {
        const watch = new FakeWatch();
        watches.push(watch);
        return watch.asWatch();
      }),
    });
    const deleted: string[] = [];
    informer.addHandler({ onDelete: (o) => deleted.push(o.metadata?.name ?? '') });

    informer.start();
    await expect(informer.waitForSync()).resolves.toBe(true);
    expect(watches[0]?.requests[0]?.params).toMatchObject({
      resourceVersion: '10',
      labelSelector: 'acme6.example/managed=true',
    });

    watches[0]?.event('ADDED', obj('c', '11'));
    expect(informer.get('c', 'default')).toBeDefined();

    served = [obj('a', '1'), obj('c', '11')];
    watches[0]?.fail(new Error('read ECONNRESET'));
    await settle();
    clock.advance(1000);
    await settle();
    expect(watches).toHaveLength(2);
    expect(deleted).toEqual(['b']);

    await informer.stop();
    await settle();
    expect(clock.pendingTimers()).toBe(0);
    expect(watches).toHaveLength(2);
  });
});

describe('createKubeInformer', () => {
  it('lists with the same selectors it watches with', async () => {
    const clock = new FakeClock();
    const seen: Selectors[] = [];
    const informer = createKubeInformer<Obj>(
      kubeConfig(),
      '/api/v1/namespaces/default/secrets',
      (selectors) => {
        seen.push(selectors);
        // Failing the list keeps the ListWatch from ever opening a connection.
        return Promise.reject(new Error('no apiserver in unit tests'));
      },
      { name: 'secrets', clock, labelSelector: 'app=acme6', fieldSelector: 'type=kubernetes.io/tls' },
    );
    informer.start();
    await settle();
    expect(seen).toEqual([
      { labelSelector: 'app=acme6', fieldSelector: 'type=kubernetes.io/tls', limit: 500 },
    ]);
    await informer.stop();
  });

  it('lists a large collection in pages of 500 and caches every object of every page', async () => {
    const served = pagingServer(1234, '77');
    const informer = createKubeInformer<Obj>(kubeConfig(), '/api/v1/secrets', served.list, {
      name: 'secrets',
      clock: new FakeClock(),
      labelSelector: 'app=acme6',
      prune: (o) => delete o.metadata!.labels,
    });
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    await informer.stop();
    expect(informer.list()).toHaveLength(1234);
    expect(informer.get('obj-1233', 'default')?.metadata?.labels).toBeUndefined();
    // No single response carried the whole collection.
    expect(Math.max(...served.responseSizes)).toBe(500);
    expect(served.responseSizes).toEqual([500, 500, 234]);
    expect(served.requests.every((r) => r.labelSelector === 'app=acme6')).toBe(true);
  });
});

/** Serves `count` objects like the apiserver: `limit` objects per response, then a continue token. */
function pagingServer(
  count: number,
  resourceVersion: string,
  tokenField: 'continue' | '_continue' = '_continue',
) {
  const all = Array.from({ length: count }, (_, i) => ({
    metadata: { name: `obj-${i}`, namespace: 'default', resourceVersion: String(i + 1), labels: { a: 'b' } },
  }));
  const requests: ListRequest[] = [];
  const responseSizes: number[] = [];
  const list = (request: ListRequest): Promise<KubernetesListObject<Obj>> => {
    requests.push(request);
    const from = request._continue ? Number(request._continue) : 0;
    const to = request.limit ? Math.min(count, from + request.limit) : count;
    const items = all.slice(from, to).map((o) => structuredClone(o));
    responseSizes.push(items.length);
    const metadata: Record<string, unknown> = { resourceVersion };
    if (to < count) Object.assign(metadata, { [tokenField]: String(to), remainingItemCount: count - to });
    return Promise.resolve({ metadata, items } as KubernetesListObject<Obj>);
  };
  return { list, requests, responseSizes };
}

describe('listInPages', () => {
  it('follows continue tokens as client-node models and raw custom objects spell them', async () => {
    for (const field of ['continue', '_continue'] as const) {
      const served = pagingServer(5, '9', field);
      const listed = await listInPages(served.list, { fieldSelector: 'x=y' }, 2);
      expect(listed.items.map((o) => o.metadata?.name)).toEqual([
        'obj-0',
        'obj-1',
        'obj-2',
        'obj-3',
        'obj-4',
      ]);
      expect(listed.metadata).toEqual({ resourceVersion: '9' });
      expect(served.requests).toEqual([
        { fieldSelector: 'x=y', limit: 2 },
        { fieldSelector: 'x=y', limit: 2, _continue: '2' },
        { fieldSelector: 'x=y', limit: 2, _continue: '4' },
      ]);
    }
  });

  it('asks for everything at once when the page size is 0', async () => {
    const served = pagingServer(3, '1');
    expect((await listInPages(served.list, {}, 0)).items).toHaveLength(3);
    expect(served.requests).toEqual([{}]);
  });
});
