// Chain names the agent owns: a short prefix plus a hash, as kube-proxy does, so names are stable
// across restarts, fit iptables' 28-character limit, and never collide with other tools' chains.
import { createHash } from 'node:crypto';

/** Every chain the agent owns starts with this; only such chains are ever flushed or deleted. */
export const CHAIN_PREFIX = 'ACME6-';
/** iptables' limit on chain name length (XT_EXTENSION_MAXNAMELEN - 1). */
export const MAX_CHAIN_NAME = 28;

/** Fixed chains the built-in hooks jump to, and the canary whose loss means someone flushed us. */
export const Chains = {
  prerouting: `${CHAIN_PREFIX}PREROUTING`,
  output: `${CHAIN_PREFIX}OUTPUT`,
  postrouting: `${CHAIN_PREFIX}POSTROUTING`,
  forward: `${CHAIN_PREFIX}FORWARD`,
  canary: `${CHAIN_PREFIX}CANARY`,
} as const;

/** Per-Service chain (`ns/name`): prefix, kind and 16 hex digits of SHA-256, 26 characters. */
export function serviceChain(service: string): string {
  return `${CHAIN_PREFIX}SVC-${hash16(service)}`;
}

/** True for a chain name the agent owns. */
export function isOwnedChain(name: string): boolean {
  return name.startsWith(CHAIN_PREFIX);
}

function hash16(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16).toUpperCase();
}
