// Asks one DNS server one question, with no cache in between: the propagation check must see what
// each server holds now, not what a resolver remembered (the "stale negative cache" lesson).
import { randomInt } from 'node:crypto';
import { encodeMessage, decodeMessage, type DnsMessage } from '../wire/message.ts';
import { Opcode, RecordClass } from '../wire/constants.ts';
import type { Nameserver } from './nameserver.ts';
import { DnsTransportError, exchangeTcp, exchangeUdp } from './transport.ts';

/** One question for one server. */
export interface DnsQuestion {
  name: string;
  type: number;
  /** Ask a resolver to recurse; authoritative servers are asked without it. */
  recursionDesired: boolean;
}

/** Asks a DNS server a question; throws DnsTransportError when no usable response comes back. */
export interface DnsQuerier {
  query(server: Nameserver, question: DnsQuestion): Promise<DnsMessage>;
}

/** A DnsQuerier that speaks the wire protocol: UDP first, TCP when the answer is truncated. */
export class WireDnsQuerier implements DnsQuerier {
  private readonly timeoutMs: number;

  constructor(options: { timeoutMs?: number } = {}) {
    this.timeoutMs = options.timeoutMs ?? 3000;
  }

  async query(server: Nameserver, question: DnsQuestion): Promise<DnsMessage> {
    const request = encodeMessage({
      id: randomInt(0, 0x10000),
      opcode: Opcode.QUERY,
      recursionDesired: question.recursionDesired,
      questions: [{ name: question.name, type: question.type, class: RecordClass.IN }],
    });
    let response = decodeOrThrow(server, 'UDP', await exchangeUdp(server, request, this.timeoutMs));
    if (response.truncated) {
      response = decodeOrThrow(server, 'TCP', await exchangeTcp(server, request, this.timeoutMs));
    }
    return response;
  }
}

function decodeOrThrow(server: Nameserver, protocol: 'UDP' | 'TCP', bytes: Buffer): DnsMessage {
  try {
    return decodeMessage(bytes);
  } catch (err) {
    throw new DnsTransportError(server, protocol, `malformed response: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
