// Two `acme6 controller` processes with leader election, kept running the way a Deployment keeps its
// replicas: whatever ends one (the soak's SIGKILL, a lost lease, a crash) is followed by a fresh
// process a second later. Every process writes its own log file, so the soak can scan them all.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManagedProcess, type Exit } from '../testbed/process.ts';

const STARTED = '"msg":"controllers started"';
const LEASE_LOST = '"msg":"leader election lost"';
const RESTART_DELAY_MS = 1000;

/** An exit the soak did not cause. */
export interface UnplannedExit {
  log: string;
  exit: Exit;
  /** The process logged that it lost the lease and left on purpose (a leader that could not renew). */
  leaseLost: boolean;
}

export class ControllerReplicas {
  /** SIGKILLs the soak sent to a leader. */
  killedBySoak = 0;
  readonly unplannedExits: UnplannedExit[] = [];
  readonly logFiles: string[] = [];
  private readonly current: (ManagedProcess | undefined)[] = [];
  private readonly planned = new Set<ManagedProcess>();
  private stopping = false;
  private generation = 0;
  private readonly command: string;
  private readonly args: string[];
  private readonly dir: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(command: string, args: string[], dir: string, env: NodeJS.ProcessEnv = {}) {
    this.command = command;
    this.args = args;
    this.dir = dir;
    this.env = env;
  }

  /** Starts `count` replicas. */
  start(count = 2): void {
    for (let slot = 0; slot < count; slot++) this.launch(slot);
  }

  /** The running replica whose controllers run (a replica leads until it exits). */
  leader(): ManagedProcess | undefined {
    return this.current.find((p) => p?.running && readFileSync(p.logFile, 'utf8').includes(STARTED));
  }

  /** SIGKILLs the leader, if there is one; it is restarted like any other ended replica. */
  killLeader(): boolean {
    const leader = this.leader();
    if (!leader) return false;
    this.planned.add(leader);
    this.killedBySoak++;
    leader.killNow();
    return true;
  }

  /** Synchronous kill of every replica, for exit hooks. */
  killNow(): void {
    this.stopping = true;
    for (const p of this.current) p?.killNow();
  }

  /** Stops every replica (SIGTERM, then SIGKILL) and restarts none. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.current.map((p) => p?.stop() ?? Promise.resolve()));
  }

  private launch(slot: number): void {
    const log = join(this.dir, `controller-${slot}-${this.generation++}.log`);
    this.logFiles.push(log);
    const proc = new ManagedProcess('acme6 controller', this.command, this.args, log, this.env);
    this.current[slot] = proc;
    void proc.exited.then((exit) => {
      if (this.stopping) return;
      if (!this.planned.delete(proc)) {
        const leaseLost = readFileSync(log, 'utf8').includes(LEASE_LOST);
        this.unplannedExits.push({ log, exit, leaseLost });
      }
      setTimeout(() => {
        if (!this.stopping) this.launch(slot);
      }, RESTART_DELAY_MS);
    });
  }
}
