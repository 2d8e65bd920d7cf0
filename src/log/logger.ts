// JSON logs through pino, with key material kept out: fields that hold secrets by name are
// censored, and any PEM private key that slips into a logged value is cut out of it.
import { pino, type Logger as PinoLogger } from 'pino';

const censor = '[redacted]';
const privateKeyPem =
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

/** Field names whose values are secrets wherever they appear (up to two levels deep). */
export const SECRET_FIELDS = [
  'privateKey',
  'keyPem',
  'accountKey',
  'hmacKey',
  'tsigSecret',
  'token',
  'secretKey',
  'password',
];

/** Replaces PEM private keys inside strings, objects and arrays (bounded depth; logs are small). */
export function scrubPrivateKeys(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(privateKeyPem, '[redacted private key]');
  if (depth >= 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => scrubPrivateKeys(v, depth + 1));
  if (value instanceof Error) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrubPrivateKeys(v, depth + 1)]));
}

/** Creates the process logger; `destination` is for tests. */
export function createLogger(
  options: { level?: string; name?: string } = {},
  destination?: pino.DestinationStream,
): PinoLogger {
  const paths = SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]);
  return pino(
    {
      name: options.name ?? 'acme6',
      level: options.level ?? 'info',
      redact: { paths: [...paths, '*.data', 'data'], censor },
      formatters: { log: (obj) => scrubPrivateKeys(obj) as Record<string, unknown> },
      hooks: {
        // Messages are strings too: a PEM key in a message is cut out as well.
        logMethod(args, method) {
          method.apply(
            this,
            args.map((a) => (typeof a === 'string' ? scrubPrivateKeys(a) : a)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination,
  );
}
