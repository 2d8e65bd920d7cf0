// Start-up checks of the kernel settings the agent depends on. /proc/sys/net and /proc/net show the
// network namespace of the reading process, i.e. the node's when the agent runs with hostNetwork.
import { readFileSync } from 'node:fs';

/** Reads a file under /proc; undefined when it does not exist. Injected in unit tests. */
export type ProcReader = (path: string) => string | undefined;

/** The outcome: errors keep the agent idle (see idleReason), warnings are logged. */
export interface SysctlReport {
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

export const readProc: ProcReader = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** Interfaces of the IPv6 default routes in /proc/net/ipv6_route (destination ::/0). */
export function defaultRouteInterfaces(ipv6Route: string): string[] {
  const out = new Set<string>();
  for (const line of ipv6Route.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length >= 10 && /^0{32}$/.test(f[0] ?? '') && f[1] === '00' && f[9] !== 'lo') out.add(f[9] ?? '');
  }
  return [...out].filter((i) => i !== '');
}

/** Checks forwarding (must be on) and accept_ra on the uplink (must be 2 when routes come by RA). */
export function checkSysctls(read: ProcReader = readProc): SysctlReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  const forwarding = read('/proc/sys/net/ipv6/conf/all/forwarding')?.trim();
  if (forwarding === undefined) {
    errors.push('cannot read net.ipv6.conf.all.forwarding: is IPv6 enabled on this node?');
  } else if (forwarding !== '1') {
    errors.push(
      `net.ipv6.conf.all.forwarding is ${forwarding}; the agent routes to pods, so set it to 1 ` +
        '(sysctl -w net.ipv6.conf.all.forwarding=1, and accept_ra=2 on an uplink configured by router advertisements)',
    );
  }
  for (const uplink of defaultRouteInterfaces(read('/proc/net/ipv6_route') ?? '')) {
    const acceptRa = read(`/proc/sys/net/ipv6/conf/${uplink}/accept_ra`)?.trim();
    // With forwarding on, accept_ra=1 is ignored: the default route learnt by RA expires and the
    // node loses IPv6 (DI README; kernel accept_ra=2 mode). 0 means static config, which is fine.
    if (acceptRa === '1') {
      warnings.push(
        `uplink ${uplink} has accept_ra=1, which the kernel ignores while forwarding is on; if its ` +
          `default route comes from router advertisements, set net.ipv6.conf.${uplink}.accept_ra=2`,
      );
    }
  }
  return { errors, warnings };
}

/** Why the agent must stay idle on this node (no IPv6 or no forwarding), or undefined. */
export function idleReason(report: SysctlReport): string | undefined {
  return report.errors.length === 0
    ? undefined
    : `idle, nothing installed on this node: ${report.errors.join('; ')}`;
}
