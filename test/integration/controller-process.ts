// Runs `acme6 controller` as a real process against the testbed, the way a user runs it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../testbed/paths.ts';
import { ManagedProcess, waitUntil } from '../testbed/process.ts';
import { testbed } from './kube.ts';

/** Starts the controller; its log goes to a file of its own in the testbed directory. */
export async function startController(
  extraArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<ManagedProcess> {
  const tb = testbed();
  // Unique per process: several test files share one testbed directory.
  const log = join(tb.dir, `controller-${Date.now()}-${Math.random().toString(36).slice(2, 8)}.log`);
  const proc = new ManagedProcess(
    'acme6 controller',
    process.execPath,
    [
      join(repoRoot, 'src/cmd/acme6.ts'),
      'controller',
      '--kubeconfig',
      tb.kubeconfigFile,
      '--log-level',
      'debug',
      ...extraArgs,
    ],
    log,
    env,
  );
  const started = (): Promise<boolean> =>
    Promise.resolve(readFileSync(log, 'utf8').includes('"msg":"controllers started"'));
  await waitUntil('controller start', started, { timeoutMs: 30_000, process: proc });
  return proc;
}
