// The webhook provider against a real cert-manager-style DNS01 webhook registered with the testbed's
// apiserver (APIService, aggregation layer, front-proxy client certificate): the shared dns-01
// conformance suite, then who the webhook sees calling and how its failures reach acme6.
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTerminalError } from '../../src/runtime/errors.ts';
import {
  Dns01TerminalError,
  Dns01TransientError,
  type ChallengeRecord,
} from '../../src/solvers/dns01/provider.ts';
import { KubeApiPoster } from '../../src/solvers/dns01/webhook/kube-api-poster.ts';
import { WebhookDnsProvider } from '../../src/solvers/dns01/webhook/provider.ts';
import type { TestWebhookConfig } from '../emulators/cert-manager-webhook/solver.ts';
import { apply } from './certificate-dns01.ts';
import { describeDns01Conformance } from './dns01-conformance.ts';
import { testbedDns, txtAtBothServers, uniqueLabel } from './dns01-testbed.ts';
import { startRegisteredWebhook, type RegisteredWebhook } from './dns01-webhook-setup.ts';
import { SERVICE_ACCOUNTS, serviceAccountKubeconfig } from './deploy-rbac.ts';
import { createTestNamespace, testbed } from './kube.ts';

let hook: RegisteredWebhook;
let ns: string;
let controllerApi: KubeApiPoster;

const kubeConfigAt = (path: string): k8s.KubeConfig => {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(path);
  return kc;
};

beforeAll(async () => {
  hook = await startRegisteredWebhook();
  ns = await createTestNamespace('webhook');
  await apply(ns, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'bind-tsig' },
    stringData: { secret: testbedDns().tsig.secret },
  });
  // acme6's own ServiceAccount, with the grant the webhook's chart would ship.
  controllerApi = new KubeApiPoster(
    kubeConfigAt(await serviceAccountKubeconfig(SERVICE_ACCOUNTS.controller)),
  );
});
afterAll(async () => {
  await hook?.stop();
});

/** The webhook's config for the testbed's BIND primary, the TSIG secret in this test's namespace. */
function bindConfig(): TestWebhookConfig {
  const dns = testbedDns();
  return {
    nameserver: dns.primary,
    tsigKeyName: dns.tsig.keyName,
    tsigAlgorithm: dns.tsig.algorithm,
    tsigSecretSecretRef: { name: 'bind-tsig', key: 'secret' },
  };
}

function provider(
  overrides: { config?: TestWebhookConfig; api?: KubeApiPoster; solverName?: string } = {},
): WebhookDnsProvider {
  return new WebhookDnsProvider({
    groupName: hook.groupName,
    solverName: overrides.solverName ?? hook.solverName,
    config: { ...(overrides.config ?? bindConfig()) },
    resourceNamespace: ns,
    api: overrides.api ?? controllerApi,
  });
}

describeDns01Conformance(
  'cert-manager DNS01 webhook through the aggregation layer (as acme6-controller)',
  () => provider(),
  txtAtBothServers,
  { zone: 'example.test.' },
);

const record = (): ChallengeRecord => ({
  fqdn: `_acme-challenge.${uniqueLabel('webhook')}.example.test.`,
  zone: 'example.test.',
  value: randomBytes(32).toString('base64url'),
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('webhook provider through the aggregation layer', () => {
  it("reaches the webhook through the apiserver's front proxy as acme6's ServiceAccount, with cert-manager's payload", async () => {
    const r = record();
    const before = hook.server.payloads.length;
    await provider().present(r);
    await provider().cleanUp(r);
    const [present, cleanUp] = hook.server.payloads.slice(before);
    expect(present).toMatchObject({
      user: 'system:serviceaccount:acme6:acme6-controller',
      apiVersion: 'webhook.acme.cert-manager.io/v1alpha1',
      kind: 'ChallengePayload',
      request: {
        action: 'Present',
        type: 'dns-01',
        dnsName: r.fqdn.replace('_acme-challenge.', '').replace(/\.$/, ''),
        key: r.value,
        resourceNamespace: ns,
        resolvedFQDN: r.fqdn,
        resolvedZone: 'example.test.',
        allowAmbientCredentials: false,
        config: bindConfig(),
      },
    });
    expect(present!.groups).toContain('system:serviceaccounts');
    expect(cleanUp!.request.action).toBe('CleanUp');
    expect(await txtAtBothServers(r.fqdn)).toEqual(
      Object.fromEntries(Object.keys(await txtAtBothServers(r.fqdn)).map((k) => [k, []])),
    );
  });

  it("reports the webhook's own failure message, as retryable", async () => {
    const r = record();
    const err = await failure(
      provider({ config: { failWith: 'Cloudflare said: invalid API token' } }).present(r),
    );
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect(err.message).toBe(
      `DNS01 webhook ${hook.solverName}.${hook.groupName}: Present of ${r.fqdn} failed: Cloudflare said: invalid API token`,
    );
  });

  it('reports a missing grant as terminal 403, saying what to grant', async () => {
    // The agent's ServiceAccount has no grant for the webhook.
    const agentApi = new KubeApiPoster(kubeConfigAt(await serviceAccountKubeconfig(SERVICE_ACCOUNTS.agent)));
    const before = hook.server.payloads.length;
    const err = await failure(provider({ api: agentApi }).present(record()));
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(isTerminalError(err)).toBe(true);
    expect(err.message).toContain('failed: HTTP 403 Forbidden');
    expect(err.message).toContain(
      `grant acme6's ServiceAccount create on resource ${hook.solverName} in API group ${hook.groupName}`,
    );
    expect(hook.server.payloads.length).toBe(before); // refused by the apiserver, never proxied
  });

  it('reports a solver the webhook does not serve as terminal 404', async () => {
    const admin = new KubeApiPoster(kubeConfigAt(testbed().kubeconfigFile));
    const err = await failure(provider({ api: admin, solverName: 'nosuchsolver' }).present(record()));
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(err.message).toContain('failed: HTTP 404 Not Found');
    expect(err.message).toContain(`APIService v1alpha1.${hook.groupName}`);
  });
});
