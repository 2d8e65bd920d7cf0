// Publishing a commit into the testbed's real BIND primary, so DNS answers what DO would serve:
// TXT RRsets whose values changed are replaced through nsupdate (test/testbed/dns-update.ts).
import type { TestbedDnsInfo } from '../../testbed/dns.ts';
import { nsupdate, quoteTxt } from '../../testbed/dns-update.ts';
import type { DoRecord } from './model.ts';

/** Pushes one zone's published records from `before` to `after`. */
export type Publish = (zone: string, before: DoRecord[], after: DoRecord[]) => Promise<void>;

/** TXT values by fully qualified owner name, unquoted. */
function txtSets(zone: string, records: DoRecord[]): Map<string, { ttl: string; values: string[] }> {
  const sets = new Map<string, { ttl: string; values: string[] }>();
  for (const r of records) {
    if (r.RecordType !== 'TXT') continue;
    const name = r.Owner === '@' ? `${zone}.` : `${r.Owner}.${zone}.`;
    const set = sets.get(name) ?? { ttl: r.TTL, values: [] };
    set.values.push(r.RData.slice(1, -1).replace(/\\(.)/g, '$1'));
    sets.set(name, set);
  }
  return sets;
}

/** nsupdate lines that turn the TXT sets of `before` into those of `after` (changed names only). */
export function txtUpdateCommands(zone: string, before: DoRecord[], after: DoRecord[]): string[] {
  const old = txtSets(zone, before);
  const now = txtSets(zone, after);
  const commands: string[] = [];
  for (const name of new Set([...old.keys(), ...now.keys()])) {
    const was = [...(old.get(name)?.values ?? [])].sort().join('\n');
    const set = now.get(name);
    if (was === [...(set?.values ?? [])].sort().join('\n')) continue;
    commands.push(`update delete ${name} TXT`);
    for (const value of new Set(set?.values))
      commands.push(`update add ${name} ${set!.ttl} TXT ${quoteTxt(value)}`);
  }
  return commands;
}

/** A Publish that writes changed TXT RRsets into the testbed primary. */
export function publishToTestbed(dns: TestbedDnsInfo): Publish {
  return async (zone, before, after) => {
    const commands = txtUpdateCommands(zone, before, after);
    if (commands.length > 0) await nsupdate(dns, `${zone}.`, commands);
  };
}
