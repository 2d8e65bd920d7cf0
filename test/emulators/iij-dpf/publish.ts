// Publishing a commit into the testbed's real BIND primary, so DNS queries see what DPF would
// serve: the TXT RRsets that changed are replaced through nsupdate (test/testbed/dns-update.ts).
import type { TestbedDnsInfo } from '../../testbed/dns.ts';
import { nsupdate, quoteTxt } from '../../testbed/dns-update.ts';
import type { Publish } from './handlers.ts';
import type { DpfRecord } from './model.ts';

/** A DPF TXT value (`"abc"`, possibly several quoted strings) as the raw text DNS carries. */
export function unquoteTxt(value: string): string {
  const strings = [...value.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
  return strings.length > 0 ? strings.join('') : value;
}

/** TXT values by owner name. */
function txtSets(records: DpfRecord[]): Map<string, { ttl: number; values: string[] }> {
  const sets = new Map<string, { ttl: number; values: string[] }>();
  for (const r of records) {
    if (r.rrtype !== 'TXT') continue;
    const set = sets.get(r.name) ?? { ttl: r.ttl ?? 300, values: [] };
    set.values.push(...r.rdata.map((d) => unquoteTxt(d.value)));
    sets.set(r.name, set);
  }
  return sets;
}

/** nsupdate lines that turn the TXT sets of `before` into those of `after` (changed names only). */
export function txtUpdateCommands(before: DpfRecord[], after: DpfRecord[]): string[] {
  const old = txtSets(before);
  const now = txtSets(after);
  const commands: string[] = [];
  for (const name of new Set([...old.keys(), ...now.keys()])) {
    const was = [...(old.get(name)?.values ?? [])].sort();
    const set = now.get(name);
    const is = [...(set?.values ?? [])].sort();
    if (was.join('\n') === is.join('\n')) continue;
    commands.push(`update delete ${name} TXT`);
    for (const value of new Set(is)) commands.push(`update add ${name} ${set!.ttl} TXT ${quoteTxt(value)}`);
  }
  return commands;
}

/** A Publish that writes changed TXT RRsets into the testbed primary. */
export function publishToTestbed(dns: TestbedDnsInfo): Publish {
  return async (zone, before, after) => {
    const commands = txtUpdateCommands(before, after);
    if (commands.length > 0) await nsupdate(dns, zone, commands);
  };
}
