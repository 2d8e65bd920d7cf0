// The testbed's temporary directory, removed on every way out: normal stop, a thrown error, a
// signal, or (if the harness was SIGKILLed) by the next testbed that starts and finds it orphaned.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const prefix = 'acme6-testbed-';
const ownerFile = 'owner.pid';

/** Where testbed directories are made; ACME6_TESTBED_TMPDIR overrides it (tests of the harness use it). */
export function testbedTmpRoot(): string {
  return process.env.ACME6_TESTBED_TMPDIR ?? tmpdir();
}

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes testbed directories whose owning process is gone. */
export function reapOrphanedWorkdirs(root = testbedTmpRoot()): string[] {
  const removed: string[] = [];
  for (const entry of readdirSync(root)) {
    if (!entry.startsWith(prefix)) continue;
    const dir = join(root, entry);
    let owner = NaN;
    try {
      owner = Number(readFileSync(join(dir, ownerFile), 'utf8'));
    } catch {
      // No owner file: a testbed killed while creating its directory.
    }
    if (Number.isInteger(owner) && processAlive(owner)) continue;
    rmSync(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/** Creates a fresh testbed directory owned by this process. */
export function createWorkdir(root = testbedTmpRoot()): string {
  const dir = mkdtempSync(join(root, prefix));
  writeFileSync(join(dir, ownerFile), String(process.pid));
  return dir;
}
