// Child processes of the testbed. Each runs under `setpriv --pdeathsig KILL`, so the kernel kills
// it if the harness dies in any way (even SIGKILL): no etcd or apiserver outlives its owner.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Something the testbed stops when it stops: a process, or a component that owns processes. */
export interface Stoppable {
  /** Stops gracefully, forcing after `graceMs` where that applies. */
  stop(graceMs?: number): Promise<void>;
  /** Kills at once, synchronously (for exit hooks). */
  killNow(): void;
}

/** How a ManagedProcess is started. */
export interface ManagedProcessOptions {
  /** Start from this process's environment (default); false: only `env` (a container's view). */
  inheritEnv?: boolean;
}

/** A long-running server process whose output goes to a log file. */
export class ManagedProcess implements Stoppable {
  readonly name: string;
  readonly logFile: string;
  readonly exited: Promise<Exit>;
  private readonly child: ChildProcess;
  private exit: Exit | undefined;

  constructor(
    name: string,
    command: string,
    args: string[],
    logFile: string,
    env: NodeJS.ProcessEnv = {},
    options: ManagedProcessOptions = {},
  ) {
    this.name = name;
    this.logFile = logFile;
    const log = openSync(logFile, 'a');
    this.child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], {
      stdio: ['ignore', log, log],
      env: options.inheritEnv === false ? env : { ...process.env, ...env },
    });
    closeSync(log);
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
      this.child.on('error', (err) => {
        this.exit = { code: -1, signal: null };
        resolve(this.exit);
        void err;
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** The last lines of the log, for error messages. */
  tail(lines = 30): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Asks the process to stop, then kills it after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Kills at once and waits (synchronously, at most `waitMs`) until the kernel has ended it. */
  killNow(waitMs = 2000): void {
    if (!this.running || this.pid === undefined) return;
    this.child.kill('SIGKILL');
    const deadline = Date.now() + waitMs;
    while (!hasEnded(this.pid) && Date.now() < deadline) sleepSync(10);
  }
}

// An exit handler cannot await; Atomics.wait blocks the thread without spinning.
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// Ended means gone or a zombie: the event loop that would reap it may never run again.
function hasEnded(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true;
  } catch {
    return true;
  }
}

/** Polls `check` every `intervalMs` until it returns true; fails early if `process` exits. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: {
    timeoutMs: number;
    intervalMs?: number;
    process?: Pick<ManagedProcess, 'name' | 'running' | 'tail'>;
  },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (opts.process && !opts.process.running) {
      throw new Error(`${opts.process.name} exited while waiting for ${what}:\n${opts.process.tail()}`);
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const log = opts.process ? `\n${opts.process.tail()}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${what}${log}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 200));
  }
}
