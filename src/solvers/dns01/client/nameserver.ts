// Nameserver addresses as users write them: "host:port", "[v6]:port", or a bare host (port 53).
import { isIP } from 'node:net';

/** A DNS server to talk to directly, with an optional label for messages ("secondary", an NS name). */
export interface Nameserver {
  host: string;
  port: number;
  label?: string;
}

/** Parses "127.0.0.1:5353", "[::1]:5353", "ns1.example.com:53", "192.0.2.1", "2001:db8::1" or "[::1]". */
export function parseNameserver(text: string, label?: string): Nameserver {
  const withLabel = (host: string, port: number): Nameserver => {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`invalid nameserver ${JSON.stringify(text)}: port must be 1-65535`);
    }
    if (host === '') throw new Error(`invalid nameserver ${JSON.stringify(text)}: no host`);
    return label === undefined ? { host, port } : { host, port, label };
  };
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    if (isIP(bracketed[1]!) !== 6) throw new Error(`invalid nameserver ${JSON.stringify(text)}: not IPv6`);
    return withLabel(bracketed[1]!, bracketed[2] === undefined ? 53 : Number(bracketed[2]));
  }
  if (isIP(text) === 6) return withLabel(text, 53);
  const [host, port, extra] = text.split(':');
  if (extra !== undefined)
    throw new Error(`invalid nameserver ${JSON.stringify(text)}: put IPv6 in brackets`);
  return withLabel(host!, port === undefined ? 53 : Number(port));
}

/** "127.0.0.1:5353" or "[::1]:53": how to reach it. */
export function nameserverAddress(server: Nameserver): string {
  return isIP(server.host) === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}

/** The address with its label, for messages: "127.0.0.1:5354 (secondary)". */
export function describeNameserver(server: Nameserver): string {
  const address = nameserverAddress(server);
  return server.label ? `${address} (${server.label})` : address;
}
