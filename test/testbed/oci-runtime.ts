// The acme6 image run by a real OCI runtime (runc): the image's OCI layout (make image) is unpacked
// once, and each container gets its own bundle whose config.json comes from oci-spec.ts. A read-only
// container shares the unpacked root filesystem; a writable one gets an overlay on top of it.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ImageConfig } from './oci-spec.ts';
import { repoRoot } from './paths.ts';
import { ManagedProcess, type Exit, type Stoppable } from './process.ts';

const run = promisify(execFile);

/** Where `make image` leaves the OCI layout, and the tag it gives (package.json's version). */
export function builtImage(): { layout: string; tag: string } {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
  return { layout: join(repoRoot, 'dist/image/oci'), tag: version };
}

/** An unpacked image: its root filesystem and the config its containers start from. */
export interface UnpackedImage {
  rootfs: string;
  config: ImageConfig;
}

interface Descriptor {
  digest: string;
  annotations?: Record<string, string>;
}

const blob = (layout: string, digest: string): unknown =>
  JSON.parse(readFileSync(join(layout, 'blobs', ...digest.split(':')), 'utf8'));

/** Reads the image config of `tag` from an OCI layout (index -> manifest -> config blob). */
export function readImageConfig(layout: string, tag: string): ImageConfig {
  const { manifests } = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    manifests: Descriptor[];
  };
  const entry = manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!entry) throw new Error(`no tag ${tag} in ${layout}`);
  const manifest = blob(layout, entry.digest) as { config: Descriptor };
  return (blob(layout, manifest.config.digest) as { config: ImageConfig }).config;
}

/** Unpacks `layout:tag` into `dir` (umoci); fails with a hint when `make image` has not run. */
export async function unpackImage(layout: string, tag: string, dir: string): Promise<UnpackedImage> {
  if (!existsSync(join(layout, 'index.json'))) {
    throw new Error(`no OCI image layout in ${layout}: run make image first`);
  }
  await run('umoci', ['unpack', '--image', `${layout}:${tag}`, dir], { maxBuffer: 16 << 20 });
  return { rootfs: join(dir, 'rootfs'), config: readImageConfig(layout, tag) };
}

/** One container run by `runc run` in the foreground; its output goes to `logFile`. */
export class OciContainer implements Stoppable {
  readonly id: string;
  readonly exited: Promise<Exit>;
  private readonly process: ManagedProcess;
  private readonly runtimeRoot: string;
  private readonly bundle: string;
  private readonly overlay: string | undefined;

  private constructor(
    id: string,
    runtimeRoot: string,
    bundle: string,
    overlay: string | undefined,
    logFile: string,
  ) {
    this.id = id;
    this.runtimeRoot = runtimeRoot;
    this.bundle = bundle;
    this.overlay = overlay;
    // runc forwards SIGTERM to the container's init; `delete --force` below catches what is left.
    this.process = new ManagedProcess(
      `container ${id}`,
      'runc',
      ['--root', runtimeRoot, 'run', '--bundle', bundle, id],
      logFile,
      { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      { inheritEnv: false },
    );
    this.exited = this.process.exited;
  }

  /**
   * Writes the bundle (`spec` as config.json, root.path set here) and starts the container.
   * `runtimeRoot` is runc's state directory; `bundle` must be a fresh directory.
   */
  static async start(opts: {
    id: string;
    runtimeRoot: string;
    bundle: string;
    rootfs: string;
    spec: Record<string, unknown>;
    logFile: string;
  }): Promise<OciContainer> {
    const root = opts.spec.root as { path: string; readonly: boolean };
    mkdirSync(opts.bundle, { recursive: true });
    let overlay: string | undefined;
    if (root.readonly) {
      root.path = opts.rootfs;
    } else {
      overlay = join(opts.bundle, 'merged');
      for (const d of ['upper', 'work', 'merged']) mkdirSync(join(opts.bundle, d));
      const options = `lowerdir=${opts.rootfs},upperdir=${join(opts.bundle, 'upper')},workdir=${join(opts.bundle, 'work')}`;
      await run('mount', ['-t', 'overlay', 'overlay', '-o', options, overlay]);
      root.path = overlay;
    }
    writeFileSync(join(opts.bundle, 'config.json'), JSON.stringify(opts.spec, null, 2));
    return new OciContainer(opts.id, opts.runtimeRoot, opts.bundle, overlay, opts.logFile);
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.running;
  }

  tail(lines = 30): string {
    return this.process.tail(lines);
  }

  /** Runs `argv` inside the running container (same user, capabilities and namespaces). */
  async exec(argv: string[]): Promise<string> {
    const { stdout } = await run('runc', ['--root', this.runtimeRoot, 'exec', this.id, ...argv]);
    return stdout;
  }

  /** SIGTERM through runc, SIGKILL after `graceMs`, then removes the container and its bundle. */
  async stop(graceMs = 5000): Promise<void> {
    await this.process.stop(graceMs);
    await run('runc', ['--root', this.runtimeRoot, 'delete', '--force', this.id]).catch(() => undefined);
    if (this.overlay) await run('umount', [this.overlay]).catch(() => undefined);
    rmSync(this.bundle, { recursive: true, force: true });
  }

  killNow(): void {
    this.process.killNow();
    const quiet = { stdio: 'ignore' as const };
    try {
      execFileSync('runc', ['--root', this.runtimeRoot, 'delete', '--force', this.id], quiet);
    } catch {
      // already gone
    }
    if (this.overlay) {
      try {
        execFileSync('umount', [this.overlay], quiet);
      } catch {
        // not mounted
      }
    }
    rmSync(this.bundle, { recursive: true, force: true });
  }
}
