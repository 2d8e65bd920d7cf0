import { describe, expect, it } from 'vitest';
import { enqueueKeys } from './handlers.ts';
import { WorkQueue } from './workqueue.ts';
import { FakeClock } from './clock.ts';

type Secret = { metadata?: { name?: string; namespace?: string; ownerName?: string } };

describe('enqueueKeys', () => {
  it('queues the object key on add, update and delete', () => {
    const queue = new WorkQueue({ clock: new FakeClock() });
    const handler = enqueueKeys<Secret>(queue);
    handler.onAdd?.({ metadata: { namespace: 'n', name: 'a' } });
    handler.onUpdate?.(
      { metadata: { namespace: 'n', name: 'b' } },
      { metadata: { namespace: 'n', name: 'b' } },
    );
    handler.onDelete?.({ metadata: { namespace: 'n', name: 'c' } });
    expect(queue.len()).toBe(3);
  });

  it('queues the keys a mapping function returns, and nothing for undefined', () => {
    const added: string[] = [];
    const handler = enqueueKeys<Secret>({ add: (key) => added.push(key) }, (secret) =>
      secret.metadata?.ownerName ? [`n/${secret.metadata.ownerName}`, 'n/audit'] : undefined,
    );
    handler.onAdd?.({ metadata: { name: 'tls', ownerName: 'www' } });
    handler.onAdd?.({ metadata: { name: 'unrelated' } });
    expect(added).toEqual(['n/www', 'n/audit']);
  });
});
