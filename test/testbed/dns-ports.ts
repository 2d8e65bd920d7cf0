// Loopback ports for DNS servers, which need the same port free for TCP and UDP, on 127.0.0.1 and
// (where the host has it) ::1. As with ports.ts, a port can be taken between asking and binding;
// named then fails to start and the harness reports it.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** Binds a TCP or UDP socket to `host:port` and releases it; resolves with the port, or 0 if taken. */
function tryBind(kind: 'tcp' | 'udp4' | 'udp6', host: string, port: number): Promise<number> {
  return new Promise((resolve) => {
    if (kind === 'tcp') {
      const server = createServer();
      server.once('error', () => resolve(0));
      server.listen(port, host, () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
      });
    } else {
      const socket = createSocket(kind);
      socket.once('error', () => resolve(0));
      socket.bind(port, host, () => {
        const bound = socket.address().port;
        socket.close(() => resolve(bound));
      });
    }
  });
}

/** A port the kernel hands out for TCP on 127.0.0.1 that is also free for UDP (and on ::1): named needs all. */
export async function freeDnsPort(ipv6: boolean): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await tryBind('tcp', '127.0.0.1', 0);
    const others = [tryBind('udp4', '127.0.0.1', port)];
    if (ipv6) others.push(tryBind('tcp', '::1', port), tryBind('udp6', '::1', port));
    if (port !== 0 && (await Promise.all(others)).every((bound) => bound === port)) return port;
  }
  throw new Error('no loopback port free for both TCP and UDP after 50 tries');
}

/** Whether ::1 can be bound here (some sandboxes have no IPv6 loopback). */
export async function hasIpv6Loopback(): Promise<boolean> {
  return (await tryBind('tcp', '::1', 0)) !== 0;
}
