// The RFC 2136 dns-01 provider: one TSIG-signed UPDATE per present or cleanUp, sent over TCP to the
// configured primary. TCP rather than UDP: an update is one small exchange where a lost datagram
// would only add a retransmission timeout, and TCP never truncates.
import { randomInt } from 'node:crypto';
import { realClock, type Clock } from '../../../runtime/clock.ts';
import { describeNameserver, parseNameserver, type Nameserver } from '../client/nameserver.ts';
import { DnsTransportError, exchangeTcp } from '../client/transport.ts';
import { dns01Error, Dns01TerminalError, type ChallengeRecord, type Dns01Provider } from '../provider.ts';
import { decodeMessage, type DnsMessage } from '../wire/message.ts';
import { judgeUpdateResponse } from './response-verdict.ts';
import {
  readTsig,
  signMessage,
  tsigAlgorithmWireName,
  verifyResponse,
  type TsigAlgorithm,
  type TsigKey,
} from './tsig.ts';
import { encodeTxtUpdate, type TxtUpdateAction } from './update-message.ts';

/** How to reach the server and sign for it. */
export interface Rfc2136Settings {
  /** The primary that accepts updates: "host:port", "[v6]:port" or a bare host (port 53). */
  nameserver: string;
  /** Sign updates with this key; without it updates go unsigned. */
  tsig?: { keyName: string; algorithm: TsigAlgorithm; secret: string };
  /** TTL of the TXT records it adds (default 60 s: short, so a stale value does not linger). */
  ttlSeconds?: number;
  /** How long to wait for the server's response (default 10 s). */
  timeoutMs?: number;
  /** Time source for TSIG signing and checking (default: the system clock). */
  clock?: Pick<Clock, 'now'>;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes a base64 TSIG secret; the error never repeats the secret. */
function decodeSecret(secret: string, keyName: string): Buffer {
  const compact = secret.replace(/\s+/g, '');
  if (compact === '' || !BASE64.test(compact)) {
    throw new Dns01TerminalError(`the TSIG secret for key ${keyName} is not valid base64`);
  }
  return Buffer.from(compact, 'base64');
}

/** A Dns01Provider that speaks RFC 2136 dynamic updates, signed with TSIG (RFC 8945). */
export class Rfc2136Provider implements Dns01Provider {
  readonly server: Nameserver;
  private readonly ttlSeconds: number;
  private readonly timeoutMs: number;
  private readonly clock: Pick<Clock, 'now'>;
  // A #private field: util.inspect and JSON.stringify of the provider never show the secret.
  readonly #key: TsigKey | undefined;

  /** Throws Dns01TerminalError for a nameserver or secret that cannot work. */
  constructor(settings: Rfc2136Settings) {
    try {
      this.server = parseNameserver(settings.nameserver);
    } catch (err) {
      throw new Dns01TerminalError(`RFC 2136 provider: ${(err as Error).message}`, { cause: err });
    }
    const tsig = settings.tsig;
    this.#key = tsig && {
      name: tsig.keyName,
      algorithm: tsig.algorithm,
      secret: decodeSecret(tsig.secret, tsig.keyName),
    };
    this.ttlSeconds = settings.ttlSeconds ?? 60;
    this.timeoutMs = settings.timeoutMs ?? 10_000;
    this.clock = settings.clock ?? realClock;
  }

  present(record: ChallengeRecord): Promise<void> {
    return this.update(record, 'add');
  }

  cleanUp(record: ChallengeRecord): Promise<void> {
    return this.update(record, 'delete');
  }

  private async update(record: ChallengeRecord, action: TxtUpdateAction): Promise<void> {
    const what = `RFC 2136 update of ${record.fqdn} at ${describeNameserver(this.server)}`;
    const key = this.#key;
    let request = encodeTxtUpdate({
      id: randomInt(0, 0x10000),
      zone: record.zone,
      name: record.fqdn,
      value: record.value,
      ttlSeconds: this.ttlSeconds,
      action,
    });
    let requestMac: Buffer | undefined;
    if (key) ({ signed: request, mac: requestMac } = signMessage(request, key, this.nowSeconds()));

    let bytes: Buffer;
    try {
      bytes = await exchangeTcp(this.server, request, this.timeoutMs);
    } catch (err) {
      const reason =
        err instanceof DnsTransportError ? ` over TCP: ${err.reason}` : `: ${(err as Error).message}`;
      throw dns01Error('transient', `${what} failed${reason}`, { cause: err });
    }
    let response: DnsMessage;
    try {
      response = decodeMessage(bytes);
    } catch (err) {
      throw dns01Error('transient', `${what} failed: malformed response: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const verdict = judgeUpdateResponse(response.rcode, safeTsigError(bytes, response), {
      zone: record.zone,
      name: record.fqdn,
      ...(key && { keyName: key.name, algorithm: tsigAlgorithmWireName(key.algorithm) }),
    });
    if (!verdict.ok) throw dns01Error(verdict.kind, `${what} ${verdict.reason}`);
    if (key && requestMac) {
      // Only a verified response proves the server we share the key with applied the update.
      const check = verifyResponse(bytes, response, requestMac, key, this.nowSeconds());
      if (!check.ok) throw dns01Error('transient', `${what} failed: ${check.problem}`);
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}

/** The TSIG error a response carries (0 when unsigned or unreadable: the RCODE still tells). */
function safeTsigError(bytes: Buffer, response: DnsMessage): number {
  try {
    return readTsig(bytes, response)?.error ?? 0;
  } catch {
    return 0;
  }
}
