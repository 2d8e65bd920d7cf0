import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, issueCertificate } from '../../../../test/testbed/pki.ts';
import { KubeApiPoster } from './kube-api-poster.ts';

let server: Server;
let url: string;
let caPem: string;
const seen: { method?: string; url?: string; auth?: string; type?: string; body: string }[] = [];

beforeAll(async () => {
  const ca = await createCertificateAuthority('poster test CA');
  caPem = ca.certPem;
  const serving = await issueCertificate(ca, {
    kind: 'server',
    commonName: 'apiserver',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  server = createServer({ cert: serving.certPem, key: serving.keyPem }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        auth: req.headers.authorization,
        type: req.headers['content-type'],
        body,
      });
      if (req.url?.includes('/slow')) return; // never answers
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ response: { success: true } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/prefix/`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

function kubeConfig(ca: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: url, caData: Buffer.from(ca).toString('base64') }],
    users: [{ name: 'u', token: 'sa-token-123' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

describe('KubeApiPoster', () => {
  it("POSTs JSON to the path under the cluster's server with the kubeconfig's credentials", async () => {
    const outcome = await new KubeApiPoster(kubeConfig(caPem)).post(
      '/apis/g.test/v1alpha1/s',
      { a: 1 },
      5000,
    );
    expect(outcome).toEqual({ status: 201, text: JSON.stringify({ response: { success: true } }) });
    expect(seen.at(-1)).toEqual({
      method: 'POST',
      url: '/prefix/apis/g.test/v1alpha1/s',
      auth: 'Bearer sa-token-123',
      type: 'application/json',
      body: '{"a":1}',
    });
  });

  it('refuses a server the cluster CA did not sign', async () => {
    const other = await createCertificateAuthority('another CA');
    const outcome = await new KubeApiPoster(kubeConfig(other.certPem)).post('/x', {}, 5000);
    expect('error' in outcome && outcome.error.message).toMatch(/certificate/i);
  });

  it('gives up after the deadline', async () => {
    const outcome = await new KubeApiPoster(kubeConfig(caPem)).post('/slow', {}, 300);
    expect('error' in outcome && outcome.error.message).toBe('no complete answer within 300 ms');
  });
});
