// The emulated IIJ DNS Platform Service API over HTTPS on 127.0.0.1, with a certificate from a CA
// minted per emulator: bearer-token check, fault injection, then the handlers.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestbedDnsInfo } from '../../testbed/dns.ts';
import { createCertificateAuthority, issueCertificate } from '../../testbed/pki.ts';
import { DpfApiError, invalidParameter, notFound } from './errors.ts';
import { Faults } from './faults.ts';
import { handle, type HandlerContext, type Publish } from './handlers.ts';
import { DpfState } from './model.ts';
import { publishToTestbed } from './publish.ts';

/** The API's path prefix, as in `https://api.dns-platform.jp/dpf/v1`. */
const BASE_PATH = '/dpf/v1';

/** How to start an emulator. */
export interface EmulatorOptions {
  /** Zones of the account. */
  zones: { name: string; serviceCode: string }[];
  /** Valid bearer tokens and the operator (IIJ ID user) each belongs to. */
  tokens: Record<string, string>;
  /** Where commits publish TXT records; without it they stay inside the emulator. */
  dns?: TestbedDnsInfo;
  /** Polls a job reports RUNNING before finishing (default 1). */
  jobPolls?: number;
  /** When a job's change lands (default at acceptance; completion is closer to the real service). */
  applyAt?: 'accept' | 'complete';
}

/** A running emulator. */
export class IijDpfEmulator {
  readonly state = new DpfState();
  readonly faults = new Faults();
  /** Every request seen, as "METHOD /path?query" (path without the /dpf/v1 prefix). */
  readonly requests: string[] = [];
  /** The API base URL to configure a client with. */
  endpoint = '';
  /** PEM of the CA that signed the server certificate. */
  caPem = '';
  private server: Server | undefined;
  private ctx: HandlerContext | undefined;

  /** Starts an emulator on 127.0.0.1 with a fresh CA and certificate. */
  static async start(options: EmulatorOptions): Promise<IijDpfEmulator> {
    const emulator = new IijDpfEmulator();
    for (const z of options.zones) emulator.state.addZone(z.name, z.serviceCode);
    for (const [token, operator] of Object.entries(options.tokens)) emulator.state.users.set(token, operator);
    const ca = await createCertificateAuthority('iij-dpf emulator CA');
    const leaf = await issueCertificate(ca, {
      kind: 'server',
      commonName: '127.0.0.1',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    const server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
      void emulator.serve(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', resolve);
    });
    const { port } = server.address() as AddressInfo;
    emulator.server = server;
    emulator.caPem = ca.certPem;
    emulator.endpoint = `https://127.0.0.1:${port}${BASE_PATH}`;
    const publish: Publish = options.dns ? publishToTestbed(options.dns) : () => Promise.resolve();
    emulator.ctx = {
      state: emulator.state,
      faults: emulator.faults,
      publish,
      baseUrl: emulator.endpoint,
      jobPolls: options.jobPolls ?? 1,
      applyAt: options.applyAt ?? 'accept',
    };
    return emulator;
  }

  /** Changes job timing for the following requests. */
  configureJobs(jobs: { polls?: number; applyAt?: 'accept' | 'complete' }): void {
    if (!this.ctx) return;
    if (jobs.polls !== undefined) this.ctx.jobPolls = jobs.polls;
    if (jobs.applyAt !== undefined) this.ctx.applyAt = jobs.applyAt;
  }

  /** Stops listening and drops open connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let status: number;
    let body: unknown;
    try {
      ({ status, body } = await this.answer(req));
    } catch (err) {
      const apiError =
        err instanceof DpfApiError ? err : new DpfApiError(500, 'SystemError', 'System error occurred.');
      status = apiError.status;
      body = apiError.body;
    }
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  private async answer(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const raw = await readBody(req);
    const path = url.pathname.startsWith(`${BASE_PATH}/`) ? url.pathname.slice(BASE_PATH.length) : undefined;
    this.requests.push(`${req.method} ${path ?? url.pathname}${url.search}`);
    const injected = this.faults.takeRequestFailure(req.method ?? 'GET');
    if (injected) throw injected;
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const operator = token === undefined ? undefined : this.state.users.get(token);
    if (operator === undefined) throw invalidParameter('invalid', 'access_token');
    if (path === undefined || !this.ctx) throw notFound();
    let body: unknown;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        throw new DpfApiError(400, 'ParameterError', 'JSON parse error occurred.');
      }
    }
    const method = req.method ?? 'GET';
    const answer = await handle(this.ctx, { method, path, query: url.searchParams, body, operator });
    if (method !== 'GET' && /\/records(\/|$)/.test(path)) this.faults.takeAfterRecordWrite()?.();
    return answer;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
