// A hostile CA for tests: an HTTPS front that forwards every request to pebble unchanged (keeping the
// Host header, so pebble's URLs and its JWS url check name the front) until the test switches it to a
// mode that spoils one kind of answer. One front per case, so cases run side by side.
import { createServer, request, type Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { x509 } from '../../src/crypto/x509.ts';
import { issueCertificate, type CertificateAuthority } from '../testbed/pki.ts';

/** How the front answers; `pass` forwards everything. */
export type HostileMode =
  | 'pass'
  | 'huge-body'
  | 'wrong-content-type'
  | 'huge-detail'
  | 'malformed-chain'
  | 'other-names'
  | 'stuck-processing';

export interface HostileFront {
  /** The directory URL to put into an Issuer. */
  directoryUrl: string;
  /** Switches how later requests are answered. */
  setMode(mode: HostileMode): void;
  /** Requests answered in a hostile mode, by pebble path kind (`order-plz`, `certZ`, ...). */
  spoiled: Record<string, number>;
  close(): void;
}

const TEN_MB = 10 * 1024 * 1024;
/** How long an order stays in processing before the expiry the front gives it. */
const STUCK_MS = 20_000;

/** Starts a front for the pebble at `pebbleDirectoryUrl` whose listener `authority` signed. */
export async function startHostileFront(
  authority: CertificateAuthority,
  pebbleDirectoryUrl: string,
): Promise<HostileFront> {
  const tls = await issueCertificate(authority, {
    kind: 'server',
    commonName: 'hostile-ca',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  // The public key of the last CSR seen, so a certificate for other names still matches the key.
  let lastCsrKey: x509.PublicKey | undefined;
  const upstream = new URL(pebbleDirectoryUrl);
  let mode: HostileMode = 'pass';
  let stuckUntil: string | undefined;
  const spoiled: Record<string, number> = {};

  const server = createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      const kind = path.split('/')[1] ?? '';
      const spoil = (
        status: number,
        contentType: string,
        body: string | Buffer,
        headers: Record<string, string> = {},
      ): void => {
        spoiled[kind] = (spoiled[kind] ?? 0) + 1;
        res.writeHead(status, { ...headers, 'content-type': contentType, 'replay-nonce': freshNonce() });
        res.end(body);
      };
      // Answers decided without pebble (pebble still hands out nonces through newNonce).
      if (kind === 'order-plz' && mode === 'huge-body') {
        return spoil(201, 'application/json', Buffer.alloc(TEN_MB, 'A'));
      }
      if (kind === 'order-plz' && mode === 'wrong-content-type') {
        // Everything an order answer has (status, Location) except a JSON body.
        const location = `https://${req.headers.host ?? ''}/my-order/hostile`;
        return spoil(201, 'text/html', '<html><body>Order created. Have a nice day.</body></html>', {
          location,
        });
      }
      // At finalize (hostile-answers.test.ts has it at newOrder): the order is ready, the CSR refused.
      if (kind === 'finalize-order' && mode === 'huge-detail') {
        const detail = `finalize refused: ${'A'.repeat(100_000)} END-OF-DETAIL`;
        return spoil(
          400,
          'application/problem+json',
          JSON.stringify({ type: 'urn:ietf:params:acme:error:badCSR', detail, status: 400 }),
        );
      }
      if (kind === 'certZ' && mode === 'malformed-chain') {
        return spoil(
          200,
          'application/pem-certificate-chain',
          '-----BEGIN CERTIFICATE-----\nthis is not base64 DER !!!\n-----END CERTIFICATE-----\n',
        );
      }
      if (kind === 'certZ' && mode === 'other-names' && lastCsrKey) {
        otherNamesChain(authority, lastCsrKey).then(
          (chain) => spoil(200, 'application/pem-certificate-chain', chain),
          () => res.writeHead(502).end(),
        );
        return;
      }
      if (kind === 'finalize-order') lastCsrKey = csrKeyOf(Buffer.concat(chunks)) ?? lastCsrKey;
      forward(req.method ?? 'GET', path, req.headers, Buffer.concat(chunks), (status, headers, body) => {
        let out = body;
        if ((kind === 'my-order' || kind === 'finalize-order') && mode === 'stuck-processing') {
          const order = JSON.parse(body.toString()) as {
            status: string;
            certificate?: string;
            expires?: string;
          };
          if (order.status === 'valid' || order.status === 'processing') {
            // Processing until its own expiry, which comes soon (a real CA's is days away).
            stuckUntil ??= new Date(Date.now() + STUCK_MS).toISOString();
            order.status = 'processing';
            order.expires = stuckUntil;
            delete order.certificate;
            out = Buffer.from(JSON.stringify(order));
            spoiled[kind] = (spoiled[kind] ?? 0) + 1;
          }
        }
        delete headers['content-length'];
        delete headers['transfer-encoding'];
        res.writeHead(status, headers);
        res.end(out);
      }).catch(() => res.writeHead(502).end());
    });
  });

  // Nonces of a spoiled answer are invalid at pebble: the client finds out with badNonce and retries.
  const freshNonce = (): string => `hostile-${Math.random().toString(36).slice(2)}`;

  async function forward(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Buffer,
    reply: (status: number, headers: IncomingHttpHeaders, body: Buffer) => void,
  ): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const up = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method,
          path,
          headers,
          ca: authority.certPem,
          servername: 'localhost',
        },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (chunk: Buffer) => parts.push(chunk));
          res.on('end', () => {
            reply(res.statusCode ?? 502, { ...res.headers }, Buffer.concat(parts));
            resolve();
          });
          res.on('error', reject);
        },
      );
      up.on('error', reject);
      up.end(body);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    directoryUrl: `https://127.0.0.1:${port}${upstream.pathname}`,
    setMode: (next) => (mode = next),
    spoiled,
    close: () => closeServer(server),
  };
}

/** The public key in the CSR of a finalize request (a flattened JWS whose payload is `{csr}`). */
function csrKeyOf(jws: Buffer): x509.PublicKey | undefined {
  try {
    const { payload } = JSON.parse(jws.toString()) as { payload: string };
    const { csr } = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { csr: string };
    return new x509.Pkcs10CertificateRequest(Buffer.from(csr, 'base64url')).publicKey;
  } catch {
    return undefined;
  }
}

/** A well-formed chain with the CSR's key, for a name nobody asked for. */
async function otherNamesChain(authority: CertificateAuthority, publicKey: x509.PublicKey): Promise<string> {
  const now = Date.now();
  const leaf = await x509.X509CertificateGenerator.create({
    serialNumber: '0badc0de',
    subject: 'CN=other.example.test',
    issuer: authority.cert.subject,
    publicKey,
    signingKey: authority.keys.privateKey,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + 30 * 86400_000),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'other.example.test' }]),
    ],
  });
  return `${leaf.toString('pem')}\n${authority.certPem}`;
}

function closeServer(server: Server): void {
  server.closeAllConnections();
  server.close();
}
