import type { V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { AnyIssuer, IssuerStatus } from '../../api/issuer.ts';
import { AcmeError } from '../../acme/errors.ts';
import type { EventRecorder } from '../../kube/events.ts';
import { secretValue, type SecretStore } from '../../kube/secrets.ts';
import { FakeClock } from '../../runtime/clock.ts';
import type { AccountRegistrar, AccountRequest } from './account-registrar.ts';
import { IssuerReconciler, RECHECK_USER_SECRET_MS } from './reconciler.ts';

function issuer(kind: 'Issuer' | 'ClusterIssuer', acme: Record<string, unknown> = {}): AnyIssuer {
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind,
    metadata: { name: 'le', generation: 2, uid: 'u1', ...(kind === 'Issuer' ? { namespace: 'team' } : {}) },
    spec: {
      acme: {
        server: 'https://ca.example.test/dir',
        email: 'ops@example.test',
        privateKeySecretRef: { name: 'le-account', key: 'tls.key' },
        solvers: [{ http01: { ingress: {} } }],
        ...acme,
      },
    },
  } as AnyIssuer;
}

function setup(initial: AnyIssuer, registrar?: Partial<AccountRegistrar>) {
  let current: AnyIssuer | undefined = initial;
  const secrets = new Map<string, V1Secret>();
  const requests: AccountRequest[] = [];
  const events: string[] = [];
  const store: SecretStore = {
    get: (ns, name) => Promise.resolve(secrets.get(`${ns}/${name}`)),
    create: (s) => {
      secrets.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
      return Promise.resolve(s);
    },
  };
  const recorder: EventRecorder = {
    normal: (_r, reason) => void events.push(`Normal/${reason}`),
    warning: (_r, reason) => void events.push(`Warning/${reason}`),
  };
  const reconciler = new IssuerReconciler({
    getIssuer: () => current,
    secrets: store,
    registrar: {
      register: (req) => {
        requests.push(req);
        return Promise.resolve({ accountURL: 'https://ca.example.test/acct/1' });
      },
      ...registrar,
    },
    writeStatus: (obj, status: IssuerStatus) => {
      current = { ...obj, status };
      return Promise.resolve();
    },
    recorder,
    clock: new FakeClock(new Date('2026-11-25T00:00:00Z')),
    clusterResourceNamespace: 'acme6',
  });
  const key = initial.metadata.namespace ? `team/le` : 'le';
  return { reconciler, key, secrets, requests, events, current: () => current! };
}

const ready = (i: AnyIssuer) => i.status?.conditions?.find((c) => c.type === 'Ready');

describe('IssuerReconciler', () => {
  it('generates the account key once, registers, and reports Ready', async () => {
    const t = setup(issuer('Issuer'));
    expect(await t.reconciler.reconcile(t.key)).toEqual({});
    const secret = t.secrets.get('team/le-account');
    expect(secretValue(secret, 'tls.key')).toContain('BEGIN PRIVATE KEY');
    expect(secret?.metadata?.labels).toEqual({ 'acme6.io/managed': 'true' });
    expect(ready(t.current())).toMatchObject({
      status: 'True',
      reason: 'AccountRegistered',
      observedGeneration: 2,
    });
    expect(t.current().status?.acme).toMatchObject({
      uri: 'https://ca.example.test/acct/1',
      lastRegisteredEmail: 'ops@example.test',
    });
    expect(t.requests[0]).toMatchObject({ server: 'https://ca.example.test/dir', email: 'ops@example.test' });
    expect(t.events).toEqual(['Normal/AccountKeyGenerated', 'Normal/AccountRegistered']);

    // Up to date: a second pass neither registers again nor touches the key.
    await t.reconciler.reconcile(t.key);
    expect(t.requests).toHaveLength(1);
    expect(secretValue(t.secrets.get('team/le-account'), 'tls.key')).toBe(secretValue(secret, 'tls.key'));
  });

  it("keeps a ClusterIssuer's Secrets in the cluster resource namespace", async () => {
    const t = setup(issuer('ClusterIssuer'));
    await t.reconciler.reconcile(t.key);
    expect([...t.secrets.keys()]).toEqual(['acme6/le-account']);
  });

  it('never replaces a Secret whose key is missing or unreadable', async () => {
    const t = setup(issuer('Issuer'));
    t.secrets.set('team/le-account', { metadata: { name: 'le-account' }, data: { other: 'eA==' } });
    expect(await t.reconciler.reconcile(t.key)).toEqual({ requeueAfter: RECHECK_USER_SECRET_MS });
    expect(ready(t.current())).toMatchObject({ status: 'False', reason: 'InvalidAccountKey' });
    expect(ready(t.current())?.message).toBe('key tls.key in Secret team/le-account is missing');
    expect(t.secrets.get('team/le-account')?.data).toEqual({ other: 'eA==' });
    expect(t.requests).toHaveLength(0);
  });

  it('reports a missing EAB Secret as InvalidConfig', async () => {
    const t = setup(
      issuer('Issuer', {
        externalAccountBinding: { keyID: 'kid-1', keySecretRef: { name: 'eab', key: 'hmac' } },
      }),
    );
    await t.reconciler.reconcile(t.key);
    expect(ready(t.current())).toMatchObject({
      status: 'False',
      reason: 'InvalidConfig',
      message: 'EAB key hmac not found in Secret team/eab',
    });
  });

  it('retries transient failures with backoff, or at Retry-After', async () => {
    const down = new AcmeError('ACME server https://ca.example.test/dir did not answer', {
      kind: 'network',
      classification: 'transient',
      server: 'https://ca.example.test/dir',
      operation: 'the account registration',
    });
    const t = setup(issuer('Issuer'), { register: () => Promise.reject(down) });
    await expect(t.reconciler.reconcile(t.key)).rejects.toBe(down);
    expect(ready(t.current())).toMatchObject({
      status: 'False',
      reason: 'RegistrationFailed',
      message: down.message,
    });
    expect(t.events).toContain('Warning/RegistrationFailed');

    const limited = new AcmeError('rate limited', {
      kind: 'problem',
      classification: 'transient',
      server: 'x',
      operation: 'y',
      retryAfter: new Date('2026-11-25T01:00:00Z'),
    });
    const r = setup(issuer('Issuer'), { register: () => Promise.reject(limited) });
    expect(await r.reconciler.reconcile(r.key)).toEqual({ requeueAfter: 3600_000 });
  });

  it('does not retry a terminal failure until the spec changes', async () => {
    const refused = new AcmeError('rejected: invalidContact', {
      kind: 'problem',
      classification: 'terminal',
      server: 'x',
      operation: 'y',
    });
    const t = setup(issuer('Issuer'), { register: () => Promise.reject(refused) });
    expect(await t.reconciler.reconcile(t.key)).toEqual({});
    expect(ready(t.current())).toMatchObject({ status: 'False', reason: 'RegistrationFailed' });
  });
});
