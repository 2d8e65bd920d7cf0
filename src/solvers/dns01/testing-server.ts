// A scripted DNS server on 127.0.0.1 (UDP and TCP, one port) for unit tests of the wire client and
// the RFC 2136 provider: each request goes to a handler that returns the response bytes, or
// nothing to stay silent. Not for production use.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { Protocol } from './client/transport.ts';

/** Builds the response to one request; undefined means no response at all. */
export type ScriptedHandler = (request: Buffer, protocol: Protocol) => Buffer | undefined;

/** A running scripted server. */
export interface ScriptedDnsServer {
  port: number;
  /** Every request received, with its transport. */
  requests: { protocol: Protocol; bytes: Buffer }[];
  close(): Promise<void>;
}

/** Starts a scripted server on a free 127.0.0.1 port, UDP and TCP. */
export async function startScriptedDnsServer(handler: ScriptedHandler): Promise<ScriptedDnsServer> {
  const requests: ScriptedDnsServer['requests'] = [];
  const connections = new Set<Socket>();
  const tcp: Server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const request = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
        buffered = buffered.subarray(2 + request.length);
        requests.push({ protocol: 'TCP', bytes: request });
        const response = handler(request, 'TCP');
        if (response) {
          const length = Buffer.alloc(2);
          length.writeUInt16BE(response.length);
          socket.write(Buffer.concat([length, response]));
        }
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  const port = (tcp.address() as { port: number }).port;
  const udp: UdpSocket = createSocket('udp4');
  udp.on('message', (request, from) => {
    requests.push({ protocol: 'UDP', bytes: request });
    const response = handler(request, 'UDP');
    if (response) udp.send(response, from.port, from.address);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, '127.0.0.1', () => resolve());
  });
  return {
    port,
    requests,
    async close() {
      for (const socket of connections) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        new Promise<void>((resolve) => udp.close(() => resolve())),
      ]);
    },
  };
}

/** The header of a response to `request`: same ID and question, QR set, the given flags and RCODE. */
export function respondTo(
  request: Buffer,
  options: { rcode?: number; truncated?: boolean; id?: number } = {},
): Buffer {
  // Echo the question section (an UPDATE's zone section), drop the rest, as servers do on errors.
  const questionEnd = endOfQuestions(request);
  const response = Buffer.from(request.subarray(0, questionEnd));
  response.writeUInt16BE(options.id ?? request.readUInt16BE(0), 0);
  const opcode = request.readUInt16BE(2) & 0x7800;
  response.writeUInt16BE(0x8000 | opcode | (options.truncated ? 0x0200 : 0) | (options.rcode ?? 0), 2);
  response.fill(0, 6, 12);
  return response;
}

function endOfQuestions(message: Buffer): number {
  let at = 12;
  for (let i = 0; i < message.readUInt16BE(4); i++) {
    while (message[at] !== 0) at += message[at]! + 1;
    at += 5;
  }
  return at;
}
