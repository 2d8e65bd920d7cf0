// Helpers for unit tests of code built on the runtime (not exported from index.ts).

/**
 * Lets pending promise callbacks run: a few turns of the event loop, no timers, no wall-clock
 * waiting. Use after FakeClock.advance or after resolving a fake's promise.
 */
export async function settle(turns = 10): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
}
