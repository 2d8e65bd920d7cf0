// Pure rule: how the testbed's pod runner runs acme6 pods. The built image under runc is the
// default, so the tests exercise what users deploy; local Node processes only when asked for. A
// missing, stale or unrunnable image fails the testbed with the fix named instead of falling back.

/** How acme6 pods run: the built image under runc (the default), or a local Node process. */
export type PodRuntime = 'image' | 'process';

/** What the runner found on this machine. */
export interface PodRuntimeFacts {
  /** `dist/image/oci/index.json` exists (make image ran). */
  imageBuilt: boolean;
  /** `runc` is on the PATH. */
  runcFound: boolean;
  /** When the image was built (ms since the epoch), if it was. */
  imageBuiltAtMs?: number;
  /** The newest change to what goes into the image (src/**, package.json, package-lock.json, hack/image/**). */
  sourcesChangedAtMs?: number;
}

const HOW_TO_OPT_OUT = 'or set ACME6_TESTBED_POD_RUNTIME=process to run acme6 pods as local Node processes';

/** `ACME6_TESTBED_POD_RUNTIME` (image by default); throws a message naming the fix when image cannot run. */
export function choosePodRuntime(env: NodeJS.ProcessEnv, facts: PodRuntimeFacts): PodRuntime {
  const value = env.ACME6_TESTBED_POD_RUNTIME || 'image';
  if (value === 'process') return 'process';
  if (value !== 'image') {
    throw new Error(`ACME6_TESTBED_POD_RUNTIME must be image or process, not ${value}`);
  }
  if (!facts.imageBuilt) {
    throw new Error(
      `the testbed runs acme6 pods from the built image, but dist/image/oci has none: run make image, ${HOW_TO_OPT_OUT}`,
    );
  }
  if (!facts.runcFound) {
    throw new Error(
      `the testbed runs acme6 pods from the image under runc, but runc is not installed: run make testbed (Debian package runc), ${HOW_TO_OPT_OUT}`,
    );
  }
  if (
    facts.imageBuiltAtMs !== undefined &&
    facts.sourcesChangedAtMs !== undefined &&
    facts.sourcesChangedAtMs > facts.imageBuiltAtMs
  ) {
    const built = new Date(facts.imageBuiltAtMs).toISOString();
    const changed = new Date(facts.sourcesChangedAtMs).toISOString();
    throw new Error(
      `dist/image/oci (built ${built}) is older than the sources (changed ${changed}), so the pods would run old code: run make image, ${HOW_TO_OPT_OUT}`,
    );
  }
  return 'image';
}
