// `acme6 agent`: the node agent (a DaemonSet, hostNetwork, NET_ADMIN). Publishes annotated Services'
// ULA pods on this node's global IPv6 address until SIGTERM, which leaves the rules in place;
// `--cleanup` removes everything it installed and exits.
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { Agent } from '../agent/agent.ts';
import {
  BACKEND_FLAGS,
  execSelectProbes,
  selectBackend,
  xtablesForwardDropNow,
  type BackendFlag,
  type Selection,
} from '../agent/backend-select.ts';
import { dataplaneFor } from '../agent/dataplane.ts';
import { CAP_NET_RAW, hasCapability, legacyTables, netRawMissing } from '../agent/capabilities.ts';
import { cleanupFailures, removeLeftovers } from '../agent/leftovers.ts';
import { checkSysctls, idleReason, readProc } from '../agent/sysctl.ts';
import { parseGoDuration } from '../api/duration.ts';
import { KubeEventRecorder } from '../kube/events.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { createLogger } from '../log/logger.ts';
import { canonicalIPv6, isGlobalUnicast } from '../netfilter/ipv6.ts';
import { HealthChecks, parseBindAddress, serveHttp, type BindAddress } from '../runtime/health.ts';
import type { Command, Io } from './main.ts';

const usage = `usage: acme6 agent [flags]

  --kubeconfig PATH            kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --node-name NAME             this node's name (default: $NODE_NAME)
  --node-address ADDR          publish on this global IPv6 address only (default: every global
                               IPv6 address in the Node's status.addresses)
  --snat-address ADDR          SNAT pod egress to this global address instead of MASQUERADE
  --status-namespace NS        namespace of this node's status ConfigMap (default: $POD_NAMESPACE, else acme6-agent)
  --resync-period DURATION     full resync period (default 30s)
  --min-sync-interval DURATION at most one sync per interval; bursts collapse (default 1s)
  --canary-period DURATION     how often to check that our rules are still there (default 5s)
  --backend B                  auto, nftables or iptables (default auto: nftables where nft and the
                               kernel support it and no ip6tables FORWARD drops by default, else
                               iptables); iptables follows the host's xtables variant, iptables-nft /
                               iptables-legacy (old spellings: nft / legacy) pick one
  --health-probe-bind-address ADDR
                               serve /healthz and /readyz here; 0 turns it off (default :9404)
  --cleanup                    remove everything the agent installed (its nftables table, its
                               chains and jumps in both ip6tables variants), then exit
  --log-level LEVEL            debug, info, warn or error (default info)
`;

/** Parsed flags of `acme6 agent`. */
export interface AgentFlags {
  kubeconfig?: string;
  nodeName: string;
  nodeAddress?: string;
  snatAddress?: string;
  statusNamespace: string;
  resyncPeriodMs: number;
  minSyncIntervalMs: number;
  canaryPeriodMs: number;
  backend: BackendFlag;
  cleanup: boolean;
  logLevel: string;
  healthProbeBindAddress: BindAddress | 'disabled';
}

/** Parses flags; returns an error message for bad input instead of throwing. */
export function parseAgentFlags(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): AgentFlags | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        kubeconfig: { type: 'string' },
        'node-name': { type: 'string' },
        'node-address': { type: 'string' },
        'snat-address': { type: 'string' },
        'status-namespace': { type: 'string' },
        'resync-period': { type: 'string', default: '30s' },
        'min-sync-interval': { type: 'string', default: '1s' },
        'canary-period': { type: 'string', default: '5s' },
        backend: { type: 'string', default: 'auto' },
        cleanup: { type: 'boolean', default: false },
        'health-probe-bind-address': { type: 'string', default: ':9404' },
        'log-level': { type: 'string', default: 'info' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  const nodeName = values['node-name'] ?? env.NODE_NAME ?? '';
  if (!values.cleanup && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName)) {
    return {
      error:
        nodeName === ''
          ? '--node-name is required (or set $NODE_NAME from spec.nodeName)'
          : `--node-name "${nodeName}" is not a valid node name`,
    };
  }
  const address = (flag: 'node-address' | 'snat-address'): string | { error: string } | undefined => {
    const raw = values[flag];
    if (raw === undefined) return undefined;
    const canonical = isIP(raw) === 6 ? canonicalIPv6(raw) : undefined;
    if (canonical === undefined || !isGlobalUnicast(canonical)) {
      return { error: `--${flag} must be a global unicast IPv6 address (2000::/3), not "${raw}"` };
    }
    return canonical;
  };
  const nodeAddress = address('node-address');
  const snatAddress = address('snat-address');
  for (const a of [nodeAddress, snatAddress]) if (typeof a === 'object') return a;
  const durations: Record<string, number> = {};
  for (const [flag, minMs] of [
    ['resync-period', 1000],
    ['min-sync-interval', 0],
    ['canary-period', 100],
  ] as const) {
    const ms = parseGoDuration(values[flag]);
    if (ms === undefined || ms < minMs) {
      return { error: `--${flag} must be a Go duration of at least ${minMs} ms, not "${values[flag]}"` };
    }
    durations[flag] = ms;
  }
  if (!(BACKEND_FLAGS as readonly string[]).includes(values.backend)) {
    return { error: `--backend must be one of ${BACKEND_FLAGS.join(', ')}, not "${values.backend}"` };
  }
  if (!['debug', 'info', 'warn', 'error'].includes(values['log-level'])) {
    return { error: `--log-level must be debug, info, warn or error, not "${values['log-level']}"` };
  }
  const statusNamespace = values['status-namespace'] ?? env.POD_NAMESPACE ?? 'acme6-agent';
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(statusNamespace)) {
    return { error: `--status-namespace "${statusNamespace}" is not a valid namespace name` };
  }
  const health = parseBindAddress(values['health-probe-bind-address']);
  if (typeof health === 'object' && 'error' in health)
    return { error: `--health-probe-bind-address: ${health.error}` };
  return {
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    nodeName,
    ...(typeof nodeAddress === 'string' ? { nodeAddress } : {}),
    ...(typeof snatAddress === 'string' ? { snatAddress } : {}),
    statusNamespace,
    resyncPeriodMs: durations['resync-period'] ?? 30_000,
    minSyncIntervalMs: durations['min-sync-interval'] ?? 1000,
    canaryPeriodMs: durations['canary-period'] ?? 5000,
    backend: values.backend as AgentFlags['backend'],
    cleanup: values.cleanup,
    logLevel: values['log-level'],
    healthProbeBindAddress: health,
  };
}

async function run(args: string[], io: Io): Promise<number> {
  const flags = parseAgentFlags(args);
  if ('error' in flags) {
    io.err.write(`acme6 agent: ${flags.error}\n\n${usage}`);
    return 2;
  }
  const logger = createLogger({ level: flags.logLevel, name: 'acme6-agent' });
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  if (flags.cleanup) {
    const removed = await removeLeftovers(undefined);
    const failures = cleanupFailures(removed);
    if (failures.length > 0) {
      logger.error(removed, 'cleanup incomplete');
      io.err.write(`acme6 agent: cleanup incomplete: ${failures.join('; ')}\n`);
      return 1;
    }
    logger.info(removed, 'cleanup done');
    return 0;
  }
  // Legacy iptables needs NET_RAW, an opt-in of the manifests: without it, stay up and say so
  // (below) rather than crash-loop, or choose blind between variants.
  const netRaw = netRawMissing({
    flag: flags.backend,
    hasNetRaw: hasCapability(readProc('/proc/self/status') ?? '', CAP_NET_RAW),
    legacyTables: legacyTables(),
  });
  // One backend for the whole run: every write and check must talk to the same tables.
  let selection: Selection | undefined;
  if (netRaw === undefined) {
    try {
      selection = await selectBackend(flags.backend);
    } catch (err) {
      io.err.write(`acme6 agent: ${(err as Error).message}\n`);
      return 1;
    }
  }
  const dataplane =
    selection && dataplaneFor(selection, flags.snatAddress ? { snatAddress: flags.snatAddress } : {});
  if (selection !== undefined && dataplane !== undefined) {
    logger.info({ backend: dataplane.name, reason: selection.reason }, 'netfilter backend');
    if (selection.kind === 'nftables') for (const warning of selection.warnings) logger.warn({}, warning);
    // A node upgraded from the ip6tables agent (or switched back) keeps no second set of our rules.
    logger.info(await removeLeftovers(dataplane.name), 'removed rules of the other backends');
  }

  const sysctls = checkSysctls();
  for (const warning of sysctls.warnings) logger.warn({}, warning);
  const kubeConfig = loadKubeConfig(flags.kubeconfig);
  const recorder = new KubeEventRecorder(kubeConfig, { component: 'acme6-agent', logger });
  const health = new HealthChecks();
  const probes =
    flags.healthProbeBindAddress === 'disabled'
      ? undefined
      : await serveHttp(flags.healthProbeBindAddress, health.handle);
  const signalled = new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  const shutdown = async () => {
    health.markShuttingDown();
    await recorder.flush();
    await probes?.close();
    health.stop();
  };

  // An IPv4-only or forwarding-off node, or a legacy-iptables node without NET_RAW, is not an error
  // of the agent: a DaemonSet would crash-loop on every such node. Stay up, idle, and say why on
  // the Node, in readiness and in the log.
  const idle = netRaw === undefined ? idleReason(sysctls) : `idle, nothing installed on this node: ${netRaw}`;
  if (idle !== undefined || dataplane === undefined || selection === undefined) {
    const why = idle ?? 'idle: no backend';
    if (netRaw === undefined) logger.warn({ node: flags.nodeName }, why);
    else logger.error({ node: flags.nodeName }, why);
    health.addReadinessCheck(netRaw === undefined ? 'ipv6' : 'capabilities', () => why);
    // uid = node name, as kubelet does, so `kubectl describe node` lists it.
    recorder.warning(
      { apiVersion: 'v1', kind: 'Node', name: flags.nodeName, uid: flags.nodeName },
      'AgentIdle',
      why,
    );
    const signal = await signalled;
    logger.info({ signal }, 'stopping (idle: nothing was installed)');
    await shutdown();
    return 0;
  }

  let synced = false;
  // Named so /readyz shows the choice: `[+]backend nftables (auto: …) ok`.
  health.addReadinessCheck(`backend ${dataplane.name} (${selection.reason})`, () => undefined);
  // The native table cannot accept past an ip6tables FORWARD that drops by default; one that
  // appears after the start (Docker started later) must show, not silently stop published flows.
  let hostDrop: string | undefined;
  const watchHost =
    selection.kind !== 'nftables'
      ? undefined
      : setInterval(() => {
          void xtablesForwardDropNow(execSelectProbes()).then((drop) => {
            if (drop?.why !== hostDrop && drop !== undefined) {
              logger.error(
                { reason: drop.why },
                'published flows are dropped by the host; restart the agent',
              );
            }
            hostDrop = drop?.why;
          });
        }, flags.canaryPeriodMs);
  watchHost?.unref();
  health.addReadinessCheck('host-forward', () =>
    hostDrop === undefined
      ? undefined
      : `${hostDrop}, which the nftables backend cannot accept past: restart the agent (--backend=auto then uses ip6tables)`,
  );
  health.addReadinessCheck('synced', () => (synced ? undefined : 'the first sync has not finished'));
  const agent = new Agent({
    kubeConfig,
    logger,
    recorder,
    dataplane,
    nodeName: flags.nodeName,
    statusNamespace: flags.statusNamespace,
    ...(flags.nodeAddress ? { nodeAddress: flags.nodeAddress } : {}),
    minSyncIntervalMs: flags.minSyncIntervalMs,
    resyncPeriodMs: flags.resyncPeriodMs,
    canaryPeriodMs: flags.canaryPeriodMs,
  });
  const abort = new AbortController();
  const stopped = signalled.then(async (signal) => {
    logger.info({ signal }, 'stopping; the rules stay in place');
    abort.abort();
    if (watchHost !== undefined) clearInterval(watchHost);
    await agent.stop();
    await shutdown();
  });
  try {
    await agent.start(abort.signal);
  } catch (err) {
    if (abort.signal.aborted) {
      await stopped;
      return 0;
    }
    throw err;
  }
  synced = true;
  logger.info({ node: flags.nodeName }, 'agent started');
  await stopped;
  return 0;
}

/** The `agent` subcommand. */
export const agentCommand: Command = { run };
