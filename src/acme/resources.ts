// The server's JSON, checked and turned into the port's types. Unknown fields are dropped; fields
// RFC 8555 marks required must be there, or the answer is an invalid response.
import { z } from 'zod';
import { MAX_URL } from '../api/bounded-text.ts';
import { InvalidResponseError, parseBody, problemOf, type AcmeResponse } from './acme-http.ts';
import type { AcmeProblem } from './errors.ts';
import type {
  AcmeAccount,
  AcmeAuthorization,
  AcmeChallenge,
  AcmeDirectory,
  AcmeIdentifier,
  AcmeOrder,
} from './port.ts';
import { parseRetryAfter } from './retry-after.ts';

// URLs end up in status fields of at most MAX_URL characters; a CA sending longer ones is broken.
const url = z.string().min(1).max(MAX_URL);
const timestamp = z.iso.datetime({ offset: true });
const identifier = z.object({ type: z.literal('dns'), value: z.string() });

const directorySchema = z.object({
  newNonce: url,
  newAccount: url,
  newOrder: url,
  revokeCert: url.optional(),
  keyChange: url.optional(),
  renewalInfo: url.optional(),
  meta: z
    .object({
      termsOfService: z.string().optional(),
      website: z.string().optional(),
      caaIdentities: z.array(z.string()).optional(),
      externalAccountRequired: z.boolean().optional(),
      profiles: z.record(z.string(), z.string()).optional(),
    })
    .optional(),
});

const accountSchema = z.object({
  status: z.enum(['valid', 'deactivated', 'revoked']),
  contact: z.array(z.string()).optional(),
});

const orderSchema = z.object({
  status: z.enum(['pending', 'ready', 'processing', 'valid', 'invalid']),
  identifiers: z.array(identifier),
  authorizations: z.array(url),
  finalize: url,
  certificate: url.optional(),
  expires: timestamp.optional(),
  profile: z.string().optional(),
  replaces: z.string().optional(),
  error: z.unknown().optional(),
});

const challengeSchema = z.object({
  type: z.string(),
  url,
  status: z.enum(['pending', 'processing', 'valid', 'invalid']),
  token: z.string().optional(),
  validated: timestamp.optional(),
  error: z.unknown().optional(),
});

const authorizationSchema = z.object({
  status: z.enum(['pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked']),
  identifier,
  wildcard: z.boolean().optional(),
  expires: timestamp.optional(),
  challenges: z.array(challengeSchema),
});

function problemIn(value: unknown): AcmeProblem | undefined {
  return value === undefined ? undefined : problemOf({ status: 0, headers: {}, data: value });
}

/** Sets `target[key]` only when the value is defined, keeping optional fields truly absent. */
function setDefined<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function retryAfterOf(response: AcmeResponse, now: Date): Date | undefined {
  return parseRetryAfter(response.headers['retry-after'], now);
}

/** The directory from its answer. */
export function toDirectory(response: AcmeResponse): AcmeDirectory {
  const body = parseBody(directorySchema, response, 'an ACME directory');
  const directory: AcmeDirectory = {
    newNonce: body.newNonce,
    newAccount: body.newAccount,
    newOrder: body.newOrder,
    meta: { profiles: body.meta?.profiles ?? {} },
  };
  setDefined(directory, 'revokeCert', body.revokeCert);
  setDefined(directory, 'keyChange', body.keyChange);
  // Pebble advertises it with the trailing slash stripped; certificate IDs are appended after one.
  setDefined(directory, 'renewalInfo', body.renewalInfo?.replace(/\/+$/, ''));
  setDefined(directory.meta, 'termsOfService', body.meta?.termsOfService);
  setDefined(directory.meta, 'website', body.meta?.website);
  setDefined(directory.meta, 'caaIdentities', body.meta?.caaIdentities);
  setDefined(directory.meta, 'externalAccountRequired', body.meta?.externalAccountRequired);
  return directory;
}

/** The account from an answer to newAccount (or a POST to the account URL). */
export function toAccount(response: AcmeResponse, accountUrl: string): AcmeAccount {
  const body = parseBody(accountSchema, response, 'an ACME account');
  return { url: accountUrl, status: body.status, contact: body.contact ?? [] };
}

/** The Location header of an answer (account or order URL), resolved against the request URL. */
export function locationOf(response: AcmeResponse, requestUrl: string, what: string): string {
  const location = response.headers.location;
  if (!location) throw new InvalidResponseError(`the answer to ${what} has no Location header`);
  if (location.length > MAX_URL)
    throw new InvalidResponseError(
      `the Location header of the answer to ${what} is longer than ${MAX_URL} characters`,
    );
  return new URL(location, requestUrl).href;
}

/** The order from its answer. */
export function toOrder(response: AcmeResponse, orderUrl: string, now: Date): AcmeOrder {
  const body = parseBody(orderSchema, response, 'an ACME order');
  const order: AcmeOrder = {
    url: orderUrl,
    status: body.status,
    identifiers: body.identifiers.map((id): AcmeIdentifier => ({ type: id.type, value: id.value })),
    authorizations: body.authorizations,
    finalize: body.finalize,
  };
  setDefined(order, 'certificate', body.certificate);
  setDefined(order, 'expires', body.expires === undefined ? undefined : new Date(body.expires));
  setDefined(order, 'profile', body.profile);
  setDefined(order, 'replaces', body.replaces);
  setDefined(order, 'error', problemIn(body.error));
  setDefined(order, 'retryAfter', retryAfterOf(response, now));
  return order;
}

function toChallenge(body: z.output<typeof challengeSchema>): AcmeChallenge {
  const challenge: AcmeChallenge = { type: body.type, url: body.url, status: body.status };
  setDefined(challenge, 'token', body.token);
  setDefined(challenge, 'validated', body.validated === undefined ? undefined : new Date(body.validated));
  setDefined(challenge, 'error', problemIn(body.error));
  return challenge;
}

/** A challenge from the answer to a POST to it. */
export function toAnsweredChallenge(response: AcmeResponse): AcmeChallenge {
  return toChallenge(parseBody(challengeSchema, response, 'an ACME challenge'));
}

/** The authorization from its answer. */
export function toAuthorization(
  response: AcmeResponse,
  authorizationUrl: string,
  now: Date,
): AcmeAuthorization {
  const body = parseBody(authorizationSchema, response, 'an ACME authorization');
  const authorization: AcmeAuthorization = {
    url: authorizationUrl,
    status: body.status,
    identifier: { type: body.identifier.type, value: body.identifier.value },
    wildcard: body.wildcard ?? false,
    challenges: body.challenges.map(toChallenge),
  };
  setDefined(authorization, 'expires', body.expires === undefined ? undefined : new Date(body.expires));
  setDefined(authorization, 'retryAfter', retryAfterOf(response, now));
  return authorization;
}
