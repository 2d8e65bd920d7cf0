// The node agent: the Services that ask to be published, their EndpointSlices (published-services-
// watch.ts: metadata of every Service, full objects only of those) and its own Node feed the pure model; the
// SyncLoop decides when; each sync writes the rules in one restore, clears the conntrack entries of
// mappings that changed, and reports on the Services (Events, this node's status annotation).
import { CoreV1Api, type KubeConfig, type KubernetesObject, type V1Node } from '@kubernetes/client-node';
import type { EventRecorder } from '../kube/events.ts';
import { apiErrorMessage, isNotFound } from '../kube/errors.ts';
import { refOf } from '../kube/object-ref.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import type { ResilientInformer } from '../runtime/informer.ts';
import { createKubeInformer } from '../runtime/kube-informer.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Dataplane } from './dataplane.ts';
import { deleteFlows, staleFlows } from './conntrack.ts';
import { buildIntent, type Mapping, type NatIntent, type NodeFacts, type Problem } from './model.ts';
import { PublishedServicesWatch } from './published-services-watch.ts';
import {
  LABEL_PUBLISHED_STATUS,
  publishedChanges,
  publishedData,
  publishedValues,
  statusConfigMapName,
} from './status.ts';
import { SyncLoop, type SyncReason } from './sync-loop.ts';
import type { ServiceMeta } from './watch-selection.ts';

/** How an agent is configured (see `acme6 agent --help`). */
export interface AgentOptions {
  readonly kubeConfig: KubeConfig;
  readonly logger: Logger;
  readonly recorder: EventRecorder;
  /** The netfilter backend to write through (xtablesDataplane or nftablesDataplane). */
  readonly dataplane: Dataplane;
  readonly nodeName: string;
  /** Publish on this address only, instead of every global IPv6 address of the Node. */
  readonly nodeAddress?: string;
  /** Namespace of this node's status ConfigMap (the agent's own). */
  readonly statusNamespace: string;
  /** Prefix for `conntrack` (tests); empty in production. */
  readonly commandPrefix?: readonly string[];
  readonly minSyncIntervalMs: number;
  readonly resyncPeriodMs: number;
  readonly canaryPeriodMs: number;
  readonly clock?: Clock;
}

/** Field manager of this node's annotation patches (one per node, so ownership is visible). */
export const agentFieldManager = (node: string): string => `acme6-agent-${node}`.slice(0, 128);

/** A running agent; start() resolves after the first sync. */
export class Agent {
  private readonly o: AgentOptions;
  private readonly watch: PublishedServicesWatch;
  private readonly nodes: ResilientInformer<V1Node & KubernetesObject>;
  private readonly core: CoreV1Api;
  private readonly loop: SyncLoop;
  /** What the status ConfigMap says now (`ns/name` → value), and its data as last written. */
  private published = new Map<string, string>();
  private writtenData: string | undefined;
  private mappings: readonly Mapping[] = [];
  private reportedProblems = new Map<string, string>();
  private firstSync: (() => void) | undefined;
  private started = false;

  constructor(options: AgentOptions) {
    this.o = options;
    const clock = options.clock ?? realClock;
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    const common = { logger: options.logger, clock };
    this.watch = new PublishedServicesWatch({
      kubeConfig: options.kubeConfig,
      ...common,
      onChange: () => this.request(),
    });
    this.nodes = createKubeInformer<V1Node & KubernetesObject>(
      options.kubeConfig,
      '/api/v1/nodes',
      (s) => this.core.listNode(s),
      { name: 'node', fieldSelector: `metadata.name=${options.nodeName}`, ...common },
    );
    this.loop = new SyncLoop({
      clock,
      logger: options.logger,
      sync: (reason) => this.sync(reason),
      // Nothing published means nothing installed, so there is nothing to lose to a flush.
      canary: () => (this.mappings.length === 0 ? Promise.resolve(true) : options.dataplane.canary()),
      minIntervalMs: options.minSyncIntervalMs,
      resyncPeriodMs: options.resyncPeriodMs,
      canaryPeriodMs: options.canaryPeriodMs,
    });
  }

  /** Starts the watches, waits for their caches, runs the first sync. */
  async start(signal?: AbortSignal): Promise<void> {
    const changed = {
      onAdd: () => this.request(),
      onUpdate: () => this.request(),
      onDelete: () => this.request(),
    };
    this.nodes.addHandler(changed);
    this.nodes.start();
    await this.watch.start(signal);
    if (!(await this.nodes.waitForSync(signal))) throw new Error(`informer ${this.nodes.name} did not sync`);
    const synced = new Promise<void>((resolve) => (this.firstSync = resolve));
    this.started = true;
    this.loop.start();
    await synced;
  }

  /** Stops syncing; the rules stay in place so traffic keeps flowing while the agent is away. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all([this.watch.stop(), this.nodes.stop()]);
  }

  private request(): void {
    // Until the caches are complete, the informers' initial adds are covered by the first sync.
    if (this.started) this.loop.request('change');
  }

  /** The node as the model needs it, or undefined while its Node object is unknown. */
  private nodeFacts(): NodeFacts | undefined {
    const node = this.nodes.get(this.o.nodeName);
    if (node === undefined && this.o.nodeAddress === undefined) return undefined;
    const cidrs = node?.spec?.podCIDRs ?? (node?.spec?.podCIDR ? [node.spec.podCIDR] : []);
    return {
      name: this.o.nodeName,
      addresses: this.o.nodeAddress
        ? [this.o.nodeAddress]
        : (node?.status?.addresses ?? []).map((a) => a.address),
      podCIDRs: cidrs,
    };
  }

  private async sync(reason: SyncReason): Promise<void> {
    const node = this.nodeFacts();
    if (node === undefined) {
      // Never tear rules down for a Node we cannot see (RBAC, a rename): keep what is installed.
      this.o.logger.warn(
        { node: this.o.nodeName },
        'Node object not found; pass --node-address or create it',
      );
      this.done();
      return;
    }
    const started = Date.now();
    const intent = buildIntent({
      node,
      services: this.watch.services(),
      endpointSlices: this.watch.endpointSlices(),
    });
    const stats = await this.o.dataplane.sync(intent, reason);
    if (stats === undefined) {
      this.o.logger.debug({ reason, mappings: intent.mappings.length }, 'unchanged; nothing applied');
      this.done();
      await this.report(intent);
      return;
    }
    const stale = staleFlows(this.mappings, intent.mappings);
    const flowsDeleted = stale.length > 0 ? await deleteFlows(stale, this.o.commandPrefix ?? []) : 0;
    this.mappings = intent.mappings;
    this.o.logger.info(
      {
        reason,
        mappings: intent.mappings.length,
        problems: intent.problems.length,
        backend: this.o.dataplane.name,
        ...stats.detail,
        conntrackTargets: stale.length,
        flowsDeleted,
        bytes: stats.bytes,
        ms: Date.now() - started,
      },
      'synced',
    );
    this.done();
    await this.report(intent);
  }

  private done(): void {
    const first = this.firstSync;
    this.firstSync = undefined;
    first?.();
  }

  /** Events and this node's status ConfigMap; failures are logged, never fail the sync. */
  private async report(intent: NatIntent): Promise<void> {
    // Any Service by `namespace/name`, also one no longer published (its Unpublished Event).
    const byKey = { get: (key: string) => this.watch.serviceMeta(key) };
    this.reportProblems(intent.problems, byKey);
    const data = publishedData(intent.node, intent.mappings);
    const serialised = JSON.stringify(data);
    if (serialised === this.writtenData) return;
    try {
      await this.writeStatus(data);
    } catch (err) {
      this.o.logger.warn(
        {
          configMap: `${this.o.statusNamespace}/${statusConfigMapName(this.o.nodeName)}`,
          error: apiErrorMessage(err),
        },
        'could not write the status ConfigMap',
      );
      return;
    }
    this.writtenData = serialised;
    const now = publishedValues(intent.node, intent.mappings);
    for (const change of publishedChanges(this.published, now)) {
      const service = byKey.get(change.service);
      if (service === undefined) continue;
      const ref = refOf({ apiVersion: 'v1', kind: 'Service', metadata: service.metadata ?? {} });
      if (change.value === null) {
        this.o.recorder.normal(
          ref,
          'Unpublished',
          `node ${this.o.nodeName} no longer publishes this Service`,
        );
      } else {
        this.o.recorder.normal(ref, 'Published', `published on IPv6: ${change.value}`);
      }
    }
    this.published = now;
  }

  /** Replaces this node's ConfigMap whole (only this node writes it), creating it the first time. */
  private async writeStatus(data: Record<string, string>): Promise<void> {
    const name = statusConfigMapName(this.o.nodeName);
    const namespace = this.o.statusNamespace;
    const body = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace,
        labels: { [LABEL_PUBLISHED_STATUS]: 'true' },
        annotations: { 'acme6.io/node': this.o.nodeName },
      },
      data,
    };
    try {
      await this.core.replaceNamespacedConfigMap({
        name,
        namespace,
        body,
        fieldManager: agentFieldManager(this.o.nodeName),
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await this.core.createNamespacedConfigMap({
        namespace,
        body,
        fieldManager: agentFieldManager(this.o.nodeName),
      });
    }
  }

  /** A Warning per new problem of a Service (repeats are not re-sent until the problem changes). */
  private reportProblems(
    problems: readonly Problem[],
    services: { get(key: string): ServiceMeta | undefined },
  ): void {
    const now = new Map<string, string>();
    for (const p of problems) {
      const text = `${p.reason}\u0000${p.message}`;
      const previous = now.get(p.service);
      now.set(p.service, previous === undefined ? text : `${previous}\u0001${text}`);
    }
    for (const [key, text] of now) {
      if (this.reportedProblems.get(key) === text) continue;
      const service = services.get(key);
      if (service === undefined) continue;
      const ref = refOf({ apiVersion: 'v1', kind: 'Service', metadata: service.metadata ?? {} });
      for (const p of problems.filter((q) => q.service === key))
        this.o.recorder.warning(ref, p.reason, p.message);
    }
    this.reportedProblems = now;
  }
}
