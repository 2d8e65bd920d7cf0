// `acme6 controller`: runs the certificate and issuer controllers against a cluster until SIGTERM.
import { parseArgs } from 'node:util';
import { parseGoDuration } from '../api/duration.ts';
import type { FailureBackoff } from '../controllers/certificate/failure-backoff.ts';
import { AcmeAccountRegistrar } from '../controllers/issuer/acme-registrar.ts';
import { Manager } from '../controllers/manager.ts';
import { readShimFlags } from '../controllers/ingress/flags.ts';
import { loadKubeConfig } from '../kube/kubeconfig.ts';
import { createLogger } from '../log/logger.ts';
import { HTTP01_FLAG_OPTIONS, HTTP01_USAGE, readHttp01Flags } from '../solvers/http01/flags.ts';
import { controllerMetrics, informerMetrics, workQueueMetrics } from '../metrics/runtime.ts';
import {
  HA_FLAG_OPTIONS,
  HA_USAGE,
  readHaFlags,
  runManager,
  spellOutLeaderElect,
  type HaFlags,
} from './controller-ha.ts';
import { packageVersion, type Command, type Io } from './main.ts';

/**
 * Orders in flight at once. 100 lets a batch of 100 new Certificates (the benchmark's P1) order at
 * once, as without a limit (with 20, P1 took 103 s instead of 67 s on the loaded bench machine), while
 * a renewal wave of thousands holds at most 25 orders (RENEWAL_SHARE) and leaves 75 slots to new
 * work. cert-manager's comparable --max-concurrent-challenges is 60 challenges, about 30 two-name
 * orders: near the renewals' share; lower the limit for a CA with tight per-account limits.
 */
const DEFAULT_MAX_CONCURRENT_ISSUANCES = 100;

const usage = `usage: acme6 controller [flags]

  --kubeconfig PATH                   kubeconfig to use (default: $KUBECONFIG, ~/.kube/config, or in-cluster)
  --cluster-resource-namespace NAME   namespace of ClusterIssuers' Secrets (default: $POD_NAMESPACE or acme6)
  --workers N                         concurrent reconciles per controller (default 2; Certificate
                                      issuance runs at least 16, readiness at least 8)
  --max-concurrent-issuances N        Certificates with an ACME order in flight at once (default 100);
                                      renewals hold at most 1/4 of them, the rest serves new work
  --failure-backoff-initial DURATION  wait after a failed issuance, doubled per failure (default 1h)
  --failure-backoff-max DURATION      longest wait between failed issuances (default 32h)
  --log-level LEVEL                   debug, info, warn or error (default info)
  --default-issuer-name NAME          issuer for Ingresses annotated kubernetes.io/tls-acme: "true" (default: none, ignored)
  --default-issuer-kind KIND          Issuer (default) or ClusterIssuer, with --default-issuer-name
  --enable-certificate-owner-ref      delete a Certificate's Secret with it unless its secretDeletionPolicy is Retain
  --honor-cert-manager-annotations    read cert-manager.io/issuer and cert-manager.io/cluster-issuer on Ingresses
                                      like acme6.io/issuer and acme6.io/cluster-issuer (default off)
${HTTP01_USAGE}${HA_USAGE}`;

/** Parses flags; returns an error message for bad input instead of throwing. */
export function parseControllerFlags(args: string[]):
  | ({
      kubeconfig?: string;
      clusterResourceNamespace: string;
      workers: number;
      maxConcurrentIssuances: number;
      logLevel: string;
      failureBackoff: FailureBackoff;
    } & Exclude<ReturnType<typeof readShimFlags>, { error: string }> &
      Exclude<ReturnType<typeof readHttp01Flags>, { error: string }> &
      HaFlags)
  | { error: string } {
  let values;
  try {
    ({ values } = parseArgs({
      args: spellOutLeaderElect(args),
      options: {
        ...HA_FLAG_OPTIONS,
        ...HTTP01_FLAG_OPTIONS,
        kubeconfig: { type: 'string' },
        'cluster-resource-namespace': { type: 'string' },
        workers: { type: 'string', default: '2' },
        'max-concurrent-issuances': { type: 'string', default: String(DEFAULT_MAX_CONCURRENT_ISSUANCES) },
        'log-level': { type: 'string', default: 'info' },
        'failure-backoff-initial': { type: 'string', default: '1h' },
        'failure-backoff-max': { type: 'string', default: '32h' },
        'default-issuer-name': { type: 'string' },
        'default-issuer-kind': { type: 'string' },
        'enable-certificate-owner-ref': { type: 'boolean', default: false },
        'honor-cert-manager-annotations': { type: 'boolean', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  const workers = Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    return { error: `--workers must be a whole number from 1 to 64, not "${values.workers}"` };
  }
  const maxConcurrentIssuances = Number(values['max-concurrent-issuances']);
  if (!/^\d+$/.test(values['max-concurrent-issuances']) || maxConcurrentIssuances < 1) {
    return {
      error: `--max-concurrent-issuances must be a whole number of at least 1, not "${values['max-concurrent-issuances']}"`,
    };
  }
  if (!['debug', 'info', 'warn', 'error'].includes(values['log-level'])) {
    return { error: `--log-level must be debug, info, warn or error, not "${values['log-level']}"` };
  }
  const initialMs = parseGoDuration(values['failure-backoff-initial']);
  const maxMs = parseGoDuration(values['failure-backoff-max']);
  if (!initialMs || initialMs < 1000 || !maxMs || maxMs < initialMs) {
    return {
      error:
        '--failure-backoff-initial and --failure-backoff-max must be Go durations, at least 1s, initial <= max',
    };
  }
  const shim = readShimFlags(values);
  if ('error' in shim) return shim;
  const ha = readHaFlags(values);
  if ('error' in ha) return ha;
  const http01 = readHttp01Flags(values, packageVersion());
  if ('error' in http01) return http01;
  return {
    ...http01,
    ...shim,
    ...ha,
    failureBackoff: { initialMs, maxMs },
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
    clusterResourceNamespace: values['cluster-resource-namespace'] ?? process.env.POD_NAMESPACE ?? 'acme6',
    workers,
    maxConcurrentIssuances,
    logLevel: values['log-level'],
  };
}

async function run(args: string[], io: Io): Promise<number> {
  const flags = parseControllerFlags(args);
  if ('error' in flags) {
    io.err.write(`acme6 controller: ${flags.error}\n\n${usage}`);
    return 2;
  }
  const logger = createLogger({ level: flags.logLevel, name: 'acme6-controller' });
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));
  const kubeConfig = loadKubeConfig(flags.kubeconfig);
  const manager = new Manager({
    kubeConfig,
    metrics: { workQueue: workQueueMetrics, controller: controllerMetrics, informer: informerMetrics },
    logger,
    clusterResourceNamespace: flags.clusterResourceNamespace,
    registrar: new AcmeAccountRegistrar(),
    workers: flags.workers,
    maxConcurrentIssuances: flags.maxConcurrentIssuances,
    failureBackoff: flags.failureBackoff,
    ingressShim: flags.ingressShim,
    defaultSecretDeletionPolicy: flags.defaultSecretDeletionPolicy,
    http01: flags.http01,
  });
  const running = runManager(manager, {
    flags,
    kubeConfig,
    clusterResourceNamespace: flags.clusterResourceNamespace,
    logger,
    exit: (code) => process.exit(code),
  });
  let started = false;
  running.then(
    () => (started = true),
    () => {},
  );
  const stopped = new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping');
      if (started) {
        void running.then((r) => r.stop()).then(resolve);
        return;
      }
      // Still starting (the apiserver unreachable, say: discovery and the first lists retry for
      // ever): no controller runs and nothing is half written, so end now instead of waiting on a
      // start that may never finish. A Lease taken meanwhile expires on its own.
      logger.info('stopped before the controllers started');
      process.exit(0);
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  try {
    await running;
  } catch (err) {
    // A taken port, say: say so plainly instead of a stack trace.
    logger.error({ err }, 'the controller could not start');
    return 1;
  }
  await stopped;
  return 0;
}

/** The `controller` subcommand. */
export const controllerCommand: Command = { run };
