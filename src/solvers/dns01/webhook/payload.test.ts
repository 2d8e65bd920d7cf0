import { describe, expect, it } from 'vitest';
import {
  capMessage,
  challengePayload,
  judgeWebhookAnswer,
  MAX_WEBHOOK_MESSAGE,
  solverPath,
} from './payload.ts';

const ref = { groupName: 'acme.example.com', solverName: 'cloudflare' };

describe('challengePayload', () => {
  it('is the ChallengePayload cert-manager sends, config passed through', () => {
    const payload = challengePayload({
      uid: 'u-1',
      action: 'Present',
      type: 'dns-01',
      dnsName: 'example.com',
      key: 'txt-value',
      resourceNamespace: 'team-a',
      resolvedFQDN: '_acme-challenge.example.com.',
      resolvedZone: 'example.com.',
      allowAmbientCredentials: false,
      config: { apiTokenSecretRef: { name: 'cf', key: 'token' }, zones: ['example.com'] },
    });
    expect(payload).toEqual({
      apiVersion: 'webhook.acme.cert-manager.io/v1alpha1',
      kind: 'ChallengePayload',
      request: {
        uid: 'u-1',
        action: 'Present',
        type: 'dns-01',
        dnsName: 'example.com',
        key: 'txt-value',
        resourceNamespace: 'team-a',
        resolvedFQDN: '_acme-challenge.example.com.',
        resolvedZone: 'example.com.',
        allowAmbientCredentials: false,
        config: { apiTokenSecretRef: { name: 'cf', key: 'token' }, zones: ['example.com'] },
      },
    });
  });

  it('leaves config out when the issuer has none (cert-manager: omitempty)', () => {
    const payload = challengePayload({
      uid: 'u',
      action: 'CleanUp',
      type: 'dns-01',
      dnsName: 'a.test',
      key: 'k',
      resourceNamespace: 'ns',
      resolvedFQDN: '_acme-challenge.a.test.',
      resolvedZone: 'a.test.',
      allowAmbientCredentials: false,
    });
    expect((JSON.parse(JSON.stringify(payload)) as typeof payload).request).not.toHaveProperty('config');
  });

  it('is posted to /apis/<group>/v1alpha1/<solver>', () => {
    expect(solverPath('acme.example.com', 'cloudflare')).toBe('/apis/acme.example.com/v1alpha1/cloudflare');
  });
});

describe('judgeWebhookAnswer', () => {
  it('accepts response.success', () => {
    expect(judgeWebhookAnswer(201, { response: { uid: 'u', success: true } }, ref)).toEqual({ ok: true });
  });

  it('reports the webhook own message on failure, retrying', () => {
    const body = {
      response: { uid: 'u', success: false, status: { status: 'Failed', message: 'zone not found' } },
    };
    expect(judgeWebhookAnswer(201, body, ref)).toEqual({
      ok: false,
      kind: 'transient',
      message: 'failed: zone not found',
    });
  });

  it('says so when a failure carries no message', () => {
    expect(judgeWebhookAnswer(200, { response: { success: false } }, ref)).toMatchObject({
      ok: false,
      message: 'failed without saying why',
    });
  });

  it('does not take a 2xx without a response for success', () => {
    expect(judgeWebhookAnswer(200, { kind: 'Status' }, ref)).toMatchObject({ ok: false, kind: 'transient' });
    expect(judgeWebhookAnswer(200, undefined, ref)).toMatchObject({ ok: false, kind: 'transient' });
  });

  it('turns 403 into a terminal error that says which permission to grant', () => {
    const body = {
      kind: 'Status',
      message:
        'cloudflare.acme.example.com is forbidden: User "system:serviceaccount:acme6:acme6-controller" cannot create resource "cloudflare"',
    };
    const verdict = judgeWebhookAnswer(403, body, ref);
    expect(verdict).toMatchObject({ ok: false, kind: 'terminal' });
    expect(!verdict.ok && verdict.message).toContain(
      "grant acme6's ServiceAccount create on resource cloudflare in API group acme.example.com",
    );
    expect(!verdict.ok && verdict.message).toContain('cannot create resource "cloudflare"');
  });

  it('turns 404 into a terminal error that points at the APIService', () => {
    const verdict = judgeWebhookAnswer(
      404,
      { kind: 'Status', message: 'the server could not find the requested resource' },
      ref,
    );
    expect(verdict).toMatchObject({ ok: false, kind: 'terminal' });
    expect(!verdict.ok && verdict.message).toContain('APIService v1alpha1.acme.example.com');
  });

  it('retries 5xx (no ready endpoint, webhook crashed) and 429; refuses other 4xx for good', () => {
    expect(judgeWebhookAnswer(503, { message: 'service unavailable' }, ref)).toEqual({
      ok: false,
      kind: 'transient',
      message: 'failed: HTTP 503: service unavailable',
    });
    expect(judgeWebhookAnswer(500, { message: 'boom' }, ref)).toMatchObject({ kind: 'transient' });
    expect(judgeWebhookAnswer(429, {}, ref)).toMatchObject({ kind: 'transient' });
    expect(judgeWebhookAnswer(400, { message: 'bad payload' }, ref)).toEqual({
      ok: false,
      kind: 'terminal',
      message: 'failed: HTTP 400: bad payload',
    });
  });

  it('caps a long webhook message', () => {
    const long = 'x'.repeat(5000);
    const verdict = judgeWebhookAnswer(200, { response: { success: false, status: { message: long } } }, ref);
    expect(!verdict.ok && verdict.message.length).toBeLessThan(MAX_WEBHOOK_MESSAGE + 60);
    expect(!verdict.ok && verdict.message).toContain('(4488 more characters)');
  });
});

describe('capMessage', () => {
  it('keeps short messages, folds whitespace', () => {
    expect(capMessage('  a\n\tb  ')).toBe('a b');
  });
});
