// The agent benchmarks measure inside a fresh network namespace, as an agent on an empty node would:
// the benchmark runs itself again there (ACME6_BENCH_CHILD=1), hands it the case on stdin and reads
// its JSON answer from stdout. The namespace goes whatever happens.
import { randomBytes } from 'node:crypto';
import { runCommand } from '../src/agent/runner.ts';

/** Runs `argv`, failing with its stderr. */
export async function must(argv: string[], input?: string): Promise<void> {
  const r = await runCommand(argv, input);
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
}

/** Runs `script` as a child in a new network namespace with `input` on stdin; returns its JSON answer. */
export async function runInFreshNetns<T>(script: string, input: string): Promise<T> {
  const name = `acme6-bench-${randomBytes(4).toString('hex')}`;
  await must(['ip', 'netns', 'add', name]);
  try {
    const argv = ['ip', 'netns', 'exec', name, 'env', 'ACME6_BENCH_CHILD=1', process.execPath, script];
    const r = await runCommand(argv, input);
    if (r.exitCode !== 0) throw new Error(`${input} in ${name} failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  } finally {
    await must(['ip', 'netns', 'delete', name]);
  }
}
