// Runs `acme6 controller` as a real process against the testbed, the way a user runs it: by default
// under its own ServiceAccount with the RBAC deploy/ ships, so every e2e test proves those
// permissions suffice. ACME6_TEST_CONTROLLER_IDENTITY=admin runs it as cluster admin instead (to
// tell an RBAC gap from a controller bug).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../testbed/paths.ts';
import { ManagedProcess, waitUntil } from '../testbed/process.ts';
import { ACME6_NAMESPACE, SERVICE_ACCOUNTS, serviceAccountKubeconfig } from './deploy-rbac.ts';
import { kubectl, testbed } from './kube.ts';

/** The kubeconfig the controller runs with, per ACME6_TEST_CONTROLLER_IDENTITY. */
async function controllerKubeconfig(): Promise<string> {
  const identity = process.env.ACME6_TEST_CONTROLLER_IDENTITY ?? 'serviceaccount';
  if (identity === 'admin') return testbed().kubeconfigFile;
  if (identity === 'serviceaccount') return serviceAccountKubeconfig(SERVICE_ACCOUNTS.controller);
  throw new Error(`ACME6_TEST_CONTROLLER_IDENTITY must be "serviceaccount" or "admin", not "${identity}"`);
}

// Tests run several controllers side by side (HA), and several testbeds share this machine: each
// controller takes free loopback ports. The Lease lives where the shipped RBAC allows it; short
// timings keep a restart after kill -9 quick (a standby waits one lease duration).
export const TEST_DEFAULTS = [
  '--metrics-bind-address=127.0.0.1:0',
  '--health-probe-bind-address=127.0.0.1:0',
  `--leader-election-namespace=${ACME6_NAMESPACE}`,
  '--leader-election-lease-duration=6s',
  '--leader-election-renew-deadline=5s',
  '--leader-election-retry-period=1s',
];

/**
 * Starts the controller; its log goes to a file of its own in the testbed directory. It returns
 * once the log says `until` (a standby never logs "controllers started").
 */
export async function startController(
  extraArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
  until = 'controllers started',
): Promise<ManagedProcess> {
  const tb = testbed();
  const kubeconfig = await controllerKubeconfig();
  // The Lease's namespace: the shipped identity creates it, running as admin does not.
  if (process.env.ACME6_TEST_CONTROLLER_IDENTITY === 'admin') {
    await kubectl('create', 'namespace', ACME6_NAMESPACE).catch((err: Error) => {
      if (!err.message.includes('AlreadyExists')) throw err;
    });
  }
  // Unique per process: several test files share one testbed directory.
  const log = join(tb.dir, `controller-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.log`);
  const proc = new ManagedProcess(
    'acme6 controller',
    process.execPath,
    [
      join(repoRoot, 'src/cmd/acme6.ts'),
      'controller',
      '--kubeconfig',
      kubeconfig,
      '--log-level',
      'debug',
      ...TEST_DEFAULTS,
      ...extraArgs,
    ],
    log,
    env,
  );
  const started = (): Promise<boolean> =>
    Promise.resolve(readFileSync(log, 'utf8').includes(`"msg":"${until}"`));
  await waitUntil('controller start', started, { timeoutMs: 30_000, process: proc });
  return proc;
}
