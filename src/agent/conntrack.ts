// Conntrack outlives rule changes: a flow keeps the NAT binding it got at its first packet. So when
// a mapping goes or points elsewhere, its entries are deleted (kubernetes#19029, #126130). UDP
// above all: a sender that never stops refreshes its 30 s timeout forever. A UDP port that gains a
// mapping is cleared too, since packets sent before it existed left entries without DNAT.
import type { Mapping } from './model.ts';
import { NetfilterCommandError, runCommand } from './runner.ts';

/** One `conntrack -D` target: flows whose original destination is [address]:port. */
export interface ConntrackTarget {
  readonly protocol: Mapping['protocol'];
  readonly address: string;
  readonly port: number;
}

const slot = (m: Mapping) => `${m.protocol} ${m.nodeAddress} ${m.port}`;
const target = (m: Mapping) => `${m.podAddress} ${m.targetPort}`;

/**
 * Entries to delete going from `before` to `after`: removed or retargeted mappings (TCP and UDP)
 * and newly added UDP mappings. Unchanged mappings keep their flows: that is what lets an
 * established connection survive an agent restart or an unrelated change.
 */
export function staleFlows(before: readonly Mapping[], after: readonly Mapping[]): ConntrackTarget[] {
  const now = new Map(after.map((m) => [slot(m), m]));
  const was = new Map(before.map((m) => [slot(m), m]));
  const out = new Map<string, ConntrackTarget>();
  const add = (m: Mapping) =>
    out.set(slot(m), { protocol: m.protocol, address: m.nodeAddress, port: m.port });
  for (const [key, old] of was) {
    const current = now.get(key);
    if (current === undefined || target(current) !== target(old)) add(old);
  }
  for (const [key, m] of now) if (m.protocol === 'UDP' && !was.has(key)) add(m);
  return [...out.values()];
}

/** argv of `conntrack -D` for one target. */
export function conntrackDeleteArgs(t: ConntrackTarget): string[] {
  const p = t.protocol.toLowerCase();
  return [
    'conntrack',
    '-D',
    '-f',
    'ipv6',
    '-p',
    p,
    '--orig-dst',
    t.address,
    '--orig-port-dst',
    String(t.port),
  ];
}

/** Deletes the entries of each target; `prefix` as for the ip6tables runner. Returns entries deleted. */
export async function deleteFlows(
  targets: readonly ConntrackTarget[],
  prefix: readonly string[] = [],
): Promise<number> {
  let deleted = 0;
  for (const t of targets) {
    const argv = [...prefix, ...conntrackDeleteArgs(t)];
    const r = await runCommand(argv);
    // conntrack exits 1 with "0 flow entries have been deleted" when nothing matched: not an error.
    const m = /(\d+) flow entries have been deleted/.exec(r.stderr);
    if (m?.[1] !== undefined) deleted += Number(m[1]);
    else if (r.exitCode !== 0) throw new NetfilterCommandError(argv, r.exitCode, r.stderr);
  }
  return deleted;
}
