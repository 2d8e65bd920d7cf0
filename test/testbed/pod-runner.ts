// The testbed's pod runner: a kubelet (and scheduler) stand-in for the testbed ONLY. It registers one
// Ready Node, binds pending pods of known images to it, runs each pod's container as a local process
// in the pod's own network namespace, and reports status through pods/status, so kube-controller-
// manager fills EndpointSlices as in a real cluster. Deleting a pod stops its process. The image
// contract is in DATAPLANE.md; the pure rules are in pod-spec.ts, oci-spec.ts and pod-status.ts.
// acme6 pods run the built image (make image) under runc with their security context applied
// (oci-runtime.ts); only with ACME6_TESTBED_POD_RUNTIME=process they run as local Node processes, and
// a missing or stale image fails the start (pod-runtime.ts) rather than falling back.
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { KubeRest, KubeRestError, type WatchEvent } from './kube-rest.ts';
import { repoRoot } from './paths.ts';
import {
  classifyImage,
  commandLine,
  containerEnv,
  firstContainerPort,
  UnrunnablePodError,
  type ProgramPaths,
} from './pod-spec.ts';
import { buildPodStatus, restartBackoffMs, shouldRestart, type ContainerState } from './pod-status.ts';
import {
  NODE_IP,
  POD_CIDR,
  PodAddressPool,
  reapOrphanedSandboxes,
  removeSandboxNow,
  type PodSandbox,
} from './pod-network.ts';
import { ManagedProcess, type Exit, type Stoppable } from './process.ts';
import {
  builtImage,
  OciContainer,
  podRuntimeFacts,
  touchUnpacked,
  unpackCacheDir,
  unpackImageCached,
  type UnpackedImage,
} from './oci-runtime.ts';
import { choosePodRuntime, type PodRuntime } from './pod-runtime.ts';
import { ociSpec } from './oci-spec.ts';
import { randomBytes } from 'node:crypto';
import { tcpConnects } from './tcp.ts';
import type { TlsOptions } from './https.ts';

export type { PodRuntime } from './pod-runtime.ts';

/** How tests find the runner; serialisable (part of TestbedInfo). */
export interface PodRunnerInfo {
  nodeName: string;
  podCidr: string;
  /** Each container's output: `${logDir}/${namespace}_${pod}.log`. */
  logDir: string;
  /** How acme6 pods run: `image` (runc) or `process`; the runner's own log is `${logDir}/../pod-runner.log`. */
  runtime: PodRuntime;
}

export const NODE_NAME = 'acme6-testbed-node';
const COMPONENT = 'acme6-testbed-pod-runner';
const maxGraceMs = 10_000;
const leaseSeconds = 40;

const programs: ProgramPaths = {
  node: process.execPath,
  acme6Entry: join(repoRoot, 'src/cmd/acme6.ts'),
  httpEchoEntry: join(repoRoot, 'test/testbed/http-echo.ts'),
};

/** A pod's running container: a local process or an OCI container. */
interface ContainerProcess extends Stoppable {
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly exited: Promise<Exit>;
}

/** One pod this runner runs. */
interface RunningPod {
  pod: V1Pod;
  sandbox?: PodSandbox;
  process?: ContainerProcess;
  state: ContainerState;
  restartCount: number;
  final: boolean;
  stopping: boolean;
  restartTimer?: NodeJS.Timeout;
}

const keyOf = (pod: V1Pod): string => `${pod.metadata?.namespace}/${pod.metadata?.name}`;
const podPath = (pod: V1Pod): string =>
  `/api/v1/namespaces/${pod.metadata?.namespace}/pods/${pod.metadata?.name}`;
const nowIso = (): string => new Date().toISOString();
// Lease renewTime is a MicroTime: RFC 3339 with exactly six fractional digits.
const microNow = (): string => new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** A running pod runner. */
export class PodRunner implements Stoppable {
  readonly info: PodRunnerInfo;
  private readonly kube: KubeRest;
  private readonly pool = new PodAddressPool();
  private readonly pods = new Map<string, RunningPod>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly warned = new Set<string>();
  private readonly abort = new AbortController();
  private readonly logFile: string;
  private readonly dir: string;
  private image: UnpackedImage | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private watching: Promise<void> = Promise.resolve();

  private constructor(kube: KubeRest, dir: string, runtime: PodRuntime) {
    this.kube = kube;
    this.dir = dir;
    this.logFile = join(dir, 'pod-runner.log');
    this.info = { nodeName: NODE_NAME, podCidr: POD_CIDR, logDir: join(dir, 'pods'), runtime };
    mkdirSync(this.info.logDir, { recursive: true });
  }

  /** Registers the Node and starts watching pods; `tls` authenticates as the runner's own user. */
  static async start(apiserverUrl: string, tls: TlsOptions, dir: string): Promise<PodRunner> {
    if (process.getuid?.() !== 0) {
      throw new Error(
        'the pod runner needs root to make network namespaces; start the testbed with podRunner: false',
      );
    }
    const { layout, tag } = builtImage();
    const runtime = choosePodRuntime(process.env, podRuntimeFacts(layout));
    await reapOrphanedSandboxes();
    const runner = new PodRunner(new KubeRest(apiserverUrl, tls), dir, runtime);
    if (runtime === 'image') {
      runner.image = await unpackImageCached(layout, tag, unpackCacheDir());
      runner.log(`acme6 pods run ${layout}:${tag} (unpacked in ${runner.image.rootfs}) under runc`);
    } else {
      runner.log('acme6 pods run as local Node processes (ACME6_TESTBED_POD_RUNTIME=process)');
    }
    await runner.registerNode();
    runner.heartbeat = setInterval(
      () => void runner.renewLease().catch((e: unknown) => runner.log(`lease: ${String(e)}`)),
      10_000,
    );
    runner.watching = runner.watchLoop();
    return runner;
  }

  private log(line: string): void {
    appendFileSync(this.logFile, `${nowIso()} ${line}\n`);
  }

  // --- the Node -------------------------------------------------------------------------------

  private async registerNode(): Promise<void> {
    try {
      await this.kube.send('POST', '/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name: NODE_NAME,
          labels: {
            'kubernetes.io/hostname': NODE_NAME,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': 'amd64',
          },
        },
      });
    } catch (err) {
      if (!(err instanceof KubeRestError && err.status === 409)) throw err;
    }
    const now = nowIso();
    const condition = (type: string, status: string, reason: string): Record<string, string> => ({
      type,
      status,
      reason,
      message: `${COMPONENT}: ${reason}`,
      lastHeartbeatTime: now,
      lastTransitionTime: now,
    });
    await this.kube.send(
      'PATCH',
      `/api/v1/nodes/${NODE_NAME}/status`,
      {
        status: {
          conditions: [
            condition('Ready', 'True', 'KubeletReady'),
            condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
            condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
            condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
          ],
          addresses: [
            { type: 'InternalIP', address: NODE_IP },
            { type: 'Hostname', address: NODE_NAME },
          ],
          capacity: { cpu: '2', memory: '4Gi', pods: '250' },
          allocatable: { cpu: '2', memory: '4Gi', pods: '250' },
          nodeInfo: { kubeletVersion: 'acme6-testbed', operatingSystem: 'linux', architecture: 'amd64' },
        },
      },
      'merge',
    );
    await this.renewLease();
  }

  // The node lifecycle controller marks a node NotReady (and taints it) without fresh heartbeats.
  private async renewLease(): Promise<void> {
    const path = '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases';
    const spec = { holderIdentity: NODE_NAME, leaseDurationSeconds: leaseSeconds, renewTime: microNow() };
    try {
      const lease = await this.kube.send<{ metadata: Record<string, unknown> }>(
        'GET',
        `${path}/${NODE_NAME}`,
      );
      await this.kube.send('PUT', `${path}/${NODE_NAME}`, { ...lease, spec });
    } catch (err) {
      if (!(err instanceof KubeRestError && err.status === 404)) throw err;
      await this.kube.send('POST', path, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: NODE_NAME, namespace: 'kube-node-lease' },
        spec,
      });
    }
  }

  // --- watching pods --------------------------------------------------------------------------

  private async watchLoop(): Promise<void> {
    while (!this.abort.signal.aborted) {
      try {
        const list = await this.kube.send<{ metadata: { resourceVersion: string }; items: V1Pod[] }>(
          'GET',
          '/api/v1/pods',
        );
        const present = new Set(list.items.map(keyOf));
        for (const key of this.pods.keys())
          if (!present.has(key)) this.enqueue(key, () => this.teardown(key));
        for (const pod of list.items) this.enqueue(keyOf(pod), () => this.reconcile(pod));
        const round = new AbortController();
        const stopRound = (): void => round.abort();
        this.abort.signal.addEventListener('abort', stopRound, { once: true });
        await this.kube.watch<V1Pod>(
          '/api/v1/pods',
          list.metadata.resourceVersion,
          (event: WatchEvent<V1Pod>) => {
            if (process.env.ACME6_POD_RUNNER_DEBUG) this.log(`watch ${event.type} ${keyOf(event.object)}`);
            if (event.type === 'ERROR')
              round.abort(); // e.g. 410 Gone: list again
            else if (event.type === 'DELETED')
              this.enqueue(keyOf(event.object), () => this.teardown(keyOf(event.object)));
            else if (event.type !== 'BOOKMARK')
              this.enqueue(keyOf(event.object), () => this.reconcile(event.object));
          },
          round.signal,
        );
        this.abort.signal.removeEventListener('abort', stopRound);
      } catch (err) {
        if (this.abort.signal.aborted) break;
        this.log(`watch: ${String(err)}; listing again in 1 s`);
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  // Work on one pod runs in order; different pods proceed independently.
  private enqueue(key: string, work: () => Promise<void>): void {
    const next = (this.queues.get(key) ?? Promise.resolve())
      .then(work)
      .catch((err: unknown) => this.log(`${key}: ${err instanceof Error ? err.message : String(err)}`));
    this.queues.set(key, next);
    void next.then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
  }

  private async reconcile(pod: V1Pod): Promise<void> {
    if (this.abort.signal.aborted) return;
    const key = keyOf(pod);
    const running = this.pods.get(key);
    if (running && running.pod.metadata?.uid !== pod.metadata?.uid) await this.teardown(key); // recreated
    if (pod.metadata?.deletionTimestamp) {
      if (pod.spec?.nodeName === NODE_NAME) await this.finishDeletion(pod);
      return;
    }
    if (!pod.spec?.nodeName) return this.maybeBind(pod);
    if (pod.spec.nodeName !== NODE_NAME) return;
    const current = this.pods.get(key);
    if (current) {
      current.pod = pod;
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    await this.startPod(pod);
  }

  private async maybeBind(pod: V1Pod): Promise<void> {
    const spec = pod.spec;
    if (!spec || (spec.schedulerName ?? 'default-scheduler') !== 'default-scheduler') return;
    const image = spec.containers[0]?.image ?? '';
    let problem: string | undefined;
    if (spec.containers.length !== 1 || spec.initContainers?.length) {
      problem = `the testbed pod runner runs pods with exactly one container and no init containers`;
    } else if (!classifyImage(image)) {
      problem = `the testbed pod runner does not know image ${image} (known: an acme6 image, acme6-testbed/http-echo)`;
    }
    if (problem) {
      const uid = pod.metadata?.uid ?? '';
      if (!this.warned.has(uid)) {
        this.warned.add(uid);
        this.log(`${keyOf(pod)} stays Pending: ${problem}`);
        await this.event(pod, 'UnknownImage', problem);
      }
      return;
    }
    await this.kube
      .send('POST', `${podPath(pod)}/binding`, {
        apiVersion: 'v1',
        kind: 'Binding',
        metadata: { name: pod.metadata?.name, namespace: pod.metadata?.namespace },
        target: { apiVersion: 'v1', kind: 'Node', name: NODE_NAME },
      })
      .catch((err: unknown) => {
        if (!(err instanceof KubeRestError && err.status === 409)) throw err; // 409: bound already
      });
    this.log(`${keyOf(pod)} bound to ${NODE_NAME}`);
  }

  // --- running containers ---------------------------------------------------------------------

  private async startPod(pod: V1Pod): Promise<void> {
    const key = keyOf(pod);
    const entry: RunningPod = {
      pod,
      state: { kind: 'waiting', reason: 'ContainerCreating' },
      restartCount: 0,
      final: false,
      stopping: false,
    };
    this.pods.set(key, entry);
    try {
      const container = pod.spec?.containers[0];
      const kind = container && classifyImage(container.image ?? '');
      if (!container || !kind)
        throw new UnrunnablePodError('UnknownImage', `unknown image ${container?.image}`);
      entry.sandbox = await this.pool.createSandbox();
      const env = containerEnv(pod, container, { podIP: entry.sandbox.podIP, hostIP: NODE_IP });
      const argv = kind === 'acme6' && this.image ? [] : commandLine(kind, pod, container, env, programs);
      await this.launch(entry, argv, env);
      await this.writeStatus(entry);
      void this.probe(entry);
    } catch (err) {
      if (!(err instanceof UnrunnablePodError)) throw err;
      entry.state = { kind: 'waiting', reason: 'CreateContainerConfigError', message: err.message };
      if (entry.sandbox) await this.pool.removeSandbox(entry.sandbox);
      entry.sandbox = undefined;
      this.log(`${key}: ${err.message}`);
      await this.event(pod, err.reason, err.message);
      await this.writeStatus(entry);
    }
  }

  // An empty argv: the pod's container runs from the image under runc.
  private async launch(entry: RunningPod, argv: string[], env: ReadonlyMap<string, string>): Promise<void> {
    if (argv.length === 0) return this.launchContainer(entry, env);
    const pod = entry.pod;
    const sandbox = entry.sandbox as PodSandbox;
    const security = { ...pod.spec?.securityContext, ...pod.spec?.containers[0]?.securityContext };
    const user =
      security.runAsUser === undefined
        ? []
        : [
            '--reuid',
            String(security.runAsUser),
            '--regid',
            String(security.runAsGroup ?? security.runAsUser),
            '--clear-groups',
          ];
    // Inside the sandbox, setpriv changes the user and re-arms pdeathsig (a credential change clears it).
    const args = ['netns', 'exec', sandbox.netns, 'setpriv', ...user, '--pdeathsig', 'KILL', '--', ...argv];
    const logFile = join(this.info.logDir, `${pod.metadata?.namespace}_${pod.metadata?.name}.log`);
    const childEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOSTNAME: pod.metadata?.name ?? '',
      ...Object.fromEntries(env),
    };
    const child = new ManagedProcess(`pod ${keyOf(pod)}`, 'ip', args, logFile, childEnv, {
      inheritEnv: false,
    });
    this.watchExit(entry, child, argv, env, `${argv.join(' ')}`);
  }

  // The pod's container from the unpacked image, its security context applied by runc.
  private async launchContainer(entry: RunningPod, env: ReadonlyMap<string, string>): Promise<void> {
    const pod = entry.pod;
    const sandbox = entry.sandbox as PodSandbox;
    const image = this.image as UnpackedImage;
    touchUnpacked(image);
    const container = pod.spec?.containers[0] ?? { name: '' };
    const spec = ociSpec(image.config, pod, container, env, {
      rootfs: image.rootfs,
      netnsPath: `/run/netns/${sandbox.netns}`,
    });
    const id = `${pod.metadata?.name ?? 'pod'}-${randomBytes(4).toString('hex')}`.slice(-60);
    const child = await OciContainer.start({
      id,
      runtimeRoot: join(this.dir, 'runc'),
      bundle: join(this.dir, 'bundles', id),
      rootfs: image.rootfs,
      spec,
      logFile: join(this.info.logDir, `${pod.metadata?.namespace}_${pod.metadata?.name}.log`),
    });
    this.watchExit(
      entry,
      child,
      [],
      env,
      `runc container ${id}: ${(spec.process as { args: string[] }).args.join(' ')}`,
    );
  }

  private watchExit(
    entry: RunningPod,
    child: ContainerProcess,
    argv: string[],
    env: ReadonlyMap<string, string>,
    what: string,
  ): void {
    const pod = entry.pod;
    const sandbox = entry.sandbox as PodSandbox;
    entry.process = child;
    const startedAt = nowIso();
    const hasPort = firstContainerPort(pod.spec?.containers[0] ?? { name: '' }) !== undefined;
    entry.state = { kind: 'running', startedAt, ready: !hasPort };
    this.log(`${keyOf(pod)} started (pid ${child.pid}) in ${sandbox.netns} as ${sandbox.podIP}: ${what}`);
    void child.exited.then((exit) => {
      const key = keyOf(pod);
      if (entry.stopping || entry.process !== child) return;
      this.enqueue(key, () =>
        this.onExit(
          entry,
          exit.code ?? 128 + (exit.signal === 'SIGKILL' ? 9 : 15),
          exit.signal,
          startedAt,
          argv,
          env,
        ),
      );
    });
  }

  // Ready once a TCP connect to podIP:first containerPort succeeds, as a tcpSocket probe would.
  private async probe(entry: RunningPod): Promise<void> {
    const container = entry.pod.spec?.containers[0];
    const port = container && firstContainerPort(container);
    const child = entry.process;
    const ip = entry.sandbox?.podIP;
    if (port === undefined || !ip) return;
    while (!entry.stopping && child === entry.process && child?.running) {
      if (await tcpConnects(ip, port)) {
        if (entry.state.kind !== 'running' || entry.stopping) return;
        entry.state = { ...entry.state, ready: true };
        this.enqueue(keyOf(entry.pod), () => this.writeStatus(entry));
        return;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async onExit(
    entry: RunningPod,
    exitCode: number,
    signal: NodeJS.Signals | null,
    startedAt: string,
    argv: string[],
    env: ReadonlyMap<string, string>,
  ): Promise<void> {
    if (entry.stopping) return;
    const restart = shouldRestart(entry.pod.spec?.restartPolicy, exitCode);
    entry.state = {
      kind: 'terminated',
      exitCode,
      ...(signal && { signal }),
      startedAt,
      finishedAt: nowIso(),
    };
    entry.final = !restart;
    this.log(`${keyOf(entry.pod)} exited with ${exitCode}${restart ? '; restarting' : ''}`);
    await this.writeStatus(entry);
    if (!restart) return;
    entry.restartTimer = setTimeout(() => {
      this.enqueue(keyOf(entry.pod), async () => {
        if (entry.stopping) return;
        entry.restartCount++;
        await this.launch(entry, argv, env);
        await this.writeStatus(entry);
        void this.probe(entry);
      });
    }, restartBackoffMs(entry.restartCount));
  }

  private async writeStatus(entry: RunningPod): Promise<void> {
    if (entry.stopping) return;
    const status = buildPodStatus(entry.pod, {
      ...(entry.sandbox && { podIP: entry.sandbox.podIP }),
      hostIP: NODE_IP,
      state: entry.state,
      restartCount: entry.restartCount,
      final: entry.final,
      now: nowIso(),
    });
    // A JSON merge patch replaces the lists whole, so no stale condition or container state remains.
    const updated = await this.kube.send<V1Pod>('PATCH', `${podPath(entry.pod)}/status`, { status }, 'merge');
    entry.pod = updated;
  }

  // --- stopping -------------------------------------------------------------------------------

  private async teardown(key: string): Promise<void> {
    const entry = this.pods.get(key);
    if (!entry) return;
    entry.stopping = true;
    clearTimeout(entry.restartTimer);
    const grace =
      entry.pod.metadata?.deletionGracePeriodSeconds ?? entry.pod.spec?.terminationGracePeriodSeconds ?? 30;
    await entry.process?.stop(Math.min(grace * 1000, maxGraceMs));
    if (entry.sandbox) await this.pool.removeSandbox(entry.sandbox);
    this.pods.delete(key);
    this.log(`${key} stopped`);
  }

  // Like a kubelet: stop the containers, then remove the pod for good with grace period 0.
  private async finishDeletion(pod: V1Pod): Promise<void> {
    await this.teardown(keyOf(pod));
    await this.kube
      .send('DELETE', podPath(pod), {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata?.uid },
      })
      .catch((err: unknown) => {
        if (!(err instanceof KubeRestError && (err.status === 404 || err.status === 409))) throw err;
      });
    this.log(`${keyOf(pod)} deleted`);
  }

  private async event(pod: V1Pod, reason: string, message: string): Promise<void> {
    const now = nowIso();
    const namespace = pod.metadata?.namespace ?? 'default';
    await this.kube
      .send('POST', `/api/v1/namespaces/${namespace}/events`, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${pod.metadata?.name}.`, namespace },
        involvedObject: {
          apiVersion: 'v1',
          kind: 'Pod',
          name: pod.metadata?.name,
          namespace,
          uid: pod.metadata?.uid,
          resourceVersion: pod.metadata?.resourceVersion,
        },
        reason,
        message,
        type: 'Warning',
        source: { component: COMPONENT },
        reportingComponent: COMPONENT,
        reportingInstance: NODE_NAME,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      })
      .catch((err: unknown) => this.log(`event for ${keyOf(pod)}: ${String(err)}`));
  }

  /** Stops watching, stops every pod's process and removes every sandbox. */
  async stop(): Promise<void> {
    this.abort.abort();
    clearInterval(this.heartbeat);
    await this.watching;
    await Promise.all([...this.queues.values()]);
    await Promise.all([...this.pods.keys()].map((key) => this.teardown(key)));
  }

  /** Synchronous last resort for exit hooks: kill every process, delete every namespace. */
  killNow(): void {
    this.abort.abort();
    clearInterval(this.heartbeat);
    for (const entry of this.pods.values()) {
      entry.stopping = true;
      clearTimeout(entry.restartTimer);
      entry.process?.killNow();
      if (entry.sandbox) removeSandboxNow(entry.sandbox);
    }
    this.pods.clear();
  }
}
