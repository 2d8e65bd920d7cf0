// What makes `acme6 controller` fit for several replicas: leader election (only the leader runs
// controllers; standbys keep their caches hot), health probes and the metrics endpoint.
import type { KubeConfig } from '@kubernetes/client-node';
import { observeAcmeRequests } from '../acme/acme-client-adapter.ts';
import { parseGoDuration } from '../api/duration.ts';
import type { Manager } from '../controllers/manager.ts';
import { recordAcmeRequest } from '../metrics/acme-requests.ts';
import { setCertificateSource } from '../metrics/certificates.ts';
import { setIssuerSource } from '../metrics/issuers.ts';
import { setLeaderStatus } from '../metrics/runtime.ts';
import { serveMetrics } from '../metrics/server.ts';
import {
  HealthChecks,
  parseBindAddress,
  serveHttp,
  type BindAddress,
  type HttpEndpoint,
} from '../runtime/health.ts';
import {
  defaultIdentity,
  kubeLeaseStore,
  LeaderElector,
  leaderElectionTimingsError,
  type LeaderElectionTimings,
} from '../runtime/leader-election.ts';
import type { Logger } from '../runtime/logger.ts';

/** The Lease's name (in the leader election namespace). */
export const LEASE_NAME = 'acme6-controller';

/** parseArgs options of these flags. */
export const HA_FLAG_OPTIONS = {
  'leader-elect': { type: 'string', default: 'true' },
  'leader-election-namespace': { type: 'string' },
  'leader-election-lease-duration': { type: 'string', default: '30s' },
  'leader-election-renew-deadline': { type: 'string', default: '20s' },
  'leader-election-retry-period': { type: 'string', default: '2s' },
  'leader-election-renew-period': { type: 'string' },
  'metrics-bind-address': { type: 'string', default: ':9402' },
  'health-probe-bind-address': { type: 'string', default: ':9403' },
} as const;

/** Usage lines of these flags. */
export const HA_USAGE = `  --leader-elect=BOOL                 run controllers only while holding the Lease ${LEASE_NAME} (default true)
  --leader-election-namespace NAME    namespace of the Lease (default: the cluster resource namespace)
  --leader-election-lease-duration D  how long standbys wait for a silent leader (default 30s)
  --leader-election-renew-deadline D  how long the leader tries to renew before it exits (default 20s)
  --leader-election-retry-period D    wait between attempts to acquire, or to renew after a failure (default 2s)
  --leader-election-renew-period D    how often the leader renews the Lease (default: half the renew deadline)
  --metrics-bind-address ADDR         serve /metrics here; 0 turns it off (default :9402)
  --health-probe-bind-address ADDR    serve /healthz and /readyz here; 0 turns it off (default :9403)
`;

/** The parsed flags. */
export interface HaFlags {
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  leaderElectionTimings: LeaderElectionTimings;
  metricsBindAddress: BindAddress | 'disabled';
  healthProbeBindAddress: BindAddress | 'disabled';
}

type HaValues = { [K in keyof typeof HA_FLAG_OPTIONS]?: string };

/** `--leader-elect` alone means true, as with Go's boolean flags; parseArgs needs the value spelt out. */
export function spellOutLeaderElect(args: string[]): string[] {
  return args.map((a) => (a === '--leader-elect' ? '--leader-elect=true' : a));
}

/** Checks the flags; returns an error message for bad input. */
export function readHaFlags(values: HaValues): HaFlags | { error: string } {
  const elect = values['leader-elect'] ?? 'true';
  if (elect !== 'true' && elect !== 'false')
    return { error: `--leader-elect must be true or false, not "${elect}"` };
  const durations: Record<string, number | undefined> = {};
  for (const name of ['lease-duration', 'renew-deadline', 'retry-period'] as const) {
    const flag = `leader-election-${name}` as const;
    const value = values[flag] ?? HA_FLAG_OPTIONS[flag].default;
    durations[name] = parseGoDuration(value);
    if (!durations[name]) return { error: `--${flag} must be a Go duration such as 15s, not "${value}"` };
  }
  const timings: LeaderElectionTimings = {
    leaseDurationMs: durations['lease-duration']!,
    renewDeadlineMs: durations['renew-deadline']!,
    retryPeriodMs: durations['retry-period']!,
  };
  const renewPeriod = values['leader-election-renew-period'];
  if (renewPeriod !== undefined) {
    const renewPeriodMs = parseGoDuration(renewPeriod);
    if (!renewPeriodMs)
      return {
        error: `--leader-election-renew-period must be a Go duration such as 10s, not "${renewPeriod}"`,
      };
    timings.renewPeriodMs = renewPeriodMs;
  }
  const timingProblem = leaderElectionTimingsError(timings);
  if (timingProblem) return { error: `leader election timings: ${timingProblem}` };
  const metrics = parseBindAddress(
    values['metrics-bind-address'] ?? HA_FLAG_OPTIONS['metrics-bind-address'].default,
  );
  if (typeof metrics === 'object' && 'error' in metrics)
    return { error: `--metrics-bind-address: ${metrics.error}` };
  const health = parseBindAddress(
    values['health-probe-bind-address'] ?? HA_FLAG_OPTIONS['health-probe-bind-address'].default,
  );
  if (typeof health === 'object' && 'error' in health)
    return { error: `--health-probe-bind-address: ${health.error}` };
  return {
    leaderElect: elect === 'true',
    ...(values['leader-election-namespace']
      ? { leaderElectionNamespace: values['leader-election-namespace'] }
      : {}),
    leaderElectionTimings: timings,
    metricsBindAddress: metrics,
    healthProbeBindAddress: health,
  };
}

/** What `runManager` needs besides the manager. */
export interface RunOptions {
  flags: HaFlags;
  kubeConfig: KubeConfig;
  clusterResourceNamespace: string;
  logger: Logger;
  /** Ends the process at once with this code: a lost lease must stop all work now. */
  exit: (code: number) => void;
}

/** A running controller process; `stop` is the graceful SIGTERM path. */
export interface RunningController {
  stop(): Promise<void>;
}

/**
 * Serves probes and metrics, starts the informers, and starts the controllers when this process
 * leads (at once without leader election). Losing the Lease exits the process with code 1.
 */
export async function runManager(manager: Manager, o: RunOptions): Promise<RunningController> {
  const health = new HealthChecks();
  health.addReadinessCheck('informers', () =>
    manager.informersSynced() ? undefined : 'the informer caches have not synced yet',
  );
  const endpoints: HttpEndpoint[] = [];
  if (o.flags.healthProbeBindAddress !== 'disabled') {
    endpoints.push(await serveHttp(o.flags.healthProbeBindAddress, health.handle));
    o.logger.info({ url: endpoints.at(-1)!.url }, 'serving health probes');
  }
  if (o.flags.metricsBindAddress !== 'disabled') {
    endpoints.push(await serveMetrics(o.flags.metricsBindAddress));
    o.logger.info({ url: endpoints.at(-1)!.url }, 'serving metrics');
  }
  observeAcmeRequests(recordAcmeRequest);

  const synced = manager.startInformers();
  let stopping = false;
  const lead = async (): Promise<void> => {
    await synced;
    if (stopping) return;
    setCertificateSource(manager.certificates);
    setIssuerSource(manager.issuers);
    manager.startControllers();
  };
  let elector: LeaderElector | undefined;
  if (o.flags.leaderElect) {
    const namespace = o.flags.leaderElectionNamespace ?? o.clusterResourceNamespace;
    elector = new LeaderElector({
      store: kubeLeaseStore(o.kubeConfig, namespace, LEASE_NAME),
      identity: defaultIdentity(),
      timings: o.flags.leaderElectionTimings,
      logger: o.logger,
      onStartedLeading: () => void lead(),
      onStoppedLeading: () => o.exit(1),
      onLeadingChanged: (leading) => setLeaderStatus(LEASE_NAME, leading),
    });
    setLeaderStatus(LEASE_NAME, false);
    elector.start();
    await synced;
  } else {
    await lead();
  }

  return {
    async stop() {
      stopping = true;
      health.markShuttingDown();
      setCertificateSource(undefined);
      setIssuerSource(undefined);
      // Controllers first, then the Lease: two leaders must never run at once.
      await manager.stop();
      await elector?.release();
      observeAcmeRequests(undefined);
      await Promise.all(endpoints.map((e) => e.close()));
      health.stop();
    },
  };
}
