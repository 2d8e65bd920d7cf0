// `acme6 agent --cleanup`: removes every chain with our prefix and every tagged jump we put in a
// built-in chain, in one restore per run (atomic), and nothing else. Jumps are found in the save
// output by their comment, so even jumps from an older agent version with another spec go.
import { isOwnedChain } from './chains.ts';
import { chainsFromSave, HOOK_COMMENT, type Table } from './render.ts';
import type { NetfilterRunner } from './runner.ts';

const TABLES: readonly Table[] = ['nat', 'filter'];

/** The restore payload that removes our chains and tagged jumps from the given saves; '' if none. */
export function renderCleanup(saves: Readonly<Record<Table, string>>): string {
  const out: string[] = [];
  for (const table of TABLES) {
    const save = saves[table];
    const owned = chainsFromSave(save)
      .filter((c) => c.table === table && isOwnedChain(c.chain))
      .map((c) => c.chain);
    // A saved rule is `-A CHAIN spec`; the same spec after -D deletes it.
    const jumps = save
      .split('\n')
      .filter((l) => l.startsWith('-A ') && l.includes(`"${HOOK_COMMENT}"`))
      .filter((l) => !isOwnedChain(l.split(' ')[1] ?? ''))
      .map((l) => `-D ${l.slice(3)}`);
    if (owned.length === 0 && jumps.length === 0) continue;
    // Declaring a chain flushes it, so references between our chains are gone before -X.
    out.push(
      `*${table}`,
      ...owned.map((c) => `:${c} - [0:0]`),
      ...jumps,
      ...owned.map((c) => `-X ${c}`),
      'COMMIT',
    );
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/** Removes everything the agent installed; returns how many chains and jumps were removed. */
export async function cleanupRules(runner: NetfilterRunner): Promise<{ chains: number; jumps: number }> {
  const saves = { nat: await runner.save('nat'), filter: await runner.save('filter') };
  const payload = renderCleanup(saves);
  if (payload !== '') await runner.restore(payload);
  const lines = payload.split('\n');
  return {
    chains: lines.filter((l) => l.startsWith('-X ')).length,
    jumps: lines.filter((l) => l.startsWith('-D ')).length,
  };
}
