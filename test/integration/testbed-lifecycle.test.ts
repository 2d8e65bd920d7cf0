// No testbed outlives its owner: not after a failing test, not after SIGTERM, and not after
// SIGKILL (the kernel kills the servers through pdeathsig; the next start removes the directory).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../testbed/paths.ts';
import { reapOrphanedWorkdirs } from '../testbed/workdir.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'acme6-lifecycle-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** Processes whose command line mentions `dir` (etcd's data dir, the apiserver's cert files, ...). */
function processesUsing(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(dir)) found.push(`${pid} ${cmd}`);
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

const testbedDirs = (): string[] => readdirSync(root).filter((e) => e.startsWith('acme6-testbed-'));
const env = (): NodeJS.ProcessEnv => ({ ...process.env, ACME6_TESTBED_TMPDIR: root });

/** Starts start-and-wait.ts and resolves with the child and its testbed directory once ready. */
function startWaitingTestbed(): Promise<{ child: ReturnType<typeof spawn>; dir: string }> {
  const child = spawn(process.execPath, ['test/fixtures/testbed-lifecycle/start-and-wait.ts'], {
    cwd: repoRoot,
    env: env(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const ready = /READY (\S+)/.exec(out);
      if (ready?.[1]) resolve({ child, dir: ready[1] });
    });
    child.on('exit', (code) => reject(new Error(`start-and-wait exited early (${code}): ${out}`)));
  });
}

const exited = (child: ReturnType<typeof spawn>): Promise<void> =>
  new Promise((resolve) =>
    child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('exit', () => resolve()),
  );

describe('testbed lifecycle', () => {
  it('leaves nothing behind after a test that fails on purpose', () => {
    const run = spawnSync(
      join(repoRoot, 'node_modules/.bin/vitest'),
      ['run', '--config', 'test/fixtures/testbed-lifecycle/vitest.config.ts', '--reporter', 'dot'],
      { cwd: repoRoot, env: env(), encoding: 'utf8', timeout: 240_000 },
    );
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(1);
    expect(output).toContain('failing on purpose');
    expect(output).toMatch(/testbed up in \d+ ms/);
    expect(testbedDirs()).toEqual([]);
    expect(processesUsing(root)).toEqual([]);
  });

  it('cleans up when the owner gets SIGTERM', async () => {
    const { child, dir } = await startWaitingTestbed();
    expect(processesUsing(dir).length).toBeGreaterThanOrEqual(4); // etcd, apiserver, controller-manager, pebble
    child.kill('SIGTERM');
    await exited(child);
    expect(testbedDirs()).toEqual([]);
    expect(processesUsing(root)).toEqual([]);
  });

  it('kills the servers when the owner is SIGKILLed, and the next start reaps the directory', async () => {
    const { child, dir } = await startWaitingTestbed();
    child.kill('SIGKILL');
    await exited(child);
    await expect.poll(() => processesUsing(dir), { timeout: 10_000 }).toEqual([]);
    expect(testbedDirs()).toHaveLength(1); // nothing in the dead owner could remove it
    expect(reapOrphanedWorkdirs(root)).toEqual([dir]);
    expect(testbedDirs()).toEqual([]);
  });
});
