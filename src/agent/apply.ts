// Apply layer: read which chains exist, render the whole desired state, write it with one
// `ip6tables-restore --noflush` (which also deletes stale owned chains), then make sure each
// built-in hook has its single jump. Only the jumps use -C/-I: flushing a built-in chain in restore
// input would wipe other tools' rules.
import { isOwnedChain } from './chains.ts';
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

/** Owned chains known to be on the host (what the last sync left), so no save is needed. */
export type KnownChains = readonly ChainRef[];

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
  known?: KnownChains,
): Promise<SyncStats> {
  // Harmless until it publishes: with nothing to publish, nothing of ours stays in the host's tables.
  if (intent.mappings.length === 0) return removeAll(runner);
  const existing: ChainRef[] = known === undefined ? [] : [...known];
  // Without `known`, the host is asked: saving one table at a time (chainsFromSave keys on the
  // `*table` header, so both are covered). On a big or busy host these saves are most of the cost.
  for (const table of known === undefined ? TABLES : []) {
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
 * The canary: true while our rules are still hooked in, i.e. each built-in hook has our jump and each
 * chain a hook jumps to still has rules. A `-t nat -F` keeps (empty) chains but drops the jumps; a
 * restore without --noflush by another tool (kube-proxy, firewalld) drops our jumps and chains; a
 * flush of one of our chains empties it: each makes this false, which means resync. (A jump cannot
 * point at a missing chain, so this also covers the ACME6-CANARY chain's old job.) Lists only these
 * chains (`-S CHAIN`) and never saves a whole table, which costs up to seconds on ip6tables-nft with
 * tens of thousands of foreign nat rules (docs/agent.md, "The canary").
 */
export async function canaryPresent(runner: NetfilterRunner): Promise<boolean> {
  for (const jump of jumpRules()) {
    const hook = await runner.list(jump.table, jump.chain);
    if (hook === undefined || !listsRule(hook, jump.chain, jump.spec)) return false;
    const target = await runner.list(jump.table, jump.target);
    if (target === undefined || !/^-A /m.test(target)) return false;
  }
  return true;
}

/** True if `-S CHAIN` output holds `-A CHAIN SPEC` (whitespace-insensitive). */
function listsRule(listing: string, chain: string, spec: string): boolean {
  const want = `-A ${chain} ${spec}`.replace(/\s+/g, ' ');
  return listing.split('\n').some((line) => line.trim().replace(/\s+/g, ' ') === want);
}

/** Why a sync runs (as SyncReason): only a `change` may be skipped. */
export type ApplyReason = 'change' | 'resync' | 'canary';

/**
 * syncRules with memory: a `change` whose rendered rules equal the last ones applied is skipped
 * (no save, no restore, no check), since the canary and the periodic resync cover drift. Resync and
 * canary syncs always apply. A `change` that applies trusts the chains the last sync left instead
 * of saving both tables; if someone removed one meanwhile, the restore fails, the memory is
 * dropped, and the retry (like every resync and canary sync) saves.
 */
export class RuleSyncer {
  private lastApplied: string | undefined;
  private chainsLeft: KnownChains | undefined;
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
    const known = reason === 'change' ? this.chainsLeft : undefined;
    this.chainsLeft = undefined;
    const stats = await syncRules(this.runner, intent, this.options, known);
    this.lastApplied = fingerprint;
    this.chainsLeft = intent.mappings.length === 0 ? [] : wantedChains(intent);
    return stats;
  }
}
