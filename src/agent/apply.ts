// Apply layer: read which chains exist, render the whole desired state, write it with one
// `ip6tables-restore --noflush` (which also deletes stale owned chains), then make sure each
// built-in hook has its single jump. Only the jumps use -C/-I: flushing a built-in chain in restore
// input would wipe other tools' rules.
import { Chains, isOwnedChain } from './chains.ts';
import { renderCleanup } from './cleanup.ts';
import type { NatIntent } from './model.ts';
import {
  chainsFromSave,
  jumpRules,
  renderRestore,
  staleChains,
  wantedChains,
  type ChainRef,
  type Table,
} from './render.ts';
import { splitRuleArgs, type NetfilterRunner } from './runner.ts';

/** Options of syncRules (passed on to the renderer). */
export interface SyncOptions {
  /** SNAT pod egress to this address instead of MASQUERADE. */
  readonly snatAddress?: string;
}

/** What one sync did. */
export interface SyncStats {
  /** Owned chains declared (and so rewritten) by the restore. */
  readonly chainsWritten: number;
  /** Stale owned chains the restore deleted. */
  readonly chainsDeleted: readonly ChainRef[];
  /** Hook jumps that were missing and got inserted. */
  readonly jumpsInserted: number;
  /** Size of the restore payload. */
  readonly restoreBytes: number;
}

const TABLES: readonly Table[] = ['nat', 'filter'];

/** Brings the host's owned chains and hook jumps to `intent`; safe to repeat. */
export async function syncRules(
  runner: NetfilterRunner,
  intent: NatIntent,
  options: SyncOptions = {},
): Promise<SyncStats> {
  // Harmless until it publishes: with nothing to publish, nothing of ours stays in the host's tables.
  if (intent.mappings.length === 0) return removeAll(runner);
  const existing: ChainRef[] = [];
  for (const table of TABLES) {
    // Saving one table at a time: chainsFromSave keys on the `*table` header, so both are covered.
    existing.push(...chainsFromSave(await runner.save(table)));
  }
  const wanted = wantedChains(intent);
  const stale = staleChains(existing, wanted);
  const payload = renderRestore(intent, { ...options, existingChains: existing });
  await runner.restore(payload);
  let jumpsInserted = 0;
  for (const jump of jumpRules()) {
    const args = splitRuleArgs(jump.spec);
    if (await runner.check(jump.table, jump.chain, args)) continue;
    await runner.insert(jump.table, jump.chain, args);
    jumpsInserted++;
  }
  return {
    chainsWritten: wanted.length + stale.length,
    chainsDeleted: stale,
    jumpsInserted,
    restoreBytes: Buffer.byteLength(payload),
  };
}

async function removeAll(runner: NetfilterRunner): Promise<SyncStats> {
  const saves = { nat: await runner.save('nat'), filter: await runner.save('filter') };
  const payload = renderCleanup(saves);
  if (payload !== '') await runner.restore(payload);
  const chainsDeleted = TABLES.flatMap((table) =>
    chainsFromSave(saves[table]).filter((c) => c.table === table && isOwnedChain(c.chain)),
  );
  return { chainsWritten: 0, chainsDeleted, jumpsInserted: 0, restoreBytes: Buffer.byteLength(payload) };
}

/**
 * True while the canary chain exists in every table we write and every hook jump is in place. A
 * `-t nat -F` keeps (empty) chains but drops the jumps, so both are checked; false means resync.
 */
export async function canaryPresent(runner: NetfilterRunner): Promise<boolean> {
  for (const table of TABLES) {
    const chains = chainsFromSave(await runner.save(table));
    if (!chains.some((c) => c.table === table && c.chain === Chains.canary)) return false;
  }
  for (const jump of jumpRules()) {
    if (!(await runner.check(jump.table, jump.chain, splitRuleArgs(jump.spec)))) return false;
  }
  return true;
}

/** Why a sync runs (as SyncReason): only a `change` may be skipped. */
export type ApplyReason = 'change' | 'resync' | 'canary';

/**
 * syncRules with memory: a `change` whose rendered rules equal the last ones applied is skipped
 * (no save, no restore, no check), since the canary and the periodic resync cover drift. Resync and
 * canary syncs always apply.
 */
export class RuleSyncer {
  private lastApplied: string | undefined;
  private readonly runner: NetfilterRunner;
  private readonly options: SyncOptions;

  constructor(runner: NetfilterRunner, options: SyncOptions = {}) {
    this.runner = runner;
    this.options = options;
  }

  /** Applies `intent`; undefined when skipped because nothing changed. */
  async sync(intent: NatIntent, reason: ApplyReason): Promise<SyncStats | undefined> {
    // The payload without host state is a fingerprint of everything we would write.
    const fingerprint = intent.mappings.length === 0 ? '' : renderRestore(intent, this.options);
    if (reason === 'change' && fingerprint === this.lastApplied) return undefined;
    this.lastApplied = undefined;
    const stats = await syncRules(this.runner, intent, this.options);
    this.lastApplied = fingerprint;
    return stats;
  }
}
