// Issuer and ClusterIssuer: an ACME account key in the referenced Secret (generated once, never
// replaced while it exists) and an account registered for it, reported in the Ready condition.
import { createHash, createPublicKey } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import { ConditionType, setCondition } from '../../api/conditions.ts';
import { LABEL_MANAGED, LABEL_MANAGED_VALUE } from '../../api/group.ts';
import { issuerSpec, type AnyIssuer, type IssuerStatus } from '../../api/issuer.ts';
import { AcmeError } from '../../acme/errors.ts';
import { generatePrivateKey, readPrivateKey } from '../../acme/keys.ts';
import { isConflict } from '../../kube/errors.ts';
import type { EventRecorder } from '../../kube/events.ts';
import { refOf } from '../../kube/object-ref.ts';
import { secretValue, type SecretStore } from '../../kube/secrets.ts';
import type { Clock } from '../../runtime/clock.ts';
import type { Result } from '../../runtime/controller.ts';
import { parseKey } from '../../runtime/keys.ts';
import type { AccountRegistrar, AccountRequest } from './account-registrar.ts';

/** Field manager of the status fields this controller owns (Ready, acme). */
export const ISSUER_FIELD_MANAGER = 'acme6-issuer';
/** How soon to look again at a Secret a user must fix (we do not watch users' Secrets). */
export const RECHECK_USER_SECRET_MS = 60_000;

/** What the reconciler needs; every side effect is behind one of these. */
export interface IssuerReconcilerDeps {
  getIssuer(name: string, namespace?: string): AnyIssuer | undefined;
  secrets: SecretStore;
  registrar: AccountRegistrar;
  writeStatus(issuer: AnyIssuer, status: IssuerStatus): Promise<void>;
  recorder: EventRecorder;
  clock: Clock;
  /** Where a ClusterIssuer's Secrets live (acme6's own namespace). */
  clusterResourceNamespace: string;
}

type Gathered =
  { request: AccountRequest; keyHash: string } | { problem: { reason: string; message: string } };

/** Reconciles one Issuer or ClusterIssuer key. */
export class IssuerReconciler {
  private readonly deps: IssuerReconcilerDeps;

  constructor(deps: IssuerReconcilerDeps) {
    this.deps = deps;
  }

  async reconcile(key: string, signal?: AbortSignal): Promise<Result> {
    const { name, namespace } = parseKey(key);
    const issuer = this.deps.getIssuer(name, namespace);
    if (!issuer) return {};
    const gathered = await this.gather(issuer);
    if ('problem' in gathered) {
      await this.setReady(issuer, 'False', gathered.problem.reason, gathered.problem.message);
      return { requeueAfter: RECHECK_USER_SECRET_MS };
    }
    if (this.upToDate(issuer, gathered.request, gathered.keyHash)) return {};
    try {
      const { accountURL } = await this.deps.registrar.register(gathered.request, signal);
      const acme = {
        uri: accountURL,
        lastRegisteredEmail: gathered.request.email ?? '',
        lastPrivateKeyHash: gathered.keyHash,
      };
      await this.setReady(
        issuer,
        'True',
        'AccountRegistered',
        `ACME account ${accountURL} is registered`,
        acme,
      );
      if (issuer.status?.acme?.uri !== accountURL) {
        this.deps.recorder.normal(
          refOf(issuer),
          'AccountRegistered',
          `registered ACME account ${accountURL}`,
        );
      }
      return {};
    } catch (err) {
      if (!(err instanceof AcmeError)) throw err;
      await this.setReady(issuer, 'False', 'RegistrationFailed', err.message);
      this.deps.recorder.warning(refOf(issuer), 'RegistrationFailed', err.message);
      if (!err.transient) return {}; // the spec must change; a spec change reconciles again
      if (err.retryAfter)
        return { requeueAfter: Math.max(0, err.retryAfter.getTime() - this.deps.clock.now().getTime()) };
      throw err; // per-item backoff
    }
  }

  /** Reads the spec and every Secret it names; a problem a user must fix is returned, not thrown. */
  private async gather(issuer: AnyIssuer): Promise<Gathered> {
    const parsed = issuerSpec.safeParse(issuer.spec);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        problem: { reason: 'InvalidConfig', message: `spec.${issue?.path.join('.')}: ${issue?.message}` },
      };
    }
    const acme = parsed.data.acme;
    const secretNamespace = issuer.metadata.namespace ?? this.deps.clusterResourceNamespace;
    const keyRef = acme.privateKeySecretRef;
    const accountKeyPem = await this.accountKey(issuer, secretNamespace, keyRef.name, keyRef.key);
    if (typeof accountKeyPem !== 'string') return { problem: accountKeyPem };
    const request: AccountRequest = { server: acme.server, accountKeyPem };
    if (acme.email) request.email = acme.email;
    if (acme.caBundle) request.caBundlePem = Buffer.from(acme.caBundle, 'base64').toString('utf8');
    if (acme.externalAccountBinding) {
      const { keyID, keySecretRef, keyAlgorithm } = acme.externalAccountBinding;
      const hmacKey = secretValue(
        await this.deps.secrets.get(secretNamespace, keySecretRef.name),
        keySecretRef.key,
      );
      if (!hmacKey) {
        const where = `${secretNamespace}/${keySecretRef.name}`;
        return {
          problem: {
            reason: 'InvalidConfig',
            message: `EAB key ${keySecretRef.key} not found in Secret ${where}`,
          },
        };
      }
      request.eab = { keyID, hmacKey: hmacKey.trim(), algorithm: keyAlgorithm };
    }
    const publicDer = createPublicKey(accountKeyPem).export({ type: 'spki', format: 'der' });
    return { request, keyHash: createHash('sha256').update(publicDer).digest('hex') };
  }

  /** The account key PEM; generated into a new Secret if the Secret does not exist. */
  private async accountKey(
    issuer: AnyIssuer,
    namespace: string,
    name: string,
    key: string,
  ): Promise<string | { reason: string; message: string }> {
    const secret = await this.deps.secrets.get(namespace, name);
    if (!secret) return this.generateAccountKey(issuer, namespace, name, key);
    const pem = secretValue(secret, key);
    if (!pem || !readPrivateKey(pem)) {
      // Never overwrite a Secret we did not create empty-handed: the key may be someone's account.
      const what = pem ? 'does not hold a PEM private key' : 'is missing';
      return { reason: 'InvalidAccountKey', message: `key ${key} in Secret ${namespace}/${name} ${what}` };
    }
    return pem;
  }

  private async generateAccountKey(
    issuer: AnyIssuer,
    namespace: string,
    name: string,
    key: string,
  ): Promise<string> {
    const pem = await generatePrivateKey({ algorithm: 'ECDSA', size: 256 });
    const secret: V1Secret & { metadata: { name: string; namespace: string } } = {
      metadata: { name, namespace, labels: { [LABEL_MANAGED]: LABEL_MANAGED_VALUE } },
      type: 'Opaque',
      data: { [key]: Buffer.from(pem).toString('base64') },
    };
    try {
      await this.deps.secrets.create(secret);
    } catch (err) {
      // Someone (another replica) created it first: use theirs on the retry, never replace it.
      if (isConflict(err))
        throw new Error(`account key Secret ${namespace}/${name} appeared meanwhile; retrying`, {
          cause: err,
        });
      throw err;
    }
    this.deps.recorder.normal(
      refOf(issuer),
      'AccountKeyGenerated',
      `generated an ECDSA P-256 account key in Secret ${namespace}/${name}`,
    );
    return pem;
  }

  private upToDate(issuer: AnyIssuer, request: AccountRequest, keyHash: string): boolean {
    const status = issuer.status;
    const ready = status?.conditions?.find((c) => c.type === ConditionType.Ready);
    return (
      ready?.status === 'True' &&
      ready.observedGeneration === issuer.metadata.generation &&
      status?.acme?.uri !== undefined &&
      status.acme.lastRegisteredEmail === (request.email ?? '') &&
      status.acme.lastPrivateKeyHash === keyHash
    );
  }

  private async setReady(
    issuer: AnyIssuer,
    status: 'True' | 'False',
    reason: string,
    message: string,
    acme = issuer.status?.acme,
  ): Promise<void> {
    const conditions = setCondition(
      issuer.status?.conditions,
      {
        type: ConditionType.Ready,
        status,
        reason,
        message,
        observedGeneration: issuer.metadata.generation ?? 0,
      },
      this.deps.clock.now(),
    ).filter((c) => c.type === ConditionType.Ready);
    await this.deps.writeStatus(issuer, acme ? { conditions, acme } : { conditions });
  }
}
