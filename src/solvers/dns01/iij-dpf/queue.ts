// One queue per DPF zone: a read-modify-write of an RRset and the zone-wide commit after it must
// never interleave with another present or cleanUp in the same zone (lego has no such lock).

/** Work per zone key, chained. */
const zoneQueues = new Map<string, Promise<unknown>>();

/** Runs `work` after everything queued under `key` has settled; the entry goes once idle. */
export function serialise<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = zoneQueues.get(key) ?? Promise.resolve();
  const next = previous.then(work, work);
  const tail = next.catch(() => undefined);
  zoneQueues.set(key, tail);
  void tail.then(() => {
    if (zoneQueues.get(key) === tail) zoneQueues.delete(key);
  });
  return next;
}
