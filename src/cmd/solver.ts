// `acme6 solver`: the process in an http-01 solver pod. Serves one challenge until SIGTERM, then
// stops accepting and exits once in-flight requests are answered.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createChallengeServer, type ChallengeResponse } from '../solvers/http01/challenge-server.ts';
import type { Command, Io } from './main.ts';

const usage = `usage: acme6 solver [flags]

  --domain NAME            the identifier being validated, e.g. app.example.com (required)
  --token TOKEN            the challenge token (required)
  --key-auth VALUE         the key authorization to answer with (required)
  --listen-host ADDRESS    address to listen on (default: all addresses); in a pod, $(POD_IP)
  --listen-port PORT       port to listen on (default 8089; 0 picks a free one)
`;

/** Valid solver settings or an error message. */
export type SolverFlags = { challenge: ChallengeResponse; host?: string; port: number } | { error: string };

// The token is base64url (RFC 8555 section 8.3); a key authorization is the token, a dot and a
// base64url thumbprint. Anything else is not ours to serve.
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DOMAIN = /^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)*[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.?$/i;

/** Parses and checks the flags. */
export function parseSolverFlags(args: string[]): SolverFlags {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        domain: { type: 'string' },
        token: { type: 'string' },
        'key-auth': { type: 'string' },
        'listen-host': { type: 'string' },
        'listen-port': { type: 'string', default: '8089' },
      },
      strict: true,
    }));
  } catch (err) {
    return { error: (err as Error).message };
  }
  const { domain, token } = values;
  const keyAuthorization = values['key-auth'];
  if (!domain || domain.length > 253 || !DOMAIN.test(domain))
    return { error: `--domain must be a DNS name, not "${domain ?? ''}"` };
  if (!token || !BASE64URL.test(token)) return { error: '--token must be a non-empty base64url string' };
  const [prefix, thumbprint, ...rest] = (keyAuthorization ?? '').split('.');
  if (prefix !== token || !thumbprint || !BASE64URL.test(thumbprint) || rest.length > 0)
    return { error: '--key-auth must be the token, a dot and a base64url thumbprint' };
  const port = Number(values['listen-port']);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    return { error: `--listen-port must be a port from 0 (any) to 65535, not "${values['listen-port']}"` };
  const host = values['listen-host'];
  return {
    challenge: { domain, token, keyAuthorization: keyAuthorization! },
    port,
    ...(host ? { host } : {}),
  };
}

async function run(args: string[], io: Io): Promise<number> {
  const flags = parseSolverFlags(args);
  if ('error' in flags) {
    io.err.write(`acme6 solver: ${flags.error}\n\n${usage}`);
    return 2;
  }
  const server = createChallengeServer(flags.challenge);
  server.listen({ port: flags.port, ...(flags.host ? { host: flags.host } : {}) });
  try {
    await once(server, 'listening');
  } catch (err) {
    io.err.write(`acme6 solver: cannot listen: ${(err as Error).message}\n`);
    return 1;
  }
  const bound = server.address() as AddressInfo;
  io.err.write(
    `acme6 solver: serving the challenge for ${flags.challenge.domain} on ${bound.address} port ${bound.port}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      server.close(() => resolve());
      server.closeIdleConnections();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  return 0;
}

/** The `solver` subcommand. */
export const solverCommand: Command = { run };
