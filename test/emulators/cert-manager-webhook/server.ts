// A small cert-manager DNS01 webhook for the testbed: an extension API server that the kube-apiserver
// proxies to through the aggregation layer. It serves the discovery documents the aggregator reads and
// the ChallengePayload resource of one solver, over TLS, and accepts only the apiserver's front-proxy
// client certificate, as a real extension server does (the CA comes from
// kube-system/extension-apiserver-authentication).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { solve, type ReadSecret, type SolverRequest } from './solver.ts';

/** The apiVersion cert-manager's ChallengePayload carries (the webhook checks it, as its scheme does). */
export const PAYLOAD_API_VERSION = 'webhook.acme.cert-manager.io/v1alpha1';

/** How to start the webhook. */
export interface TestWebhookOptions {
  groupName: string;
  solverName: string;
  /** Serving certificate and key (SAN `<service>.<namespace>.svc`). */
  certPem: string;
  keyPem: string;
  /** The apiserver's front-proxy CA: only client certificates it signed are let in. */
  requestHeaderCaPem: string;
  /** Common names allowed to proxy (the apiserver's --requestheader-allowed-names). */
  allowedNames: string[];
  /** The address to listen on (must be one an EndpointSlice may hold: not loopback). */
  host: string;
  readSecret: ReadSecret;
}

/** One ChallengePayload the webhook received, with who sent it (the aggregator's X-Remote-User). */
export interface ReceivedPayload {
  user: string;
  groups: string[];
  request: SolverRequest & Record<string, unknown>;
  apiVersion: unknown;
  kind: unknown;
}

/** A running test webhook. */
export class TestDnsWebhook {
  readonly payloads: ReceivedPayload[] = [];
  port = 0;
  private server: Server | undefined;
  private readonly options: TestWebhookOptions;

  private constructor(options: TestWebhookOptions) {
    this.options = options;
  }

  static async start(options: TestWebhookOptions): Promise<TestDnsWebhook> {
    const webhook = new TestDnsWebhook(options);
    const server = createServer(
      {
        cert: options.certPem,
        key: options.keyPem,
        ca: options.requestHeaderCaPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => void webhook.serve(req, res),
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, options.host, resolve);
    });
    webhook.server = server;
    webhook.port = (server.address() as AddressInfo).port;
    return webhook;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    const cn = [peer.subject?.CN ?? ''].flat()[0] ?? '';
    // An empty allowed list means any name the front-proxy CA signed (the apiserver's rule too).
    const allowed = this.options.allowedNames;
    if (allowed.length > 0 && !allowed.includes(cn)) {
      return reply(401, status(401, 'Unauthorized', 'client certificate is not the front proxy'));
    }
    const { groupName, solverName } = this.options;
    const groupVersion = `${groupName}/v1alpha1`;
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET') {
      if (path === '/apis')
        return reply(200, { kind: 'APIGroupList', apiVersion: 'v1', groups: [group(groupName)] });
      if (path === `/apis/${groupName}`)
        return reply(200, { kind: 'APIGroup', apiVersion: 'v1', ...group(groupName) });
      if (path === `/apis/${groupVersion}`) {
        return reply(200, {
          kind: 'APIResourceList',
          apiVersion: 'v1',
          groupVersion,
          resources: [
            {
              name: solverName,
              singularName: 'challengepayload',
              namespaced: false,
              kind: 'ChallengePayload',
              verbs: ['create'],
            },
          ],
        });
      }
      if (path === '/healthz' || path === '/readyz') return reply(200, 'ok');
      return reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
    if (req.method !== 'POST' || path !== `/apis/${groupVersion}/${solverName}`) {
      return reply(404, status(404, 'NotFound', 'the server could not find the requested resource'));
    }
    let payload: { apiVersion?: unknown; kind?: unknown; request?: ReceivedPayload['request'] };
    try {
      payload = JSON.parse(await readBody(req)) as typeof payload;
    } catch {
      return reply(400, status(400, 'BadRequest', 'the body is not JSON'));
    }
    // cert-manager's webhook apiserver decodes into its scheme: another apiVersion is a 400.
    if (payload.apiVersion !== PAYLOAD_API_VERSION || payload.kind !== 'ChallengePayload') {
      return reply(
        400,
        status(
          400,
          'BadRequest',
          `the API version in the data (${String(payload.apiVersion)}) does not match the expected API version (${PAYLOAD_API_VERSION})`,
        ),
      );
    }
    if (!payload.request)
      return reply(500, status(500, 'InternalError', 'payload request field cannot be empty'));
    this.payloads.push({
      user: String(req.headers['x-remote-user'] ?? ''),
      groups: req.headersDistinct['x-remote-group'] ?? [],
      request: payload.request,
      apiVersion: payload.apiVersion,
      kind: payload.kind,
    });
    let response: Record<string, unknown>;
    try {
      await solve(payload.request, this.options.readSecret);
      response = { uid: payload.request.uid, success: true };
    } catch (err) {
      response = {
        uid: payload.request.uid,
        success: false,
        status: { metadata: {}, status: 'Failed', message: (err as Error).message },
      };
    }
    reply(201, { ...payload, response });
  }
}

function group(name: string) {
  const version = { groupVersion: `${name}/v1alpha1`, version: 'v1alpha1' };
  return { name, versions: [version], preferredVersion: version };
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
