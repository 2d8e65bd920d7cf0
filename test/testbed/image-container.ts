// One container of a pod started from the built image (make image) under runc, outside the pod
// runner: for tests that place the container themselves (the agent in a node's network namespace,
// the controller beside the testbed's loopback servers). Same spec rules as the runner's pods.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  loadYaml,
  type V1Container,
  type V1DaemonSet,
  type V1Pod,
  type V1PodSpec,
} from '@kubernetes/client-node';
import { builtImage, OciContainer, unpackCacheDir, unpackImageCached } from './oci-runtime.ts';
import { ociSpec, type ContainerPlacement } from './oci-spec.ts';
import { repoRoot } from './paths.ts';
import { NODE_IP } from './pod-network.ts';
import { containerEnv } from './pod-spec.ts';

/** Starts `container` of `pod`; runc's state and the bundle live under `dir`, output in `logFile`. */
export async function startImageContainer(opts: {
  pod: V1Pod;
  container: V1Container;
  dir: string;
  logFile: string;
  /** The network namespace to join; without it, the caller's. */
  netnsPath?: string;
  readOnlyBinds?: ContainerPlacement['readOnlyBinds'];
  /** status.podIP as the container's env sees it (fieldRef); the node address by default. */
  podIP?: string;
}): Promise<OciContainer> {
  const { layout, tag } = builtImage();
  const image = await unpackImageCached(layout, tag, unpackCacheDir());
  const env = containerEnv(opts.pod, opts.container, { podIP: opts.podIP ?? NODE_IP, hostIP: NODE_IP });
  const id = `${opts.pod.metadata?.name ?? 'pod'}-${randomBytes(4).toString('hex')}`.slice(-60);
  return OciContainer.start({
    id,
    runtimeRoot: join(opts.dir, 'runc'),
    bundle: join(opts.dir, 'bundles', id),
    rootfs: image.rootfs,
    spec: ociSpec(image.config, opts.pod, opts.container, env, {
      rootfs: image.rootfs,
      ...(opts.netnsPath && { netnsPath: opts.netnsPath }),
      ...(opts.readOnlyBinds && { readOnlyBinds: opts.readOnlyBinds }),
    }),
    logFile: opts.logFile,
  });
}

/** Where a file given to a container is bound: an empty directory of the image (see above). */
export const CONTAINER_FILES = '/mnt';

/**
 * The agent DaemonSet's container as shipped (root with NET_ADMIN only, read-only root) in network
 * namespace `netns`, standing in for the node's (hostNetwork). `kubeconfig` is copied and bound
 * read-only under CONTAINER_FILES; `args` gets its path inside the container.
 */
export async function startAgentContainer(opts: {
  nodeName: string;
  netns: string;
  kubeconfig: string;
  args: (kubeconfig: string) => string[];
  dir: string;
  logFile: string;
}): Promise<OciContainer> {
  const daemonSet = loadYaml<V1DaemonSet>(
    readFileSync(join(repoRoot, 'deploy/kustomize/components/agent/agent.yaml'), 'utf8'),
  );
  const spec = daemonSet.spec?.template.spec as V1PodSpec;
  const shipped = spec.containers[0] as V1Container;
  const files = mkdtempSync(join(opts.dir, 'agent-files-'));
  copyFileSync(opts.kubeconfig, join(files, 'kubeconfig')); // root-owned 0600: the agent is root
  const pod: V1Pod = {
    metadata: {
      name: `acme6-agent-${opts.nodeName}`,
      namespace: daemonSet.metadata?.namespace ?? 'acme6-agent',
      uid: randomBytes(8).toString('hex'),
    },
    spec: { ...spec, nodeName: opts.nodeName },
  };
  return startImageContainer({
    pod,
    container: { ...shipped, args: opts.args(`${CONTAINER_FILES}/kubeconfig`) },
    dir: opts.dir,
    logFile: opts.logFile,
    netnsPath: `/run/netns/${opts.netns}`,
    readOnlyBinds: [{ source: files, destination: CONTAINER_FILES }],
  });
}
