// The netfilter side effect behind a small interface: save, one atomic restore, and the two
// per-rule calls the hook jumps need. Commands run through execFile-style spawning (no shell), with
// an optional prefix such as `ip netns exec NAME` so tests can aim a runner at a namespace.
import { spawn } from 'node:child_process';
import type { Table } from './render.ts';

/** What the apply layer needs from ip6tables. */
export interface NetfilterRunner {
  /** `ip6tables-save -t TABLE` output. */
  save(table: Table): Promise<string>;
  /** `ip6tables-restore --noflush -w` with `payload` on stdin. */
  restore(payload: string): Promise<void>;
  /** `ip6tables -w -t TABLE -C CHAIN ARGS…`: true if the rule exists. */
  check(table: Table, chain: string, ruleArgs: readonly string[]): Promise<boolean>;
  /** `ip6tables -w -t TABLE -I CHAIN ARGS…` (inserted at the top). */
  insert(table: Table, chain: string, ruleArgs: readonly string[]): Promise<void>;
  /**
   * `ip6tables -w -t TABLE -S CHAIN`: that one chain's rules, or undefined when the chain does not
   * exist. Cheap on a node with a big table, unlike a whole-table save (the canary's every-5-s probe).
   */
  list(table: Table, chain: string): Promise<string | undefined>;
}

/** The three binaries of one xtables backend; see backend.ts. */
export interface Binaries {
  readonly iptables: string;
  readonly save: string;
  readonly restore: string;
}

/** The nft backend's IPv6 binaries. */
export const NFT_BINARIES: Binaries = {
  iptables: 'ip6tables-nft',
  save: 'ip6tables-nft-save',
  restore: 'ip6tables-nft-restore',
};

/** The legacy backend's IPv6 binaries. */
export const LEGACY_BINARIES: Binaries = {
  iptables: 'ip6tables-legacy',
  save: 'ip6tables-legacy-save',
  restore: 'ip6tables-legacy-restore',
};

/** A command that failed: the argv that ran, its exit code and stderr. */
export class NetfilterCommandError extends Error {
  readonly command: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(command: readonly string[], exitCode: number | null, stderr: string) {
    super(`${command.join(' ')} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim() || '(no stderr)'}`);
    this.name = 'NetfilterCommandError';
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Result of one finished command. */
export interface CommandResult {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv (no shell), optionally feeding `input` on stdin; never rejects on a non-zero exit. */
export function runCommand(argv: readonly string[], input?: string): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('empty command'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(new NetfilterCommandError(argv, null, err.message)));
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
    // A child that exits before reading stdin must not crash us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Options of execRunner. */
export interface ExecRunnerOptions {
  /** Backend binaries (default: nft). */
  readonly binaries?: Binaries;
  /** Prepended to every command, e.g. `['ip', 'netns', 'exec', name]`. */
  readonly prefix?: readonly string[];
  /** Seconds to wait for the xtables lock (`-w N`); default 5, as kube-proxy used. */
  readonly waitSeconds?: number;
}

/** A NetfilterRunner that executes the real binaries. */
export function execRunner(options: ExecRunnerOptions = {}): NetfilterRunner {
  const bin = options.binaries ?? NFT_BINARIES;
  const prefix = options.prefix ?? [];
  const wait = ['-w', String(options.waitSeconds ?? 5)];
  const must = async (argv: string[], input?: string): Promise<string> => {
    const full = [...prefix, ...argv];
    const r = await runCommand(full, input);
    if (r.exitCode !== 0) throw new NetfilterCommandError(full, r.exitCode, r.stderr);
    return r.stdout;
  };
  return {
    save: (table) => must([bin.save, '-t', table]),
    restore: async (payload) => {
      await must([bin.restore, '--noflush', ...wait], payload);
    },
    check: async (table, chain, ruleArgs) => {
      const full = [...prefix, bin.iptables, ...wait, '-t', table, '-C', chain, ...ruleArgs];
      const r = await runCommand(full);
      if (r.exitCode === 0) return true;
      // Exit 1 is "no such rule"; anything else (2: bad arguments, 4: resource problem) is an error.
      if (r.exitCode === 1) return false;
      throw new NetfilterCommandError(full, r.exitCode, r.stderr);
    },
    insert: async (table, chain, ruleArgs) => {
      await must([bin.iptables, ...wait, '-t', table, '-I', chain, ...ruleArgs]);
    },
    list: async (table, chain) => {
      const full = [...prefix, bin.iptables, ...wait, '-t', table, '-S', chain];
      const r = await runCommand(full);
      if (r.exitCode === 0) return r.stdout;
      // Exit 1 is "No chain/target/match by that name"; anything else is an error.
      if (r.exitCode === 1) return undefined;
      throw new NetfilterCommandError(full, r.exitCode, r.stderr);
    },
  };
}

/** Splits a rendered rule spec into argv, honouring double quotes (as used by `--comment "…"`). */
export function splitRuleArgs(spec: string): string[] {
  if ((spec.match(/"/g)?.length ?? 0) % 2 !== 0) throw new Error(`unbalanced quotes in rule: ${spec}`);
  return [...spec.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}
