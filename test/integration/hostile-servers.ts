// Small hostile servers for tests, on loopback: a DNS server (UDP and TCP on one port) that never
// answers, answers garbage, answers after the client has given up, or cuts its answer short; and an
// HTTPS server whose every answer a test decides (for the IIJ APIs' endpoint setting).
import { createSocket } from 'node:dgram';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { issueCertificate, type CertificateAuthority } from '../testbed/pki.ts';

/** How the DNS server misbehaves. */
export type DnsMischief = 'silent' | 'garbage' | 'late' | 'cut-short';

/** Later than any client timeout of acme6 (10 s for an update over TCP). */
const LATE_MS = 15_000;

/** A running hostile server; `close` stops it and every timer it set. */
export interface Closable {
  close(): void;
}

/** A header-only DNS response to `query`: same id, QR set, RCODE REFUSED. */
function refusal(query: Buffer): Buffer {
  const out = Buffer.alloc(12);
  query.copy(out, 0, 0, Math.min(2, query.length));
  out[2] = 0x80 | ((query[2] ?? 0) & 0x78); // QR, the query's opcode
  out[3] = 5; // REFUSED
  return out;
}

/** Bytes that look like a reply (same id, QR set) and are not a DNS message: counts of 65535. */
function garbageFor(query: Buffer): Buffer {
  return Buffer.concat([query.subarray(0, 2), Buffer.alloc(40, 0xff)]);
}

/** Starts a DNS server on 127.0.0.1 (UDP and TCP, one port); returns `127.0.0.1:<port>`. */
export async function startHostileDns(mischief: DnsMischief): Promise<{ address: string } & Closable> {
  const timers = new Set<NodeJS.Timeout>();
  const later = (fn: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, LATE_MS);
    timers.add(timer);
  };
  const sockets = new Set<Socket>();
  const tcp = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.once('data', (data: Buffer) => {
      const query = data.subarray(2);
      const framed = (body: Buffer): Buffer => {
        const length = Buffer.alloc(2);
        length.writeUInt16BE(body.length);
        return Buffer.concat([length, body]);
      };
      if (mischief === 'garbage') socket.end(framed(garbageFor(query)));
      if (mischief === 'late') later(() => socket.end(framed(refusal(query))));
      // Announces 512 bytes, sends 12, closes.
      if (mischief === 'cut-short') socket.end(Buffer.concat([Buffer.from([0x02, 0x00]), refusal(query)]));
    });
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as AddressInfo).port;
  const udp = createSocket('udp4');
  udp.on('message', (query, from) => {
    const reply = (body: Buffer): void => {
      udp.send(body, from.port, from.address, () => undefined);
    };
    if (mischief === 'garbage') reply(garbageFor(query));
    if (mischief === 'late') later(() => reply(refusal(query)));
    if (mischief === 'cut-short') reply(refusal(query).subarray(0, 7));
  });
  await new Promise<void>((resolve) => udp.bind(port, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${port}`,
    close: () => {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      tcp.close();
      udp.close();
    },
  };
}

/** What the HTTPS server does with one request. */
export type HttpsAnswer =
  | { status: number; contentType?: string; body: string | Buffer }
  /** Accepts the request and never answers. */
  | 'hang';

/** A request the HTTPS server saw. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** An HTTPS server on 127.0.0.1 with a certificate for 127.0.0.1 from `authority`. */
export interface HostileHttps extends Closable {
  /** https://127.0.0.1:<port> */
  origin: string;
  seen: SeenRequest[];
}

export async function startHostileHttps(
  authority: CertificateAuthority,
  answer: (req: SeenRequest) => HttpsAnswer,
): Promise<HostileHttps> {
  const tls = await issueCertificate(authority, {
    kind: 'server',
    commonName: 'hostile-api',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const seen: SeenRequest[] = [];
  const server: HttpsServer = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: SeenRequest = {
        method: req.method ?? 'GET',
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(request);
      const out = answer(request);
      if (out === 'hang') return;
      res.writeHead(out.status, { 'content-type': out.contentType ?? 'application/json' });
      res.end(out.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
