// The acme6 image run by a real OCI runtime (runc): the image's OCI layout (make image) is unpacked
// once per manifest digest into a cache shared by all testbeds, and each container gets its own
// bundle whose config.json comes from oci-spec.ts. A read-only container binds the unpacked root
// filesystem itself (runc mounts it read-only); a writable one gets an overlay on top of it.
import { execFile, execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { ImageConfig } from './oci-spec.ts';
import { repoRoot } from './paths.ts';
import type { PodRuntimeFacts } from './pod-runtime.ts';
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

/** Whether `make image` has left an OCI layout at `layout`. */
export function imageLayoutExists(layout: string): boolean {
  return existsSync(join(layout, 'index.json'));
}

/** The manifest digest `tag` points to in an OCI layout (`sha256:...`): the image's identity. */
export function manifestDigest(layout: string, tag: string): string {
  const { manifests } = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as {
    manifests: Descriptor[];
  };
  const entry = manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!entry) throw new Error(`no tag ${tag} in ${layout}`);
  return entry.digest;
}

/** Reads the image config of `tag` from an OCI layout (index -> manifest -> config blob). */
export function readImageConfig(layout: string, tag: string): ImageConfig {
  const manifest = blob(layout, manifestDigest(layout, tag)) as { config: Descriptor };
  return (blob(layout, manifest.config.digest) as { config: ImageConfig }).config;
}

/** Newest modification time (ms) of the files under `path` that pass `keep`. */
function newestMtime(path: string, keep: (name: string) => boolean): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return keep(path) ? stat.mtimeMs : 0;
  let newest = 0;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry), keep));
  return newest;
}

/** Whether `program` is on the PATH. */
const onPath = (program: string): boolean =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, program)));

/** What choosePodRuntime needs to know: the image, its age against the sources (tests aside), runc. */
export function podRuntimeFacts(layout: string): PodRuntimeFacts {
  const index = statSync(join(layout, 'index.json'), { throwIfNoEntry: false });
  const sources = Math.max(
    newestMtime(join(repoRoot, 'src'), (name) => !name.endsWith('.test.ts')),
    newestMtime(join(repoRoot, 'package.json'), () => true),
    newestMtime(join(repoRoot, 'package-lock.json'), () => true),
    // How the image is bundled and built changes what runs in it as much as the sources do.
    newestMtime(join(repoRoot, 'hack/image'), () => true),
  );
  return {
    imageBuilt: index !== undefined,
    runcFound: onPath('runc'),
    ...(index && { imageBuiltAtMs: index.mtimeMs, sourcesChangedAtMs: sources }),
  };
}

/** Unpacks `layout:tag` into `dir` (umoci); fails with a hint when `make image` has not run. */
export async function unpackImage(layout: string, tag: string, dir: string): Promise<UnpackedImage> {
  if (!imageLayoutExists(layout)) throw new Error(`no OCI image layout in ${layout}: run make image first`);
  await run('umoci', ['unpack', '--image', `${layout}:${tag}`, dir], { maxBuffer: 16 << 20 });
  return { rootfs: join(dir, 'rootfs'), config: readImageConfig(layout, tag) };
}

/** Where testbeds keep unpacked images, outside the repository (ACME6_IMAGE_UNPACK_CACHE overrides). */
export function unpackCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.ACME6_IMAGE_UNPACK_CACHE ??
    join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'acme6/image-unpacked')
  );
}

// An unpacked image nobody started a container from for this long is removed (each commit's image has
// a new digest, and a rootfs is about 280 MB); every container start marks its image as used.
const unusedUnpackMs = 2 * 60 * 60_000;

/** Marks an unpacked image as in use, so pruneUnpackCache leaves it alone. */
export function touchUnpacked(image: UnpackedImage): void {
  const now = new Date();
  utimesSync(join(image.rootfs, '..'), now, now);
}

/** Removes unpacked images (and abandoned unpack directories) unused for two hours. */
export function pruneUnpackCache(cacheDir: string, keep: string, nowMs = Date.now()): void {
  for (const name of existsSync(cacheDir) ? readdirSync(cacheDir) : []) {
    const path = join(cacheDir, name);
    if (path === keep) continue;
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat && nowMs - stat.mtimeMs > unusedUnpackMs) rmSync(path, { recursive: true, force: true });
  }
}

/**
 * Unpacks `layout:tag` once per manifest digest under `cacheDir` and reuses it afterwards: testbeds
 * only read the root filesystem (read-only containers bind it, writable ones overlay it). Parallel
 * testbeds unpack into their own temporary directory and the first rename wins.
 */
export async function unpackImageCached(
  layout: string,
  tag: string,
  cacheDir: string,
): Promise<UnpackedImage> {
  if (!imageLayoutExists(layout)) throw new Error(`no OCI image layout in ${layout}: run make image first`);
  const target = join(cacheDir, manifestDigest(layout, tag).replace(':', '-'));
  const config = readImageConfig(layout, tag);
  if (!existsSync(join(target, 'rootfs'))) {
    mkdirSync(cacheDir, { recursive: true });
    const temporary = mkdtempSync(join(cacheDir, '.unpacking-'));
    try {
      await unpackImage(layout, tag, join(temporary, 'image'));
      renameSync(join(temporary, 'image'), target);
    } catch (err) {
      if (!existsSync(join(target, 'rootfs'))) throw err; // a parallel testbed won the rename
    } finally {
      rmSync(temporary, { recursive: true, force: true });
    }
  }
  const image = { rootfs: join(target, 'rootfs'), config };
  touchUnpacked(image);
  pruneUnpackCache(cacheDir, target);
  return image;
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

  /** `container <id>`, for messages. */
  get name(): string {
    return this.process.name;
  }

  /** Where the container's output goes. */
  get logFile(): string {
    return this.process.logFile;
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
