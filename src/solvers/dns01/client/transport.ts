// One DNS request and its response over UDP or TCP (RFC 1035 section 4.2, RFC 7766), with a
// deadline. Connected UDP sockets only accept datagrams from the server asked, and a response must
// carry the request's ID: anything else is ignored, so a stray packet cannot pass as the answer.
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { connect, isIP } from 'node:net';
import { describeNameserver, type Nameserver } from './nameserver.ts';

/** Which transport carried (or failed to carry) a message. */
export type Protocol = 'UDP' | 'TCP';

/** A request that got no usable response: refused connection, timeout, reset. Always worth a retry. */
export class DnsTransportError extends Error {
  readonly server: Nameserver;
  readonly protocol: Protocol;
  /** What went wrong, without the server: "no answer within 3000 ms". */
  readonly reason: string;

  constructor(server: Nameserver, protocol: Protocol, reason: string, options?: ErrorOptions) {
    super(`${describeNameserver(server)} over ${protocol}: ${reason}`, options);
    this.name = 'DnsTransportError';
    this.server = server;
    this.protocol = protocol;
    this.reason = reason;
  }
}

function reasonOf(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is a DNS server listening there?)';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    case 'ENOTFOUND':
      return 'host name does not resolve';
    default:
      return e.message;
  }
}

const isResponseTo = (request: Buffer, response: Buffer): boolean =>
  response.length >= 12 &&
  response.readUInt16BE(0) === request.readUInt16BE(0) &&
  (response[2]! & 0x80) !== 0;

async function addressOf(host: string): Promise<{ address: string; family: 4 | 6 }> {
  const family = isIP(host);
  if (family === 4 || family === 6) return { address: host, family };
  const found = await lookup(host);
  return { address: found.address, family: found.family === 6 ? 6 : 4 };
}

/** How a nameserver's host becomes an address; tests replace it. */
export type AddressResolver = (host: string) => Promise<{ address: string; family: 4 | 6 }>;

/**
 * Sends `request` in one datagram and resolves with the first matching response datagram.
 * `timeoutMs` covers everything, including resolving a nameserver given by name.
 */
export async function exchangeUdp(
  server: Nameserver,
  request: Buffer,
  timeoutMs: number,
  resolveAddress: AddressResolver = addressOf,
): Promise<Buffer> {
  const started = Date.now();
  let target: { address: string; family: 4 | 6 };
  let lookupTimer: NodeJS.Timeout | undefined;
  try {
    target = await Promise.race([
      resolveAddress(server.host),
      new Promise<never>((_, reject) => {
        lookupTimer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } catch (err) {
    throw new DnsTransportError(server, 'UDP', reasonOf(err), { cause: err });
  } finally {
    clearTimeout(lookupTimer);
  }
  const remainingMs = Math.max(1, timeoutMs - (Date.now() - started));
  const socket = createSocket(target.family === 6 ? 'udp6' : 'udp4');
  return await new Promise<Buffer>((resolve, reject) => {
    const finish = (fn: () => void): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.close();
      fn();
    };
    const timer = setTimeout(
      () => finish(() => reject(new DnsTransportError(server, 'UDP', `no answer within ${timeoutMs} ms`))),
      remainingMs,
    );
    socket.on('error', (err) =>
      finish(() => reject(new DnsTransportError(server, 'UDP', reasonOf(err), { cause: err }))),
    );
    socket.on('message', (message) => {
      if (isResponseTo(request, message)) finish(() => resolve(message));
    });
    socket.connect(server.port, target.address, () => socket.send(request));
  });
}

/** Sends `request` on a new TCP connection (two-byte length prefix) and resolves with the response. */
export function exchangeTcp(server: Nameserver, request: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const socket = connect({ host: server.host, port: server.port });
    let received = Buffer.alloc(0);
    const finish = (fn: () => void): void => {
      clearTimeout(timer);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      fn();
    };
    const fail = (reason: string, cause?: unknown): void =>
      finish(() => reject(new DnsTransportError(server, 'TCP', reason, cause ? { cause } : undefined)));
    const timer = setTimeout(() => fail(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('error', (err) => fail(reasonOf(err), err));
    socket.on('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(request.length);
      socket.write(Buffer.concat([length, request]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        const message = received.subarray(2, 2 + received.readUInt16BE(0));
        received = received.subarray(2 + message.length);
        if (isResponseTo(request, message)) return finish(() => resolve(message));
      }
    });
    socket.on('end', () => fail('connection closed before a response arrived'));
  });
}
