// The controller flags of the http-01 solver, checked into settings.
import type { Http01Options } from './create.ts';
import { nameserverError } from './resolve.ts';

/** The flags as parseArgs returns them. */
export interface Http01FlagValues {
  'acme-http01-solver-image'?: string;
  'acme-http01-solver-nameservers'?: string;
  'acme-http01-self-check-port'?: string;
  'acme-http01-self-check-https-port'?: string;
}

/** parseArgs options of these flags. */
export const HTTP01_FLAG_OPTIONS = {
  'acme-http01-solver-image': { type: 'string' },
  'acme-http01-solver-nameservers': { type: 'string' },
  'acme-http01-self-check-port': { type: 'string', default: '80' },
  'acme-http01-self-check-https-port': { type: 'string', default: '443' },
} as const;

/** Their lines in the usage text. */
export const HTTP01_USAGE = `  --acme-http01-solver-image IMAGE    image of http-01 solver pods (default ghcr.io/acme6/acme6:VERSION)
  --acme-http01-solver-nameservers L  IP:port,... for the http-01 self-check's A/AAAA lookups (default: system resolver)
  --acme-http01-self-check-port N     port the self-check fetches the token from (default 80, as the CA)
  --acme-http01-self-check-https-port N  port of https redirects without one (default 443)
`;

// An image reference: optional registry/path, a name, and a tag or digest; no spaces or schemes.
const IMAGE =
  /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

function port(flag: string, text: string | undefined): number | string {
  const n = Number(text);
  return Number.isInteger(n) && n >= 1 && n <= 65535
    ? n
    : `--${flag} must be a port from 1 to 65535, not "${text}"`;
}

/** Settings for the Manager, or a message naming the bad flag. */
export function readHttp01Flags(
  values: Http01FlagValues,
  version: string,
): { http01: Http01Options } | { error: string } {
  const image = values['acme-http01-solver-image'] ?? `ghcr.io/acme6/acme6:${version}`;
  if (!IMAGE.test(image))
    return { error: `--acme-http01-solver-image is not an image reference: "${image}"` };
  const list = values['acme-http01-solver-nameservers'];
  const nameservers = list ? list.split(',').map((s) => s.trim()) : [];
  for (const ns of nameservers) {
    const problem = nameserverError(ns);
    if (problem) return { error: `--acme-http01-solver-nameservers: ${problem}` };
  }
  const selfCheckPort = port('acme-http01-self-check-port', values['acme-http01-self-check-port'] ?? '80');
  if (typeof selfCheckPort === 'string') return { error: selfCheckPort };
  const httpsPort = port(
    'acme-http01-self-check-https-port',
    values['acme-http01-self-check-https-port'] ?? '443',
  );
  if (typeof httpsPort === 'string') return { error: httpsPort };
  return { http01: { image, nameservers, selfCheckPort, selfCheckHttpsPort: httpsPort } };
}
