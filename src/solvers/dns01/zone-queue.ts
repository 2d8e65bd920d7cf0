// One queue per zone for the IIJ providers: a read-modify-write of a zone's records and the commit
// after it must never interleave with another present or cleanUp of the same zone (lego has no
// such lock). Keys name the API too, so DPF and DO-API zones never wait on each other.

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
