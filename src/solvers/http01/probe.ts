// Fetches a challenge token from one address the way the CA does: HTTP to that address with the
// name in the Host header, following redirects (to HTTPS too, certificates unchecked, since the
// site's certificate is what is being issued), bounded in count and time.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { CHALLENGE_PATH_PREFIX } from './challenge-server.ts';
import type { ProbeOutcome, Target } from './self-check.ts';

/** Where and how long to probe. */
export interface ProbeOptions {
  /** Port of the first request (80 in production). */
  httpPort: number;
  /** Port of an https redirect without one (443 in production). */
  httpsPort: number;
  timeoutMs: number;
}

/** Redirects the CA follows at most (Let's Encrypt's limit). */
export const MAX_REDIRECTS = 10;
const MAX_BODY = 8 * 1024;

interface Answer {
  status: number;
  statusText: string;
  location?: string;
  body: string;
}

const describeError = (err: NodeJS.ErrnoException, timeoutMs: number): string => {
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `timed out after ${timeoutMs / 1000}s`;
  switch (err.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'EADDRNOTAVAIL':
      return 'address not available from here';
    default:
      return err.message;
  }
};

/** One request: the logical URL's path, Host and SNI, sent to `address`:`port`. */
interface Hop {
  url: URL;
  address: string;
  port: number;
}

function fetchOnce({ url, address, port }: Hop, signal: AbortSignal): Promise<Answer> {
  const https = url.protocol === 'https:';
  const request = https ? httpsRequest : httpRequest;
  const name = url.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: address,
        port,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { host: url.host, 'user-agent': 'acme6-self-check', accept: '*/*' },
        signal,
        agent: false,
        ...(https ? { rejectUnauthorized: false, ...(isIP(name) ? {} : { servername: name }) } : {}),
      },
      (res: IncomingMessage) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < MAX_BODY) body += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            statusText: res.statusMessage ?? '',
            ...(res.headers.location ? { location: res.headers.location } : {}),
            body,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Fetches the token from `target` and says what came back. */
export async function probeAddress(
  target: Target,
  domain: string,
  token: string,
  keyAuthorization: string,
  options: ProbeOptions,
): Promise<ProbeOutcome> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let hop: Hop = {
    url: new URL(`http://${domain}${CHALLENGE_PATH_PREFIX}${token}`),
    address: target.address,
    port: options.httpPort,
  };
  const redirected: string[] = [];
  try {
    for (;;) {
      const answer = await fetchOnce(hop, signal);
      const isRedirect = [301, 302, 303, 307, 308].includes(answer.status) && answer.location;
      if (!isRedirect) {
        if (answer.status === 200)
          return answer.body.trim() === keyAuthorization ? { kind: 'ok' } : { kind: 'wrong-body' };
        return {
          kind: 'status',
          status: answer.status,
          statusText: answer.statusText,
          ...(redirected.length > 0 ? { finalUrl: redirected.at(-1)! } : {}),
        };
      }
      if (redirected.length >= MAX_REDIRECTS)
        return { kind: 'error', message: `more than ${MAX_REDIRECTS} redirects` };
      const next = new URL(answer.location!, hop.url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:')
        return { kind: 'error', message: `redirect to an unsupported ${next.protocol} URL` };
      redirected.push(next.href);
      // A redirect within the name stays on the address under test; another name is looked up.
      const sameName = next.hostname.toLowerCase() === domain.toLowerCase();
      const defaultPort = next.protocol === 'https:' ? options.httpsPort : options.httpPort;
      hop = {
        url: next,
        address: sameName ? target.address : next.hostname.replace(/^\[|\]$/g, ''),
        port: next.port ? Number(next.port) : defaultPort,
      };
    }
  } catch (err) {
    return { kind: 'error', message: describeError(err as NodeJS.ErrnoException, options.timeoutMs) };
  }
}
