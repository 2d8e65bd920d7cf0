import type { InformerHandler } from './informer.ts';
import { objectKey } from './keys.ts';

/** Where informer handlers put keys: a WorkQueue, or a Controller's queue. */
export interface KeySink {
  add(key: string): void;
}

/** Maps a changed object to the keys to reconcile (none, one, or several, e.g. its owners). */
export type KeysOf<T> = (obj: T) => string | readonly string[] | undefined;

/**
 * An informer handler that queues keys on every add, update and delete (level-based: the
 * reconcile reads the cache, never the event). By default the key is the object's own.
 */
export function enqueueKeys<T extends { metadata?: { name?: string; namespace?: string } }>(
  sink: KeySink,
  keysOf: KeysOf<T> = objectKey,
): InformerHandler<T> {
  const enqueue = (obj: T): void => {
    const keys = keysOf(obj);
    if (keys === undefined) return;
    for (const key of typeof keys === 'string' ? [keys] : keys) sink.add(key);
  };
  return { onAdd: enqueue, onUpdate: enqueue, onDelete: enqueue };
}
