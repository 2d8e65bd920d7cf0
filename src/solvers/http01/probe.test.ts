import { once } from 'node:events';
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mintCertificate } from '../../acme/testing.ts';
import { probeAddress } from './probe.ts';

const domain = 'app.example.test';
const token = 'tok1';
const keyAuth = 'tok1.thumb';
const v4 = { family: 'A' as const, address: '127.0.0.1' };
const servers: Server[] = [];

async function serve(handler: RequestListener, server: Server = createServer(handler)): Promise<number> {
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** A free port with nothing listening (bound once, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections();
      return new Promise((resolve) => s.close(resolve));
    }),
  );
});

const opts = (httpPort: number, extra: { httpsPort?: number; timeoutMs?: number } = {}) => ({
  httpPort,
  httpsPort: extra.httpsPort ?? 443,
  timeoutMs: extra.timeoutMs ?? 2000,
});

describe('probeAddress', () => {
  it('passes when the address answers the key authorization for the name', async () => {
    const seen: string[] = [];
    const port = await serve((req, res) => {
      seen.push(`${req.headers.host} ${req.url}`);
      res.end(keyAuth);
    });
    expect(await probeAddress(v4, domain, token, keyAuth, opts(port))).toEqual({ kind: 'ok' });
    // The Host header carries the name without the port, as the CA sends it on port 80.
    expect(seen).toEqual([`${domain} /.well-known/acme-challenge/${token}`]);
  });

  it('reports a status and a body that is not the key authorization', async () => {
    const port = await serve((req, res) => {
      res.statusCode = req.headers.host === domain ? 401 : 500;
      res.end('nope');
    });
    expect(await probeAddress(v4, domain, token, keyAuth, opts(port))).toEqual({
      kind: 'status',
      status: 401,
      statusText: 'Unauthorized',
    });
    const other = await serve((_req, res) => res.end('site'));
    expect(await probeAddress(v4, domain, token, keyAuth, opts(other))).toEqual({ kind: 'wrong-body' });
  });

  it('follows a redirect to https on the same address without checking the certificate', async () => {
    const leaf = await mintCertificate({ commonName: 'not-the-name.test', dnsNames: ['not-the-name.test'] });
    const sni: (string | undefined)[] = [];
    const tls = createTlsServer({ cert: leaf.pem, key: leaf.keyPem }, (req, res) => {
      res.end(req.url === `/.well-known/acme-challenge/${token}` ? keyAuth : 'wrong');
    });
    tls.on('secureConnection', (socket) => sni.push((socket as { servername?: string }).servername));
    const httpsPort = await serve(() => {}, tls);
    const port = await serve((req, res) => {
      res.writeHead(301, { location: `https://${domain}${req.url}` });
      res.end();
    });
    expect(await probeAddress(v4, domain, token, keyAuth, opts(port, { httpsPort }))).toEqual({ kind: 'ok' });
    expect(sni).toEqual([domain]);
  });

  it('names the final URL of a redirect chain that ends in an error, and stops endless ones', async () => {
    const port = await serve((req, res) => {
      if (req.url?.startsWith('/login')) {
        res.statusCode = 403;
        res.end();
        return;
      }
      res.writeHead(302, { location: '/login' });
      res.end();
    });
    expect(await probeAddress(v4, domain, token, keyAuth, opts(port))).toEqual({
      kind: 'status',
      status: 403,
      statusText: 'Forbidden',
      finalUrl: `http://${domain}/login`,
    });
    const loop = await serve((req, res) => {
      res.writeHead(302, { location: `${req.url}x` });
      res.end();
    });
    expect(await probeAddress(v4, domain, token, keyAuth, opts(loop))).toEqual({
      kind: 'error',
      message: 'more than 10 redirects',
    });
  });

  it('says connection refused and timed out in words', async () => {
    expect(await probeAddress(v4, domain, token, keyAuth, opts(await closedPort()))).toEqual({
      kind: 'error',
      message: 'connection refused',
    });
    const silent = await serve(() => {}); // accepts, never answers
    expect(await probeAddress(v4, domain, token, keyAuth, opts(silent, { timeoutMs: 300 }))).toEqual({
      kind: 'error',
      message: 'timed out after 0.3s',
    });
  });
});
