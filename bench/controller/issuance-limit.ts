// The controller build's issuance concurrency limit (--max-concurrent-issuances), for P4's goal row:
// the value BENCH_CONTROLLER_ARGS sets, else the default its usage text names, else none (an older
// build without the flag).
import { spawnSync } from 'node:child_process';

const FLAG = '--max-concurrent-issuances';

/** The limit set in `args`, if any (`--flag N` or `--flag=N`). */
export function limitInArgs(args: readonly string[]): number | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === FLAG) return Number(args[i + 1]);
    if (arg.startsWith(`${FLAG}=`)) return Number(arg.slice(FLAG.length + 1));
  }
  return undefined;
}

/** The default the build's usage text names for the flag; undefined if the build has no such flag. */
export function limitInUsage(usage: string): number | undefined {
  const line = usage.split('\n').find((l) => l.trimStart().startsWith(`${FLAG} `));
  const found = line && /\(default (\d+)\)/.exec(line);
  return found ? Number(found[1]) : undefined;
}

/** The limit the controller at `entry` runs with under `args`. */
export function issuanceLimit(entry: string, args: readonly string[]): number | undefined {
  const set = limitInArgs(args);
  if (set !== undefined) return set;
  // An unknown flag makes it print its usage and exit: no cluster needed.
  const run = spawnSync(process.execPath, [entry, 'controller', '--no-such-flag'], { encoding: 'utf8' });
  return limitInUsage(`${run.stdout}${run.stderr}`);
}
