// The emulated IIJ DO-API over HTTPS on 127.0.0.1, with a certificate from a CA minted per
// emulator: fault injection, signature check, then the five routes lego's flow uses (§3, §8).
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestbedDnsInfo } from '../../testbed/dns.ts';
import { createCertificateAuthority, issueCertificate } from '../../testbed/pki.ts';
import { DoApiError, notExist, parameterError, requestId } from './errors.ts';
import { Faults } from './faults.ts';
import { DoState } from './model.ts';
import { publishToTestbed, type Publish } from './publish.ts';
import { verifySignature } from './signature.ts';

/** How to start an emulator. */
export interface DoEmulatorOptions {
  serviceCode: string;
  /** Zone names as `GET zones.json` lists them (no trailing dot). */
  zones: string[];
  /** Access key → secret key. */
  credentials: Record<string, string>;
  /** Where commits publish TXT records; without it they stay inside the emulator. */
  dns?: TestbedDnsInfo;
}

/** A running emulator. */
export class IijDoEmulator {
  readonly faults = new Faults();
  /** Every request seen, as "METHOD /raw/path". */
  readonly requests: string[] = [];
  /** Origin to configure a client with. */
  endpoint = '';
  /** PEM of the CA that signed the server certificate. */
  caPem = '';
  private server: Server | undefined;
  private publish: Publish = () => Promise.resolve();
  /** Commits run one at a time, so nsupdates never interleave. */
  private commits: Promise<unknown> = Promise.resolve();

  readonly state: DoState;

  private constructor(state: DoState) {
    this.state = state;
  }

  /** Starts an emulator on 127.0.0.1 with a fresh CA and certificate. */
  static async start(options: DoEmulatorOptions): Promise<IijDoEmulator> {
    const emulator = new IijDoEmulator(new DoState(options.serviceCode));
    for (const zone of options.zones) emulator.state.zones.set(zone, []);
    for (const [key, secret] of Object.entries(options.credentials)) emulator.state.secrets.set(key, secret);
    if (options.dns) emulator.publish = publishToTestbed(options.dns);
    const ca = await createCertificateAuthority('iij-do emulator CA');
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
    emulator.server = server;
    emulator.caPem = ca.certPem;
    emulator.endpoint = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return emulator;
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
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${rawPath}`);
    const injected = this.faults.take(method);
    if (injected && !(injected instanceof DoApiError)) {
      res.writeHead(injected.status, { 'Content-Type': 'text/html' });
      res.end(injected.html);
      return;
    }
    let status = 200;
    let body: unknown;
    try {
      if (injected) throw injected;
      verifySignature(
        { method, rawPath, headers: req.headers, body: raw },
        this.state.secrets,
        Date.now() + this.faults.clockAheadMs,
      );
      body = { RequestId: requestId(), ...(await this.route(method, rawPath, req, raw)) };
      if (method === 'POST' || method === 'DELETE') this.faults.takeAfterRecordWrite()?.();
    } catch (err) {
      const apiError =
        err instanceof DoApiError
          ? err
          : new DoApiError(500, 'InternalServerError', 'System error occurred.');
      status = apiError.status;
      body = apiError.body;
    }
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  private async route(
    method: string,
    rawPath: string,
    req: IncomingMessage,
    raw: string,
  ): Promise<Record<string, unknown>> {
    const prefix = `/r/20140601/${this.state.serviceCode}/`;
    if (!rawPath.startsWith(prefix)) throw notExist('path');
    const parts = rawPath.slice(prefix.length).split('/').map(decodeURIComponent);
    const hasBody = raw !== '';
    // Only POST record carries a body, and then Content-Type must be exactly application/json.
    if (hasBody !== (method === 'POST') || (hasBody && req.headers['content-type'] !== 'application/json'))
      throw parameterError();
    const [a, b, c] = parts;
    if (method === 'GET' && parts.length === 1 && a === 'zones.json')
      return { ZoneList: [...this.state.zones.keys()] };
    if (method === 'PUT' && parts.length === 1 && a === 'commit.json') return this.commit();
    if (method === 'GET' && parts.length === 3 && b === 'records' && c === 'DETAIL.json')
      return { RecordList: this.state.records(a!).map((r) => ({ ...r })), StaticRecordList: [] };
    if (method === 'POST' && parts.length === 2 && b === 'record.json') {
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        throw parameterError();
      }
      return { Record: { ...this.state.add(a!, json) } };
    }
    if (method === 'DELETE' && parts.length === 3 && b === 'record' && c?.endsWith('.json')) {
      this.state.delete(a!, c.slice(0, -'.json'.length));
      return {};
    }
    throw notExist('path');
  }

  /** Publishes every zone's staged edits into DNS, then makes them the committed state. */
  private commit(): Promise<Record<string, unknown>> {
    const run = this.commits.then(async () => {
      const before = new Map([...this.state.zones.keys()].map((z) => [z, this.state.published(z)]));
      this.state.commit();
      for (const [zone, old] of before) await this.publish(zone, old, this.state.published(zone));
      return {};
    });
    this.commits = run.catch(() => undefined);
    return run;
  }
}
