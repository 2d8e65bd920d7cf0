// zod building blocks shared by the Certificate and Issuer schemas. Each mirrors one CRD field type:
// the same pattern, the same limits, the same CEL rule, the same message.
import { z } from 'zod';
import { parseGoDurationNanos } from './duration.ts';
import { isCelIPv6 } from './ip.ts';
import { MESSAGE, PATTERN } from './patterns.ts';

const re = (pattern: string): RegExp => new RegExp(pattern);
const DNS_NAME = re(PATTERN.dnsName);
const DNS_ZONE = re(PATTERN.dnsZone);
const NUMERIC_TLD = re(PATTERN.numericTld);
const GO_DURATION = re(PATTERN.goDuration);
const HOST_PORT = re(PATTERN.hostPort);
const HTTPS_URL = re(PATTERN.httpsUrl);

/** Length in Unicode code points, which is what OpenAPI maxLength and CEL size() count. */
const runeLength = (s: string): number => [...s].length;

/** Records a failed check on the value being checked (the zod twin of one OpenAPI or CEL error). */
function fail(ctx: z.core.ParsePayload, message: string, path?: PropertyKey[]): void {
  ctx.issues.push({ code: 'custom', message, input: ctx.value, ...(path ? { path } : {}) });
}

/** A string of at most `max` code points (and at least `min`), like OpenAPI minLength/maxLength. */
export function boundedString(max: number, min = 0): z.ZodString {
  return z.string().check((ctx) => {
    const n = runeLength(ctx.value);
    if (n > max) fail(ctx, `may not be more than ${max} characters`);
    else if (n < min) fail(ctx, `must be at least ${min} characters`);
  });
}

/** A string matching an OpenAPI `pattern` (RE2 and JS agree on every PATTERN). */
export function patterned(pattern: string, max: number, min = 0): z.ZodString {
  return boundedString(max, min).regex(re(pattern), `should match '${pattern}'`);
}

/** A Kubernetes object name (DNS-1123 subdomain, at most 253 characters). */
export const objectName = patterned(PATTERN.objectName, 253);

/** A DNS name in a Certificate: lowercase, labels ≤63, ≤253 total, optional `*.`, not an IP address. */
export const dnsName = z
  .string()
  .max(253)
  .check((ctx) => {
    if (!DNS_NAME.test(ctx.value)) fail(ctx, MESSAGE.dnsName);
    if (NUMERIC_TLD.test(ctx.value)) fail(ctx, MESSAGE.notIp);
  });

/** A DNS zone name (iijDpf.zoneName): a dnsName without wildcard. */
export const dnsZone = z
  .string()
  .max(253)
  .check((ctx) => {
    if (!DNS_ZONE.test(ctx.value)) fail(ctx, MESSAGE.dnsZone);
    if (NUMERIC_TLD.test(ctx.value)) fail(ctx, MESSAGE.notIp);
  });

/** A list with unique items (`x-kubernetes-list-type: set`); duplicates are reported at their index. */
export function stringSet<T extends z.ZodType<string>>(item: T, maxItems: number, minItems = 0) {
  return z
    .array(item)
    .min(minItems)
    .max(maxItems)
    .check((ctx) => {
      const seen = new Set<string>();
      ctx.value.forEach((value: string, index: number) => {
        if (seen.has(value)) fail(ctx, `Duplicate value: "${value}"`, [index]);
        seen.add(value);
      });
    });
}

/** A string-keyed map with at most `maxProperties` entries (OpenAPI maxProperties). */
export function stringMap<T extends z.ZodType>(value: T, maxProperties: number) {
  return z.record(z.string(), value).check((ctx) => {
    if (Object.keys(ctx.value).length > maxProperties) fail(ctx, `must have at most ${maxProperties} items`);
  });
}

/** Options of goDuration: an inclusive minimum; without one the duration must be greater than zero. */
export interface GoDurationOptions {
  readonly minimum?: { readonly nanos: bigint; readonly message: string };
}

/** A Go duration string (ASCII units, no sign) that is greater than zero and at least `minimum`. */
export function goDuration(options: GoDurationOptions = {}): z.ZodString {
  return z
    .string()
    .max(64)
    .check((ctx) => {
      const nanos = GO_DURATION.test(ctx.value) ? parseGoDurationNanos(ctx.value) : undefined;
      // One rule per field in the CRD: the format, then either the minimum or "positive".
      if (nanos === undefined) fail(ctx, MESSAGE.goDuration);
      else if (options.minimum) {
        if (nanos < options.minimum.nanos) fail(ctx, options.minimum.message);
      } else if (nanos <= 0n) fail(ctx, MESSAGE.durationPositive);
    });
}

/** Nanoseconds of a schema-valid Go duration; undefined for malformed text. */
export function durationNanos(text: string | undefined): bigint | undefined {
  return text !== undefined && GO_DURATION.test(text) ? parseGoDurationNanos(text) : undefined;
}

/** `host:port` with the host a DNS name, an IPv4 address or a bracketed IPv6 address. */
export const hostPort = z
  .string()
  .max(261)
  .check((ctx) => {
    if (!HOST_PORT.test(ctx.value)) fail(ctx, MESSAGE.hostPort);
    else if (ctx.value.startsWith('[') && !isCelIPv6(ctx.value.slice(1, ctx.value.indexOf(']')))) {
      fail(ctx, MESSAGE.ipv6Literal);
    }
  });

/** An https URL (ACME directory, API endpoint overrides). */
export const httpsUrl = z
  .string()
  .max(2048)
  .check((ctx) => {
    if (!HTTPS_URL.test(ctx.value)) fail(ctx, MESSAGE.httpsUrl);
  });

/** Reference to one key of a Secret in the resource's namespace (the Issuer's, or acme6's for ClusterIssuers). */
export const secretKeySelector = z.strictObject({
  name: objectName,
  key: patterned(PATTERN.secretKey, 253),
});
export type SecretKeySelector = z.output<typeof secretKeySelector>;

/** Adds a custom issue (the CEL-rule twin) at `path` below the value being refined. */
export function celIssue(ctx: z.RefinementCtx, message: string, path: PropertyKey[] = []): void {
  ctx.addIssue({ code: 'custom', message, path });
}

/** Drops object properties whose value is null, as the apiserver prunes them before validation. */
export function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== null) out[key] = dropNulls(item);
    }
    return out;
  }
  return value;
}
