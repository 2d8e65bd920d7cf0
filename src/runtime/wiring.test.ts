import type { KubernetesObject } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock.ts';
import { Controller } from './controller.ts';
import { enqueueKeys } from './handlers.ts';
import { ResilientInformer } from './informer.ts';
import type { ListWatchEvents } from './informer.ts';
import { parseKey } from './keys.ts';
import { settle } from './testing.ts';

type Obj = KubernetesObject & { spec?: { replicas?: number } };

// Informer → queue → controller, the way every acme6 controller is put together: the reconcile
// reads the cache (level-based) and notices deletion by the object being gone.
describe('informer feeding a controller', () => {
  it('reconciles the latest cached state and sees deletions as absence', async () => {
    const clock = new FakeClock();
    let events: ListWatchEvents<Obj> | undefined;
    const informer = new ResilientInformer<Obj>({
      name: 'things',
      clock,
      list: () =>
        Promise.resolve({
          items: [{ metadata: { name: 'a', namespace: 'n', resourceVersion: '1' }, spec: { replicas: 1 } }],
        }),
      listWatchFactory: (list, reported) => {
        events = reported;
        return {
          start: async () => {
            for (const item of (await list()).items) reported.add(item);
          },
          stop: () => Promise.resolve(),
        };
      },
    });
    const observed: string[] = [];
    const controller = new Controller({
      name: 'things',
      clock,
      reconcile: (key) => {
        const { namespace, name } = parseKey(key);
        const current = informer.get(name, namespace);
        observed.push(current ? `${key} replicas=${current.spec?.replicas}` : `${key} gone`);
        return Promise.resolve({});
      },
    });
    informer.addHandler(enqueueKeys(controller.queue));
    informer.start();
    await informer.waitForSync();
    // Updates that arrive while the key is still queued collapse into one reconcile of the newest state.
    events?.update({ metadata: { name: 'a', namespace: 'n', resourceVersion: '2' }, spec: { replicas: 2 } });
    events?.update({ metadata: { name: 'a', namespace: 'n', resourceVersion: '3' }, spec: { replicas: 3 } });
    expect(controller.queue.len()).toBe(1);
    controller.start();
    await settle();
    events?.delete({ metadata: { name: 'a', namespace: 'n', resourceVersion: '4' } });
    await settle();

    expect(observed).toEqual(['n/a replicas=3', 'n/a gone']);
    await controller.stop();
    await informer.stop();
  });
});
