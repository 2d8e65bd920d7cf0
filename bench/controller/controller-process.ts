// The controller as the image runs it (the bundle, dist/bundle), started by the benchmark: one process,
// logging to a file in the testbed's directory, killed with the benchmark however that ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { get } from 'node:http';
import { join, resolve } from 'node:path';
import { onProcessExit } from '../../test/testbed/exit-hooks.ts';
import { freePort } from '../../test/testbed/ports.ts';
import { deployedMemoryLimitBytes, MemoryCgroup, quantityBytes } from './memory-cgroup.ts';

let cgroups = 0;

/**
 * The memory cgroup a controller runs in: BENCH_CONTROLLER_MEMORY_LIMIT (a quantity, `0` for none),
 * by default the Deployment's limit. A string says why it runs without one.
 */
function controllerCgroup(): MemoryCgroup | string {
  const wanted = process.env.BENCH_CONTROLLER_MEMORY_LIMIT;
  if (wanted === '0') return 'BENCH_CONTROLLER_MEMORY_LIMIT=0';
  const limit = wanted
    ? quantityBytes(wanted)
    : deployedMemoryLimitBytes(resolve(import.meta.dirname, '../..'));
  return MemoryCgroup.create(`acme6-bench-${process.pid}-${++cgroups}`, limit);
}

/** How the controllers of this run are limited, for the tables' readers. */
export function controllerMemoryLimitNote(): string {
  const wanted = process.env.BENCH_CONTROLLER_MEMORY_LIMIT;
  if (wanted === '0') return 'no memory limit (BENCH_CONTROLLER_MEMORY_LIMIT=0)';
  return `memory limit ${wanted ?? `${deployedMemoryLimitBytes(resolve(import.meta.dirname, '../..')) / 2 ** 20} MiB (the Deployment's)`}, as a memory cgroup`;
}

export class ControllerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly startedAt: number;
  private readonly healthPort: number;
  private readonly unregisterKill: () => void;
  private stopping = false;
  private exitReason: string | undefined;

  private constructor(
    child: ChildProcess,
    healthPort: number,
    logFile: string,
    cgroup: MemoryCgroup | undefined,
  ) {
    this.child = child;
    if (cgroup) child.once('exit', () => cgroup.remove());
    this.pid = child.pid!;
    this.startedAt = performance.now();
    this.healthPort = healthPort;
    this.unregisterKill = onProcessExit(() => child.kill('SIGKILL'));
    // A controller that dies under the benchmark says why before the testbed (and its log) goes.
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
      const last = /"msg":"([^"]*)"/.exec(lines.at(-1) ?? '')?.[1];
      this.exitReason = `exit ${code ?? signal}${last ? ` (${last})` : ''}`;
      const tail = lines.slice(-40).join('\n');
      process.stderr.write(
        `[bench] controller ${this.pid} exited (${code ?? signal}); its log ends:\n${tail}\n`,
      );
    });
  }

  /** Starts `entry controller ...args` against `kubeconfig`; its log goes to `<dir>/<logName>`. */
  static async start(
    entry: string,
    kubeconfig: string,
    dir: string,
    logName: string,
    args: string[] = [],
  ): Promise<ControllerProcess> {
    const [metricsPort, healthPort] = [await freePort(), await freePort()];
    const out = openSync(join(dir, logName), 'a');
    const cgroup = controllerCgroup();
    // Without a cgroup (not root, say) the run goes on and its memory figures say so.
    if (typeof cgroup === 'string')
      process.stderr.write(`[bench] controller without a memory limit: ${cgroup}\n`);
    const inCgroup = (program: string, argv: string[]): [string, string[]] =>
      typeof cgroup === 'string' ? [program, argv] : cgroup.command(program, argv);
    const [program, argv] = inCgroup(process.execPath, [
      // Node's own flags for the controller, e.g. V8 heap sizes to compare memory settings.
      ...(process.env.BENCH_CONTROLLER_NODE_OPTIONS?.split(' ').filter(Boolean) ?? []),
      entry,
      'controller',
      '--kubeconfig',
      kubeconfig,
      '--cluster-resource-namespace',
      'acme6',
      `--metrics-bind-address=127.0.0.1:${metricsPort}`,
      `--health-probe-bind-address=127.0.0.1:${healthPort}`,
      ...args,
      // e.g. `--leader-elect=false` while profiling: a heap snapshot stops the process for longer
      // than the Lease's renew deadline.
      ...(process.env.BENCH_CONTROLLER_ARGS?.split(' ').filter(Boolean) ?? []),
    ]);
    const child = spawn(program, argv, { stdio: ['ignore', out, out] });
    closeSync(out);
    return new ControllerProcess(
      child,
      healthPort,
      join(dir, logName),
      typeof cgroup === 'string' ? undefined : cgroup,
    );
  }

  /** How it exited (the last line it logged, say), or undefined while it runs. */
  exit(): string | undefined {
    return this.exitReason;
  }

  /** Whether /readyz answers 200: the informer caches have synced. */
  ready(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = get({ host: '127.0.0.1', port: this.healthPort, path: '/readyz', timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    this.unregisterKill();
  }
}
