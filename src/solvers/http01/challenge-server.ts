// The http-01 responder that runs in the solver pod: it answers exactly one token for exactly one
// name, and 404 to everything else, so a misrouted request never learns anything.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/** The one challenge a solver pod answers. */
export interface ChallengeResponse {
  /** The identifier, e.g. `app.example.test`; compared case-insensitively, any port. */
  domain: string;
  token: string;
  keyAuthorization: string;
}

export const CHALLENGE_PATH_PREFIX = '/.well-known/acme-challenge/';

/** The Host header's name without port or trailing dot, lowercased; undefined if absent. */
export function hostName(host: string | undefined): string | undefined {
  if (!host) return undefined;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  return name.replace(/\.$/, '').toLowerCase();
}

/** True if the request is the CA's fetch of this challenge's token. */
export function isChallengeRequest(
  challenge: ChallengeResponse,
  method: string | undefined,
  url: string | undefined,
  host: string | undefined,
): boolean {
  if (method !== 'GET' && method !== 'HEAD') return false;
  // The path only: a query string is not part of what the CA asks for, so it does not match.
  if (url !== `${CHALLENGE_PATH_PREFIX}${challenge.token}`) return false;
  return hostName(host) === challenge.domain.replace(/\.$/, '').toLowerCase();
}

function respond(challenge: ChallengeResponse, req: IncomingMessage, res: ServerResponse): void {
  const ok = isChallengeRequest(challenge, req.method, req.url, req.headers.host);
  const body = ok ? challenge.keyAuthorization : 'not found\n';
  res.writeHead(ok ? 200 : 404, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** An HTTP server for one challenge (not yet listening). */
export function createChallengeServer(challenge: ChallengeResponse): Server {
  const server = createServer((req, res) => respond(challenge, req, res));
  // Slow or idle clients must not hold the pod's few resources.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  return server;
}
