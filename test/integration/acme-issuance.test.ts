// Full issuance through the ACME port, against pebbles of our own (the shared one validates for
// real and has no DNS server yet): one that marks every challenge valid and offers an alternate
// chain, one that requires External Account Binding, and one that rejects half of all nonces.
import { rmSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AcmeClientAdapter, type AcmeClientOptions } from '../../src/acme/acme-client-adapter.ts';
import type { AcmeExchange } from '../../src/acme/acme-client-internals.ts';
import { ariCertificateId, chooseRenewalTime } from '../../src/acme/ari.ts';
import { keyMatchesCertificate, readCertificateChain } from '../../src/acme/certificate-info.ts';
import { verifyChain } from '../../src/acme/chain.ts';
import { createCsr } from '../../src/acme/csr.ts';
import { AcmeError } from '../../src/acme/errors.ts';
import { generatePrivateKey, type KeySpec } from '../../src/acme/keys.ts';
import type { AcmeOrder, AcmePort } from '../../src/acme/port.ts';
import { testbedBinaries } from '../testbed/binaries.ts';
import { httpsGet } from '../testbed/https.ts';
import { startPebble, type Pebble, type PebbleOptions } from '../testbed/pebble.ts';
import { createCertificateAuthority, type CertificateAuthority } from '../testbed/pki.ts';
import { createWorkdir } from '../testbed/workdir.ts';

/** A pebble of this file's own, in its own testbed directory. */
interface OwnPebble {
  pebble: Pebble;
  ca: CertificateAuthority;
  clients: AcmeClientAdapter[];
  client(options: Partial<AcmeClientOptions> & { accountKeyPem: string }): AcmeClientAdapter;
  stop(): Promise<void>;
}

async function startOwnPebble(options: PebbleOptions): Promise<OwnPebble> {
  const dir = createWorkdir();
  try {
    const ca = await createCertificateAuthority('acme6 issuance test CA');
    const pebble = await startPebble(testbedBinaries(), dir, ca, options);
    const clients: AcmeClientAdapter[] = [];
    return {
      pebble,
      ca,
      clients,
      client: (clientOptions) => {
        const adapter = new AcmeClientAdapter({
          directoryUrl: pebble.directoryUrl,
          caBundlePem: ca.certPem,
          ...clientOptions,
        });
        clients.push(adapter);
        return adapter;
      },
      stop: async () => {
        for (const adapter of clients) adapter.close();
        await pebble.process.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Polls (in a test, sleeping is fine) until `read` returns something `done` accepts. */
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** POSTs JSON to pebble's management API. */
function managementPost(own: OwnPebble, path: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${own.pebble.managementUrl}${path}`,
      {
        method: 'POST',
        ca: own.ca.certPem,
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'acme6-test' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

interface Issued {
  order: AcmeOrder;
  keyPem: string;
  chainPem: string;
}

/** Orders, answers every http-01 challenge, finalizes and downloads: the controllers' path, inline. */
async function issue(
  acme: AcmePort,
  dnsNames: string[],
  key: KeySpec = { algorithm: 'ECDSA' },
  extra: { replaces?: string; preferredChain?: string } = {},
): Promise<Issued> {
  let order = await acme.createOrder({
    identifiers: dnsNames.map((value) => ({ type: 'dns', value })),
    ...(extra.replaces ? { replaces: extra.replaces } : {}),
  });
  for (const authorization of await acme.getAuthorizations(order)) {
    // Pebble reuses a valid authorization 1% of the time even at PEBBLE_AUTHZREUSE=0
    // (it reuses unless rand.Intn(100) > percent): nothing to answer then.
    if (authorization.status === 'valid') continue;
    const challenge = authorization.challenges.find((c) => c.type === 'http-01')!;
    await acme.answerChallenge(challenge);
  }
  order = await until(
    () => acme.getOrder(order.url),
    (o) => o.status === 'ready',
    'order ready',
  );
  const keyPem = await generatePrivateKey(key);
  order = await acme.finalizeOrder(order, await createCsr(keyPem, dnsNames));
  order = await until(
    () => acme.getOrder(order.url),
    (o) => o.status === 'valid',
    'order valid',
  );
  return { order, keyPem, chainPem: await acme.downloadCertificate(order, extra.preferredChain) };
}

describe('issuance against a pebble that accepts every challenge', () => {
  let own: OwnPebble;
  let acme: AcmeClientAdapter;
  let root0: string;
  let root1: string;
  let issued: Issued;

  beforeAll(async () => {
    own = await startOwnPebble({ alwaysValid: true, alternateRoots: 1 });
    acme = own.client({ accountKeyPem: await generatePrivateKey({ algorithm: 'ECDSA' }) });
    await acme.registerAccount({ termsOfServiceAgreed: true });
    const roots = await Promise.all(
      [0, 1].map((n) => httpsGet(`${own.pebble.managementUrl}/roots/${n}`, { ca: own.ca.certPem })),
    );
    [root0, root1] = roots.map((r) => r.body) as [string, string];
  });

  afterAll(async () => {
    await own?.stop();
  });

  it('finalizes and downloads a chain that verifies to pebble’s root', async () => {
    const started = performance.now();
    issued = await issue(acme, ['www.acme6.test', 'acme6.test']);
    console.log(
      `one issuance (order, 2 challenges, finalize, download): ${(performance.now() - started).toFixed(0)} ms`,
    );

    const [leaf, ...intermediates] = readCertificateChain(issued.chainPem);
    expect(leaf!.dnsNames.sort()).toEqual(['acme6.test', 'www.acme6.test']);
    expect(leaf!.subjectCommonName).toBeUndefined();
    expect(intermediates.length).toBeGreaterThanOrEqual(1);
    expect(keyMatchesCertificate(issued.keyPem, issued.chainPem)).toBe(true);
    expect(verifyChain(issued.chainPem, root0, new Date())).toEqual({ valid: true });
    expect(verifyChain(issued.chainPem, root1, new Date())).toMatchObject({ valid: false });
  });

  it.each<KeySpec>([
    { algorithm: 'ECDSA', size: 384 },
    { algorithm: 'RSA', size: 2048 },
  ])('issues for a $algorithm $size key', async (key) => {
    const { keyPem, chainPem } = await issue(acme, ['keys.acme6.test'], key);
    expect(keyMatchesCertificate(keyPem, chainPem)).toBe(true);
    expect(verifyChain(chainPem, root0, new Date())).toEqual({ valid: true });
  });

  it('gets a terminal badCSR for an Ed25519 key, which pebble (like Let’s Encrypt) does not sign', async () => {
    const error = await issue(acme, ['ed25519.acme6.test'], { algorithm: 'Ed25519' }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ classification: 'terminal', problemType: 'badCSR' });
    expect((error as AcmeError).message).toContain('rejected the finalization: badCSR:');
  });

  it('downloads the alternate chain whose top issuer is the preferred one, else the default', async () => {
    const rootCn = (pem: string) => readCertificateChain(pem)[0]!.subjectCommonName!;
    const topIssuer = (chain: string) => readCertificateChain(chain).at(-1)!.issuerCommonName;
    const preferred = await acme.downloadCertificate(issued.order, rootCn(root1));
    expect(topIssuer(preferred)).toBe(rootCn(root1));
    expect(verifyChain(preferred, root1, new Date())).toEqual({ valid: true });
    const fallback = await acme.downloadCertificate(issued.order, 'No Such Root CA');
    expect(topIssuer(fallback)).toBe(rootCn(root0));
  });

  it('reads the ARI window of the issued certificate, inside its lifetime', async () => {
    const info = await acme.getRenewalInfo(issued.chainPem);
    const [leaf] = readCertificateChain(issued.chainPem);
    expect(info).toBeDefined();
    const { start, end } = info!.suggestedWindow;
    expect(start.getTime()).toBeLessThan(end.getTime());
    expect(start.getTime()).toBeGreaterThan(leaf!.notBefore.getTime());
    expect(end.getTime()).toBeLessThan(leaf!.notAfter.getTime());
    // Pebble asks to be polled again in six hours.
    expect(info!.retryAfter!.getTime() - Date.now()).toBeGreaterThan(5 * 3600_000);
  });

  it('replaces a certificate once (ARI replaces); a second replacement is alreadyReplaced', async () => {
    const certId = ariCertificateId(issued.chainPem);
    const replacement = await issue(
      acme,
      ['www.acme6.test', 'acme6.test'],
      { algorithm: 'ECDSA' },
      { replaces: certId },
    );
    expect(replacement.order.replaces).toBe(certId);

    const again = await acme
      .createOrder({ identifiers: [{ type: 'dns', value: 'acme6.test' }], replaces: certId })
      .catch((e: unknown) => e);
    expect(again).toBeInstanceOf(AcmeError);
    expect(again).toMatchObject({ classification: 'terminal', problemType: 'alreadyReplaced' });
    expect((again as AcmeError).message).toMatch(
      /rejected the order: alreadyReplaced: certificate with serial/,
    );
  });

  it('follows a window set through pebble’s management API', async () => {
    const { chainPem } = await issue(acme, ['ari.acme6.test']);
    const window = { start: '2020-01-01T00:00:00Z', end: '2020-01-02T00:00:00Z' };
    const status = await managementPost(own, '/set-renewal-info/', {
      Certificate: readCertificateChain(chainPem)[0]!.pem,
      ARIResponse: JSON.stringify({ suggestedWindow: window, explanationURL: 'https://acme6.test/why' }),
    });
    expect(status).toBe(200);
    const info = await acme.getRenewalInfo(chainPem);
    expect(info).toMatchObject({
      suggestedWindow: { start: new Date(window.start), end: new Date(window.end) },
      explanationURL: 'https://acme6.test/why',
    });
    // A window in the past means: renew now.
    const now = new Date();
    expect(chooseRenewalTime(info!.suggestedWindow, now, () => 0.5)).toEqual(now);
  });
});

describe('External Account Binding', () => {
  const hmacKey = Buffer.alloc(64, 7).toString('base64url');
  let own: OwnPebble;

  beforeAll(async () => {
    own = await startOwnPebble({ eabKeys: { 'acme6-kid': hmacKey } });
  });

  afterAll(async () => {
    await own?.stop();
  });

  it.each(['HS256', 'HS384', 'HS512'] as const)('registers with an %s binding', async (algorithm) => {
    const acme = own.client({ accountKeyPem: await generatePrivateKey({ algorithm: 'ECDSA' }) });
    const account = await acme.registerAccount({
      termsOfServiceAgreed: true,
      externalAccountBinding: { keyID: 'acme6-kid', hmacKey, algorithm },
    });
    expect(account.status).toBe('valid');
  });

  it('is told, terminally, that the CA requires a binding', async () => {
    const acme = own.client({ accountKeyPem: await generatePrivateKey({ algorithm: 'ECDSA' }) });
    const error = await acme.registerAccount({ termsOfServiceAgreed: true }).catch((e: unknown) => e);
    expect(error).toMatchObject({ classification: 'terminal', problemType: 'externalAccountRequired' });
  });

  it('reports a wrong MAC key without ever printing the key', async () => {
    const wrongKey = Buffer.alloc(64, 9).toString('base64url');
    const accountKeyPem = await generatePrivateKey({ algorithm: 'ECDSA' });
    const error = await own
      .client({ accountKeyPem })
      .registerAccount({
        termsOfServiceAgreed: true,
        externalAccountBinding: { keyID: 'acme6-kid', hmacKey: wrongKey, algorithm: 'HS256' },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ classification: 'terminal', problemType: 'unauthorized' });
    const visible = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
    for (const secret of [wrongKey, hmacKey, accountKeyPem.split('\n')[1]!])
      expect(visible).not.toContain(secret);
  });
});

describe('badNonce under 50 % nonce rejection', () => {
  let own: OwnPebble;

  beforeAll(async () => {
    own = await startOwnPebble({ alwaysValid: true, nonceRejectPercent: 50 });
  });

  afterAll(async () => {
    await own?.stop();
  });

  it('completes ten sequential operations with a fresh nonce on every retry', async () => {
    const exchanges: AcmeExchange[] = [];
    const acme = own.client({
      accountKeyPem: await generatePrivateKey({ algorithm: 'ECDSA' }),
      // At 50 % rejection a bound of 20 fails a request once in a million; the default (10) is
      // tuned for real CAs, where badNonce is rare.
      maxBadNonceRetries: 20,
      onExchange: (exchange) => exchanges.push(exchange),
    });
    const account = await acme.registerAccount({ termsOfServiceAgreed: true }); // 1
    expect((await acme.findAccount())?.url).toBe(account.url); // 2
    let order = await acme.createOrder({ identifiers: [{ type: 'dns', value: 'nonce.acme6.test' }] }); // 3
    const [authorization] = await acme.getAuthorizations(order); // 4
    await acme.answerChallenge(authorization!.challenges.find((c) => c.type === 'http-01')!); // 5
    order = await until(
      () => acme.getOrder(order.url),
      (o) => o.status === 'ready',
      'order ready',
    ); // 6+
    const keyPem = await generatePrivateKey({ algorithm: 'ECDSA' });
    order = await acme.finalizeOrder(order, await createCsr(keyPem, ['nonce.acme6.test'])); // 7
    order = await until(
      () => acme.getOrder(order.url),
      (o) => o.status === 'valid',
      'order valid',
    ); // 8+
    const chainPem = await acme.downloadCertificate(order); // 9
    expect((await acme.getAuthorization(authorization!.url)).status).toBe('valid'); // 10
    expect(keyMatchesCertificate(keyPem, chainPem)).toBe(true);

    const posts = exchanges.filter((e) => e.method === 'POST');
    const badNonces = posts.filter((e) => e.problemType === 'urn:ietf:params:acme:error:badNonce');
    console.log(`badNonce: ${badNonces.length} of ${posts.length} signed requests retried`);
    expect(badNonces.length).toBeGreaterThan(0);
    // Every signed request carried a nonce never used before (publishlab/node-acme-client#103 reuses them).
    const nonces = posts.map((e) => e.nonce);
    expect(nonces.every((n) => typeof n === 'string')).toBe(true);
    expect(new Set(nonces).size).toBe(nonces.length);
  });
});
