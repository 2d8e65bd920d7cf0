import { describe, expect, it } from 'vitest';
import { isTerminalError } from '../../../runtime/errors.ts';
import type { Outcome } from '../https-exchange.ts';
import { Dns01TerminalError, Dns01TransientError } from '../provider.ts';
import type { KubeApiPost } from './kube-api-poster.ts';
import { WebhookDnsProvider } from './provider.ts';

/** A KubeApiPost that records requests and answers with `answer`. */
function fakeApi(answer: (body: { request: { action: string } }) => Outcome) {
  const sent: { path: string; body: { request: Record<string, unknown> }; timeoutMs: number }[] = [];
  const api: KubeApiPost = {
    post: (path, body, timeoutMs) => {
      sent.push({ path, body: body as { request: Record<string, unknown> }, timeoutMs });
      return Promise.resolve(answer(body as { request: { action: string } }));
    },
  };
  return { api, sent };
}

const ok = (): Outcome => ({ status: 201, text: JSON.stringify({ response: { success: true } }) });
const record = { fqdn: '_acme-challenge.www.example.com.', zone: 'example.com.', value: 'v4lue' };

describe('WebhookDnsProvider', () => {
  it('presents and cleans up with one ChallengePayload each, at the solver path', async () => {
    const { api, sent } = fakeApi(ok);
    const provider = new WebhookDnsProvider({
      groupName: 'acme.example.com',
      solverName: 'cloudflare',
      config: { zone: 'example.com' },
      resourceNamespace: 'acme6',
      dnsName: 'example.com',
      api,
    });
    await provider.present(record);
    await provider.cleanUp(record);
    expect(sent.map((s) => s.path)).toEqual([
      '/apis/acme.example.com/v1alpha1/cloudflare',
      '/apis/acme.example.com/v1alpha1/cloudflare',
    ]);
    expect(sent[0]!.body).toMatchObject({
      apiVersion: 'webhook.acme.cert-manager.io/v1alpha1',
      kind: 'ChallengePayload',
      request: {
        action: 'Present',
        type: 'dns-01',
        dnsName: 'example.com',
        key: 'v4lue',
        resourceNamespace: 'acme6',
        resolvedFQDN: '_acme-challenge.www.example.com.',
        resolvedZone: 'example.com.',
        allowAmbientCredentials: false,
        config: { zone: 'example.com' },
      },
    });
    expect(sent[1]!.body.request.action).toBe('CleanUp');
    expect(sent[0]!.body.request.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[0]!.body.request.uid).not.toBe(sent[1]!.body.request.uid);
  });

  it('reads the dnsName off the record when not told', async () => {
    const { api, sent } = fakeApi(ok);
    await new WebhookDnsProvider({
      groupName: 'g.test',
      solverName: 's',
      resourceNamespace: 'n',
      api,
    }).present(record);
    expect(sent[0]!.body.request.dnsName).toBe('www.example.com');
    expect(sent[0]!.body.request).not.toHaveProperty('config');
  });

  it("raises the webhook's message, naming the webhook and the record", async () => {
    const { api } = fakeApi(() => ({
      status: 201,
      text: JSON.stringify({ response: { success: false, status: { message: 'invalid API token' } } }),
    }));
    const provider = new WebhookDnsProvider({
      groupName: 'g.test',
      solverName: 's',
      resourceNamespace: 'n',
      api,
    });
    const err = await provider.present(record).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect((err as Error).message).toBe(
      'DNS01 webhook s.g.test: Present of _acme-challenge.www.example.com. failed: invalid API token',
    );
  });

  it('makes a refused permission terminal', async () => {
    const { api } = fakeApi(() => ({
      status: 403,
      text: JSON.stringify({ kind: 'Status', message: 'forbidden' }),
    }));
    const provider = new WebhookDnsProvider({
      groupName: 'g.test',
      solverName: 's',
      resourceNamespace: 'n',
      api,
    });
    const err = await provider.cleanUp(record).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Dns01TerminalError);
    expect(isTerminalError(err)).toBe(true);
  });

  it('makes an unreachable apiserver transient', async () => {
    const { api } = fakeApi(() => ({ error: new Error('connect ECONNREFUSED 127.0.0.1:6443') }));
    const provider = new WebhookDnsProvider({
      groupName: 'g.test',
      solverName: 's',
      resourceNamespace: 'n',
      api,
    });
    const err = await provider.present(record).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Dns01TransientError);
    expect((err as Error).message).toContain('failed: connect ECONNREFUSED');
  });
});
