// The Helm binary hack/testbed/helm.sh builds (a no-op when cached), and a runner for it.
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../testbed/paths.ts';

const run = promisify(execFile);
let helmPath: string | undefined;

/** Path of the cached helm binary, building it first if the cache lacks it. */
export function helmBinary(): string {
  if (helmPath) return helmPath;
  const out = execFileSync('bash', [join(repoRoot, 'hack/testbed/helm.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const dir = /^HELM_BIN=(.+)$/m.exec(out)?.[1];
  if (!dir) throw new Error('hack/testbed/helm.sh did not report HELM_BIN');
  helmPath = join(dir, 'helm');
  return helmPath;
}

/** Runs helm with a private, empty home (no repositories or plugins of the user leak in). */
export async function helm(home: string, ...args: string[]): Promise<string> {
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_DATA_HOME: join(home, 'data'),
  };
  try {
    const { stdout } = await run(helmBinary(), args, { env, maxBuffer: 32 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`helm ${args.join(' ')} failed: ${e.stderr ?? ''}${e.stdout ?? ''}${e.message}`, {
      cause: err,
    });
  }
}
