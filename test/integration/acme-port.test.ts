// The ACME port against the shared testbed's real pebble: directory, accounts found again by key,
// TLS trust that belongs to one issuer only, orders with both challenge types, resuming an order by
// URL after a "restart", and the terminal error a malformed identifier earns.
import { createHash, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { get } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClientAdapter, type AcmeClientOptions } from '../../src/acme/acme-client-adapter.ts';
import { AcmeError } from '../../src/acme/errors.ts';
import { generatePrivateKey } from '../../src/acme/keys.ts';
import type { AcmeAuthorization, AcmeOrder } from '../../src/acme/port.ts';
import { testbed } from './kube.ts';

const clients: AcmeClientAdapter[] = [];

function pebble() {
  const info = testbed().pebble;
  if (!info) throw new Error('the testbed runs without pebble');
  return info;
}

function listenerCa(): string {
  return readFileSync(pebble().listenerCaFile, 'utf8');
}

/** A client for the shared pebble, trusting its listener CA unless told otherwise. */
function client(accountKeyPem: string, options: Partial<AcmeClientOptions> = {}): AcmeClientAdapter {
  const adapter = new AcmeClientAdapter({
    directoryUrl: pebble().directoryUrl,
    accountKeyPem,
    caBundlePem: listenerCa(),
    ...options,
  });
  clients.push(adapter);
  return adapter;
}

/** RFC 7638 thumbprint of the account key, computed independently of acme-client. */
function thumbprint(accountKeyPem: string): string {
  const jwk = createPublicKey(accountKeyPem).export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

afterAll(() => {
  for (const adapter of clients) adapter.close();
});

describe('ACME directory', () => {
  it('advertises newOrder, ARI (renewalInfo) and the testbed profile', async () => {
    const directory = await client(await generatePrivateKey({ algorithm: 'ECDSA' })).getDirectory();
    expect(directory.newOrder).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    expect(directory.renewalInfo).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/.*renewalInfo$/);
    expect(Object.keys(directory.meta.profiles)).toEqual(['default']);
  });
});

describe('ACME accounts', () => {
  it('registers an account and finds the same URL again from the key alone (a restart)', async () => {
    const key = await generatePrivateKey({ algorithm: 'ECDSA' });
    const registered = await client(key).registerAccount({
      email: 'ops@acme6.test',
      termsOfServiceAgreed: true,
    });
    expect(registered).toMatchObject({ status: 'valid', contact: ['mailto:ops@acme6.test'] });
    expect(registered.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);

    const found = await client(key).findAccount();
    expect(found?.url).toBe(registered.url);

    const registeredAgain = await client(key).registerAccount({ termsOfServiceAgreed: true });
    expect(registeredAgain.url).toBe(registered.url);
  });

  it('finds no account for a key the server has never seen', async () => {
    const found = await client(await generatePrivateKey({ algorithm: 'ECDSA', size: 384 })).findAccount();
    expect(found).toBeUndefined();
  });

  it('registers RSA account keys too', async () => {
    const key = await generatePrivateKey({ algorithm: 'RSA', size: 2048 });
    expect((await client(key).registerAccount({ termsOfServiceAgreed: true })).status).toBe('valid');
  });
});

describe('per-issuer TLS trust', () => {
  it("trusts an issuer's caBundle for that issuer only, never globally", async () => {
    const key = await generatePrivateKey({ algorithm: 'ECDSA' });
    const withBundle = client(key);
    const withoutBundle = client(key, { caBundlePem: undefined });
    const withOtherCa = client(key, { caBundlePem: readFileSync(pebble().issuerRootFile, 'utf8') });

    const [trusted, untrusted, otherCa] = await Promise.allSettled([
      withBundle.getDirectory(),
      withoutBundle.getDirectory(),
      withOtherCa.getDirectory(),
    ]);
    expect(trusted.status).toBe('fulfilled');
    for (const outcome of [untrusted, otherCa]) {
      expect(outcome.status).toBe('rejected');
      const error = (outcome as PromiseRejectedResult).reason as AcmeError;
      expect(error).toBeInstanceOf(AcmeError);
      expect(error).toMatchObject({ kind: 'tls', classification: 'terminal' });
      expect(error.message).toContain(
        `ACME server ${pebble().directoryUrl} could not be used for the directory request`,
      );
      expect(error.message).toContain('TLS certificate is not trusted');
    }

    // Nothing leaked into the process: Node's default agent still refuses pebble's listener.
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
    const plain = await new Promise<string>((resolve) => {
      get(pebble().directoryUrl, { headers: { 'User-Agent': 'acme6-test' } }, () => resolve('trusted')).on(
        'error',
        (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'),
      );
    });
    expect(plain).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });
});

describe('ACME orders', () => {
  let key: string;
  let accountUrl: string;
  let order: AcmeOrder;

  beforeAll(async () => {
    key = await generatePrivateKey({ algorithm: 'ECDSA' });
    accountUrl = (await client(key).registerAccount({ termsOfServiceAgreed: true })).url;
  });

  it('creates an order with pending authorizations offering http-01 and dns-01', async () => {
    const acme = client(key, { accountUrl });
    order = await acme.createOrder({
      identifiers: [
        { type: 'dns', value: 'www.acme6.test' },
        { type: 'dns', value: 'acme6.test' },
      ],
      profile: 'default',
    });
    expect(order).toMatchObject({ status: 'pending', profile: 'default' });
    expect(order.identifiers.map((id) => id.value).sort()).toEqual(['acme6.test', 'www.acme6.test']);
    expect(order.authorizations).toHaveLength(2);

    const authorizations = await acme.getAuthorizations(order);
    expect(authorizations.map((a) => a.identifier.value).sort()).toEqual(['acme6.test', 'www.acme6.test']);
    for (const authorization of authorizations) {
      expect(authorization.status).toBe('pending');
      expect(authorization.challenges.map((c) => c.type)).toEqual(
        expect.arrayContaining(['http-01', 'dns-01']),
      );
      const http01 = authorization.challenges.find((c) => c.type === 'http-01')!;
      const dns01 = authorization.challenges.find((c) => c.type === 'dns-01')!;
      const keyAuthorization = `${http01.token}.${thumbprint(key)}`;
      expect(await acme.challengeValue(http01)).toBe(keyAuthorization);
      expect(await acme.challengeValue(dns01)).toBe(
        createHash('sha256')
          .update(`${dns01.token}.${thumbprint(key)}`)
          .digest('base64url'),
      );
    }
  });

  it('resumes the same order by URL from a fresh client, as after a restart', async () => {
    const restarted = client(key, { accountUrl });
    const resumed = await restarted.getOrder(order.url);
    expect(resumed.url).toBe(order.url);
    expect(resumed.status).toBe('pending');
    // Pebble lists authorizations and challenges in a new random order on every read: compare sets.
    expect([...resumed.authorizations].sort()).toEqual([...order.authorizations].sort());
    const challenges = (authorizations: AcmeAuthorization[]) =>
      authorizations.flatMap((a) => a.challenges.map((c) => `${a.url} ${c.type} ${c.url} ${c.token}`)).sort();
    const before = await client(key, { accountUrl }).getAuthorizations(order);
    const after = await restarted.getAuthorizations(resumed);
    expect(challenges(after)).toEqual(challenges(before));
  });

  it('turns a malformed identifier into a terminal AcmeError carrying pebble’s problem', async () => {
    const error = await client(key, { accountUrl })
      .createOrder({ identifiers: [{ type: 'dns', value: 'bad!name.acme6.test' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AcmeError);
    expect(error).toMatchObject({
      kind: 'problem',
      classification: 'terminal',
      problemType: 'malformed',
      httpStatus: 400,
    });
    expect((error as AcmeError).message).toBe(
      `ACME server ${pebble().directoryUrl} rejected the order: malformed: ` +
        `Order included DNS identifier with a value containing an illegal character: '!'`,
    );
  });

  it('rejects an unknown profile as terminal invalidProfile', async () => {
    const error = await client(key, { accountUrl })
      .createOrder({ identifiers: [{ type: 'dns', value: 'acme6.test' }], profile: 'nonexistent' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ classification: 'terminal', problemType: 'invalidProfile' });
  });
});
