// The controller's memory limit as acme6 deploys it. Node sizes its heap from the cgroup limit it
// runs under (on the 23 GB bench machine: 259 MB of heap under 512 MiB, 4 GB without one), so memory
// figures from an unlimited process describe a controller no cluster runs: its heap grows lazily to
// hundreds of MB of garbage it has no reason to collect. The benchmark therefore starts the controller
// in a memory cgroup with the Deployment's limit, where the kernel lets it (root, cgroup v1 or v2).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

/** The controller container's memory limit in deploy/kustomize/controller.yaml, in bytes. */
export function deployedMemoryLimitBytes(repo: string): number {
  type Manifest = {
    kind?: string;
    spec?: { template?: { spec?: { containers?: { resources?: { limits?: { memory?: string } } }[] } } };
  };
  const documents = parseAllDocuments(readFileSync(join(repo, 'deploy/kustomize/controller.yaml'), 'utf8'));
  const deployment = documents.map((d) => d.toJS() as Manifest).find((m) => m?.kind === 'Deployment');
  const memory = deployment?.spec?.template?.spec?.containers?.[0]?.resources?.limits?.memory;
  if (!memory) throw new Error('deploy/kustomize/controller.yaml sets no memory limit');
  return quantityBytes(memory);
}

/** A Kubernetes memory quantity (512Mi, 1Gi, 300M, 1048576) in bytes. */
export function quantityBytes(quantity: string): number {
  const match = /^(\d+)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity this benchmark reads: ${quantity}`);
  const units: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, K: 1e3, M: 1e6, G: 1e9 };
  return Number(match[1]) * (match[2] ? units[match[2]]! : 1);
}

/** A memory cgroup of its own for one process; `command` runs a program inside it. */
export class MemoryCgroup {
  private readonly dir: string;
  readonly limitBytes: number;

  private constructor(dir: string, limitBytes: number) {
    this.dir = dir;
    this.limitBytes = limitBytes;
  }

  /** Makes the cgroup, or says why it cannot (not root, no memory controller). */
  static create(name: string, limitBytes: number): MemoryCgroup | string {
    const v1 = '/sys/fs/cgroup/memory';
    const v2 = '/sys/fs/cgroup';
    try {
      if (existsSync(join(v1, 'memory.limit_in_bytes'))) {
        const dir = join(v1, name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
        return new MemoryCgroup(dir, limitBytes);
      }
      if (readFileSync(join(v2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory')) {
        const dir = join(v2, name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'memory.max'), String(limitBytes));
        return new MemoryCgroup(dir, limitBytes);
      }
      return 'no cgroup memory controller on this machine';
    } catch (err) {
      return `cannot make a memory cgroup: ${(err as Error).message}`;
    }
  }

  /** `program args` as run inside this cgroup: a shell joins it, then becomes the program (same pid). */
  command(program: string, args: string[]): [string, string[]] {
    return [
      '/bin/sh',
      ['-c', 'echo $$ > "$0" && exec "$@"', join(this.dir, 'cgroup.procs'), program, ...args],
    ];
  }

  /** Removes the cgroup once its process has exited. */
  remove(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // still in use or gone: the kernel keeps an empty cgroup harmlessly
    }
  }
}
