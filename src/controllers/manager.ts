// Wires informers to controllers for one controller process. Reconcilers read the informers'
// caches; informers enqueue keys; nothing here decides anything.
import {
  CoreV1Api,
  CustomObjectsApi,
  NetworkingV1Api,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Ingress,
  type V1Secret,
} from '@kubernetes/client-node';
import type { Certificate, SecretDeletionPolicy } from '../api/certificate.ts';
import { Kind, LABEL_CERTIFICATE_NAME, LABEL_MANAGED, LABEL_MANAGED_VALUE } from '../api/group.ts';
import type { AnyIssuer } from '../api/issuer.ts';
import { CustomResourceClient } from '../kube/custom-resources.ts';
import { apiErrorMessage } from '../kube/errors.ts';
import { KubeEventRecorder } from '../kube/events.ts';
import { KubeSecretStore } from '../kube/secrets.ts';
import { realClock, type Clock } from '../runtime/clock.ts';
import { Controller, type Reconciler } from '../runtime/controller.ts';
import { enqueueKeys, type KeySink } from '../runtime/handlers.ts';
import { objectKey, parseKey } from '../runtime/keys.ts';
import { keepFinalizerOwnership, stripManagedFields, type ResilientInformer } from '../runtime/informer.ts';
import { createKubeInformer } from '../runtime/kube-informer.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ControllerMetrics, InformerMetrics, WorkQueueMetrics } from '../runtime/metrics.ts';
import { WorkQueue } from '../runtime/workqueue.ts';
import { Dns01ChallengeSolver } from '../solvers/dns01/challenge-solver.ts';
import { KubeApiPoster } from '../solvers/dns01/webhook/kube-api-poster.ts';
import { createHttp01Solver, type Http01Options } from '../solvers/http01/create.ts';
import { CachedAcmeClients } from './certificate/acme-clients.ts';
import { ARI_FIELD_MANAGER, AriReconciler } from './certificate/ari.ts';
import { sameSecretKeys } from './certificate/duplicate-secret.ts';
import { SecretNameIndex } from './certificate/secret-name-index.ts';
import {
  ChallengeCleanup,
  CLEANUP_FIELD_MANAGER,
  CLEANUP_FINALIZER,
} from './certificate/challenge-cleanup.ts';
import { DEFAULT_FAILURE_BACKOFF, type FailureBackoff } from './certificate/failure-backoff.ts';
import { CHALLENGE_FINALIZER, IssuanceReconciler } from './certificate/issuance.ts';
import { IssuanceSlots, observationOf } from './certificate/issuance-slots.ts';
import { ISSUANCE_FIELD_MANAGER } from './certificate/issuance-status.ts';
import { READINESS_FIELD_MANAGER, ReadinessReconciler } from './certificate/readiness.ts';
import { SecretOwnerReconciler } from './certificate/secret-owner.ts';
import { isAwaited } from './certificate/urgency.ts';
import { discoverGatewayApi, type GatewayApiResources } from './gateway/discovery.ts';
import { gatewayKeysForCertificate, gatewayKeysForGateway } from './gateway/keys.ts';
import { GATEWAY_SHIM_FIELD_MANAGER, GatewayShimReconciler } from './gateway/reconciler.ts';
import { GATEWAY_API_GROUP, type Gateway } from './gateway/types.ts';
import { KubeCertificateWriter } from './ingress/certificate-writer.ts';
import { ingressKeysForCertificate, ingressKeysForIngress } from './ingress/keys.ts';
import type { ShimDefaults } from './ingress/options.ts';
import { IngressShimReconciler } from './ingress/reconciler.ts';
import type { AccountRegistrar } from './issuer/account-registrar.ts';
import { ISSUER_FIELD_MANAGER, IssuerReconciler } from './issuer/reconciler.ts';

/** What a controller process is configured with. */
export interface ManagerOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  clock?: Clock;
  /** Namespace holding ClusterIssuers' Secrets (acme6's own). */
  clusterResourceNamespace: string;
  registrar: AccountRegistrar;
  workers?: number;
  /** --max-concurrent-issuances: Certificates with an ACME order in flight at once (none: no limit). */
  maxConcurrentIssuances?: number;
  failureBackoff?: FailureBackoff;
  /** Metric hooks per queue, controller and informer (by name); none by default. */
  metrics?: {
    workQueue(name: string): WorkQueueMetrics;
    controller(name: string): ControllerMetrics;
    informer(name: string): InformerMetrics;
  };
  /** The ingress-shim's default issuer (for `kubernetes.io/tls-acme: "true"`). */
  ingressShim?: ShimDefaults;
  /** What happens to a Secret whose Certificate sets no secretDeletionPolicy (default Retain). */
  defaultSecretDeletionPolicy?: SecretDeletionPolicy;
  /** http-01 settings; without them http-01 challenges are reported as unsupported. */
  http01?: Http01Options;
}

type Cert = Certificate & KubernetesObject;
type IssuerObject = AnyIssuer & KubernetesObject;

/**
 * Least concurrent readiness reconciles. A controller starting on many Certificates (10,000 Ready ones,
 * say) writes each one's Ready condition once: reconciles answered from the caches whose time is the
 * apiserver's round trip, so two at a time left the process mostly waiting. Eight in flight is still
 * well under what one client may send an apiserver (client-go's default burst is 10).
 */
const READINESS_WORKERS = 8;

/**
 * Least concurrent issuance reconciles. Each step of an order waits on the CA, the DNS server or the
 * apiserver, so with two workers 100 Certificates created at once took 22 s, with 8 17.6-18.7 s, with
 * 16 14.9 s and with 32 15.0 s (make bench P1 on the 2-core machine). Orders stay bounded by
 * --max-concurrent-issuances, not by this.
 */
const ISSUANCE_WORKERS = 16;

/** Starts and stops every informer and controller of the acme6 controller process. */
export class Manager {
  private readonly informers: ResilientInformer<KubernetesObject>[] = [];
  private readonly controllers: Controller[] = [];
  private readonly recorder: KubeEventRecorder;
  private readonly options: ManagerOptions;
  private readonly clock: Clock;
  private readonly secrets: KubeSecretStore;
  private synced = false;
  private readonly certInformer: ResilientInformer<Cert>;
  private gatewayPartsAdded = false;
  /** The Certificates in the cache (for the per-Certificate metrics). */
  readonly certificates: () => Cert[];
  /** The Issuers and ClusterIssuers in the caches (for the per-issuer metrics). */
  readonly issuers: () => IssuerObject[];

  constructor(options: ManagerOptions) {
    this.options = options;
    this.clock = options.clock ?? realClock;
    this.secrets = new KubeSecretStore(options.kubeConfig);
    this.recorder = new KubeEventRecorder(options.kubeConfig, {
      component: 'acme6-controller',
      logger: options.logger,
      clock: this.clock,
    });
    const certificates = new CustomResourceClient<Cert>(options.kubeConfig, Kind.Certificate);
    const certInformer = this.informer(
      certificates.path,
      (s) => certificates.list(s),
      undefined,
      keepFinalizerOwnership,
    );
    this.certInformer = certInformer;
    this.certificates = () => certInformer.list();
    // First handler, so the others (and reconciles) read an index that includes the change.
    const bySecretName = new SecretNameIndex<Cert>();
    certInformer.addHandler(bySecretName);
    const claimants = (ns: string, secretName: string): Cert[] => bySecretName.claimants(ns, secretName);
    const issuers = {
      Issuer: this.addIssuerController(Kind.Issuer),
      ClusterIssuer: this.addIssuerController(Kind.ClusterIssuer),
    };
    this.issuers = () => [...issuers.Issuer.list(), ...issuers.ClusterIssuer.list()];
    const core = options.kubeConfig.makeApiClient(CoreV1Api);
    const managedSecrets = this.informer<V1Secret & KubernetesObject>(
      '/api/v1/secrets',
      (s) => core.listSecretForAllNamespaces(s),
      `${LABEL_MANAGED}=${LABEL_MANAGED_VALUE}`,
    );

    const getIssuer = (kind: string, name: string, ns: string): IssuerObject | undefined =>
      kind === Kind.ClusterIssuer ? issuers.ClusterIssuer.get(name) : issuers.Issuer.get(name, ns);
    const acmeClients = new CachedAcmeClients(this.secrets);
    const getSecret = async (ns: string, name: string): Promise<V1Secret | undefined> =>
      managedSecrets.get(name, ns) ?? (await this.secrets.get(ns, name));
    const solvers = {
      'dns-01': new Dns01ChallengeSolver(this.secrets, new KubeApiPoster(options.kubeConfig)),
      ...(options.http01
        ? { 'http-01': createHttp01Solver(options.kubeConfig, this.clock, options.http01) }
        : {}),
    };
    // Takes published challenge responses down from status, never asking the CA.
    const challengeCleanup = new ChallengeCleanup({
      getCertificate: (name, ns) => certInformer.get(name, ns),
      readCertificate: (name, ns) => certificates.get(name, ns),
      getIssuer,
      solvers,
      writeRecords: (cert, records, resourceVersion) =>
        certificates.applyStatusVersioned(
          cert.metadata.name ?? '',
          cert.metadata.namespace,
          { presentedChallenges: records },
          CLEANUP_FIELD_MANAGER,
          resourceVersion,
        ),
      setFinalizer: (cert, held) =>
        certificates.applyFinalizers(
          cert.metadata.name ?? '',
          cert.metadata.namespace,
          held ? [CLEANUP_FINALIZER] : [],
          CLEANUP_FIELD_MANAGER,
        ),
      recorder: this.recorder,
      clock: this.clock,
      clusterResourceNamespace: options.clusterResourceNamespace,
    });
    // Set when the issuance controller exists: a freed slot wakes its waiter there.
    let wakeIssuance = (_key: string): void => {};
    const slots =
      options.maxConcurrentIssuances === undefined
        ? undefined
        : new IssuanceSlots(
            options.maxConcurrentIssuances,
            (key) => wakeIssuance(key),
            () => this.clock.now().getTime(),
          );
    const issuance = new IssuanceReconciler({
      ...(slots ? { slots } : {}),
      getCertificate: (name, ns) => certInformer.get(name, ns),
      listCertificates: claimants,
      getIssuer,
      readCertificate: (name, ns) => certificates.get(name, ns),
      secrets: this.secrets,
      cachedSecret: (ns, name) => managedSecrets.get(name, ns),
      acmeClients,
      solvers,
      challengeCleanup,
      // With the version it was decided on: a decision on a lagging cache fails with 409 and is
      // taken again on the newer object, never written over it.
      writeStatus: (cert, status) =>
        certificates.applyStatus(
          cert.metadata.name ?? '',
          cert.metadata.namespace,
          status,
          ISSUANCE_FIELD_MANAGER,
          cert.metadata.resourceVersion,
        ),
      setFinalizer: (cert, held) =>
        certificates.applyFinalizers(
          cert.metadata.name ?? '',
          cert.metadata.namespace,
          held ? [CHALLENGE_FINALIZER] : [],
          ISSUANCE_FIELD_MANAGER,
        ),
      recorder: this.recorder,
      clock: this.clock,
      backoff: options.failureBackoff ?? DEFAULT_FAILURE_BACKOFF,
      clusterResourceNamespace: options.clusterResourceNamespace,
    });
    const readiness = new ReadinessReconciler({
      getCertificate: (name, ns) => certInformer.get(name, ns),
      listCertificates: claimants,
      getSecret,
      writeStatus: (cert, status) =>
        certificates.applyStatus(
          cert.metadata.name ?? '',
          cert.metadata.namespace,
          status,
          READINESS_FIELD_MANAGER,
        ),
      clock: this.clock,
    });
    const ari = new AriReconciler({
      getCertificate: (name, ns) => certInformer.get(name, ns),
      getIssuer,
      getSecret,
      acmeClients,
      writeRenewalInfo: (cert, info) =>
        certificates.applyStatus(
          cert.metadata.name ?? '',
          cert.metadata.namespace,
          info ? { acme: { renewalInfo: info } } : {},
          ARI_FIELD_MANAGER,
        ),
      clock: this.clock,
      logger: options.logger,
      clusterResourceNamespace: options.clusterResourceNamespace,
    });
    // A Certificate someone waits for (not Ready) goes ahead of renewals in the two queues it needs.
    const awaited = (key: string): boolean => {
      const { name, namespace } = parseKey(key);
      return isAwaited(certInformer.get(name, namespace ?? ''));
    };
    const issuanceController = this.controller(
      'certificate-issuance',
      (key) => issuance.reconcile(key),
      ISSUANCE_WORKERS,
      awaited,
    );
    wakeIssuance = (key) => issuanceController.queue.add(key);
    // Slots follow the orders the cache shows; its initial list rebuilds them after a restart.
    if (slots) {
      const observe = (c: Cert): void => slots.observe(observationOf(objectKey(c), c));
      certInformer.addHandler({
        onAdd: observe,
        onUpdate: observe,
        onDelete: (c) => slots.forget(objectKey(c)),
      });
    }
    const certControllers = [
      issuanceController,
      this.controller('certificate-readiness', (key) => readiness.reconcile(key), READINESS_WORKERS, awaited),
      this.controller('certificate-ari', (key) => ari.reconcile(key)),
      this.controller('certificate-challenge-cleanup', (key) => challengeCleanup.reconcile(key)),
    ];
    const toAll = (key: string): void => certControllers.forEach((c) => c.queue.add(key));
    const sink: KeySink = { add: toAll };
    certInformer.addHandler(enqueueKeys(sink));
    // DuplicateSecretName: when one Certificate naming a Secret changes or goes, the others look again.
    certInformer.addHandler(
      enqueueKeys(sink, (c) => sameSecretKeys(c, claimants(c.metadata.namespace ?? '', c.spec.secretName))),
    );
    // A managed Secret changed (deleted, edited): its Certificate is repaired at once.
    managedSecrets.addHandler(
      enqueueKeys(sink, (secret) => {
        const owner = secret.metadata?.labels?.[LABEL_CERTIFICATE_NAME];
        return owner && secret.metadata?.namespace ? `${secret.metadata.namespace}/${owner}` : undefined;
      }),
    );
    this.addSecretOwnerController(certInformer, managedSecrets);
    this.addIngressShim(certInformer);
    // An issuer changed (became Ready, say): every Certificate that uses it looks again.
    for (const [kind, informer] of Object.entries(issuers)) {
      informer.addHandler(
        enqueueKeys(sink, (issuer) =>
          certInformer
            .list()
            .filter(
              (c) =>
                c.spec.issuerRef.kind === kind &&
                c.spec.issuerRef.name === issuer.metadata?.name &&
                (kind === Kind.ClusterIssuer || c.metadata.namespace === issuer.metadata?.namespace),
            )
            .map((c) => `${c.metadata.namespace}/${c.metadata.name}`),
        ),
      );
    }
  }

  /** Keeps each managed Secret's owner reference in line with its Certificate's secretDeletionPolicy. */
  private addSecretOwnerController(
    certInformer: ResilientInformer<Cert>,
    managedSecrets: ResilientInformer<V1Secret & KubernetesObject>,
  ): void {
    const reconciler = new SecretOwnerReconciler({
      getCertificate: (name, ns) => certInformer.get(name, ns),
      getSecret: (name, ns) => managedSecrets.get(name, ns),
      secrets: this.secrets,
      defaultPolicy: this.options.defaultSecretDeletionPolicy ?? 'Retain',
    });
    const controller = this.controller('certificate-secret-owner', (key) => reconciler.reconcile(key));
    certInformer.addHandler(enqueueKeys(controller.queue));
    managedSecrets.addHandler(
      enqueueKeys(controller.queue, (secret) => {
        const owner = secret.metadata?.labels?.[LABEL_CERTIFICATE_NAME];
        return owner && secret.metadata?.namespace ? `${secret.metadata.namespace}/${owner}` : undefined;
      }),
    );
  }

  /** The ingress-shim: Certificates for annotated Ingresses, back to the Ingress when one changes. */
  private addIngressShim(certInformer: ResilientInformer<Cert>): void {
    const networking = this.options.kubeConfig.makeApiClient(NetworkingV1Api);
    const ingresses = this.informer<V1Ingress & KubernetesObject>(
      '/apis/networking.k8s.io/v1/ingresses',
      (s) => networking.listIngressForAllNamespaces(s),
    );
    const ingressesIn = (ns: string): V1Ingress[] => ingresses.list(ns);
    const reconciler = new IngressShimReconciler({
      getIngress: (name, ns) => ingresses.get(name, ns),
      listIngresses: ingressesIn,
      listCertificates: (ns) => certInformer.list(ns),
      writer: new KubeCertificateWriter(this.options.kubeConfig),
      recorder: this.recorder,
      defaults: this.options.ingressShim ?? {},
      logger: this.options.logger,
    });
    const controller = this.controller('ingress-shim', (key) => reconciler.reconcile(key));
    ingresses.addHandler(enqueueKeys(controller.queue, (i) => ingressKeysForIngress(i, ingressesIn)));
    certInformer.addHandler(enqueueKeys(controller.queue, (c) => ingressKeysForCertificate(c, ingressesIn)));
  }

  /**
   * The gateway-shim, if the apiserver serves the Gateway API: Certificates for annotated Gateways.
   * Without its CRDs the controller runs as before and says so once.
   */
  private async addGatewayShim(): Promise<void> {
    if (this.gatewayPartsAdded) return;
    this.gatewayPartsAdded = true;
    const served = await this.discoverGatewayApi();
    if (!served.gateways) {
      this.options.logger.info(
        { group: GATEWAY_API_GROUP },
        'Gateway API not installed (no gateway.networking.k8s.io/v1 gateways): the gateway-shim is off',
      );
      return;
    }
    const custom = this.options.kubeConfig.makeApiClient(CustomObjectsApi);
    const gateways = this.informer<Gateway & KubernetesObject>(
      `/apis/${GATEWAY_API_GROUP}/v1/gateways`,
      async (s) =>
        (await custom.listClusterCustomObject({
          group: GATEWAY_API_GROUP,
          version: 'v1',
          plural: 'gateways',
          ...s,
        })) as KubernetesListObject<Gateway & KubernetesObject>,
    );
    const gatewaysIn = (ns: string): Gateway[] => gateways.list(ns);
    const reconciler = new GatewayShimReconciler({
      getGateway: (name, ns) => gateways.get(name, ns),
      listGateways: gatewaysIn,
      listCertificates: (ns) => this.certInformer.list(ns),
      writer: new KubeCertificateWriter(this.options.kubeConfig, GATEWAY_SHIM_FIELD_MANAGER),
      recorder: this.recorder,
      defaults: this.options.ingressShim ?? {},
      logger: this.options.logger,
    });
    const controller = this.controller('gateway-shim', (key) => reconciler.reconcile(key));
    gateways.addHandler(enqueueKeys(controller.queue, (g) => gatewayKeysForGateway(g, gatewaysIn)));
    this.certInformer.addHandler(
      enqueueKeys(controller.queue, (c) => gatewayKeysForCertificate(c, gatewaysIn)),
    );
  }

  /** Asks discovery whether the Gateway API is served; a transient failure is retried, not fatal. */
  private async discoverGatewayApi(): Promise<GatewayApiResources> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await discoverGatewayApi(this.options.kubeConfig);
      } catch (err) {
        const retryInMs = Math.min(1000 * 2 ** attempt, 30_000);
        this.options.logger.warn(
          { error: apiErrorMessage(err), retryInMs },
          'Gateway API discovery failed; retrying',
        );
        await new Promise<void>((resolve) => this.clock.after(retryInMs, resolve));
      }
    }
  }

  private informer<T extends KubernetesObject>(
    path: string,
    list: Parameters<typeof createKubeInformer<T>>[2],
    labelSelector?: string,
    prune: (obj: KubernetesObject) => void = stripManagedFields,
  ): ResilientInformer<T> {
    const informer = createKubeInformer<T>(this.options.kubeConfig, path, list, {
      name: path,
      // managedFields are often larger than the rest of the metadata and no reader of these caches
      // looks at them, except challenge clean-up asking who holds a Certificate's finalizer.
      prune,
      logger: this.options.logger,
      clock: this.clock,
      ...(labelSelector ? { labelSelector } : {}),
      ...(this.options.metrics ? { metrics: this.options.metrics.informer(path) } : {}),
    });
    this.informers.push(informer as unknown as ResilientInformer<KubernetesObject>);
    return informer;
  }

  private controller(
    name: string,
    reconcile: Reconciler,
    minWorkers = 1,
    isUrgent?: (key: string) => boolean,
  ): Controller {
    const metrics = this.options.metrics;
    const controller = new Controller({
      name,
      reconcile,
      workers: Math.max(this.options.workers ?? 2, minWorkers),
      logger: this.options.logger,
      clock: this.clock,
      queue: new WorkQueue({
        clock: this.clock,
        ...(metrics && { metrics: metrics.workQueue(name) }),
        ...(isUrgent && { isUrgent }),
      }),
      ...(metrics && { metrics: metrics.controller(name) }),
    });
    this.controllers.push(controller);
    return controller;
  }

  private addIssuerController(
    kind: typeof Kind.Issuer | typeof Kind.ClusterIssuer,
  ): ResilientInformer<IssuerObject> {
    const client = new CustomResourceClient<IssuerObject>(this.options.kubeConfig, kind);
    const informer = this.informer(client.path, (s) => client.list(s));
    const reconciler = new IssuerReconciler({
      getIssuer: (name, namespace) => informer.get(name, namespace),
      secrets: this.secrets,
      registrar: this.options.registrar,
      writeStatus: (issuer, status) =>
        client.applyStatus(
          issuer.metadata.name ?? '',
          issuer.metadata.namespace,
          status,
          ISSUER_FIELD_MANAGER,
        ),
      recorder: this.recorder,
      clock: this.clock,
      clusterResourceNamespace: this.options.clusterResourceNamespace,
    });
    const controller = this.controller(kind.toLowerCase(), (key, signal) =>
      reconciler.reconcile(key, signal),
    );
    informer.addHandler(enqueueKeys(controller.queue));
    return informer;
  }

  /** Starts informers, waits for their caches, then starts the controllers. */
  async start(): Promise<void> {
    await this.startInformers();
    this.startControllers();
  }

  /** Starts the informers and waits for their caches: what a hot standby runs before it leads. */
  async startInformers(): Promise<void> {
    await this.addGatewayShim();
    for (const informer of this.informers) informer.start();
    await Promise.all(this.informers.map((i) => i.waitForSync()));
    this.synced = true;
  }

  /** Whether every informer cache has synced (readiness). */
  informersSynced(): boolean {
    return this.synced;
  }

  /** Starts the controllers (once this process leads); call after `startInformers`. */
  startControllers(): void {
    for (const controller of this.controllers) controller.start();
    this.options.logger.info({ controllers: this.controllers.length }, 'controllers started');
  }

  /** Stops controllers (letting in-flight reconciles finish, bounded), then informers. */
  async stop(): Promise<void> {
    await Promise.all(this.controllers.map((c) => c.stop()));
    await Promise.all(this.informers.map((i) => i.stop()));
    await this.recorder.flush();
  }
}
