// The gateway-shim end to end: an annotated Gateway of class traefik with two HTTPS listeners gets
// one Ready Certificate per Secret (dns-01 from pebble), Traefik then serves those certificates on
// its HTTPS entrypoint by SNI, and a listener removed prunes its Certificate.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManagedProcess } from '../testbed/process.ts';
import { apply, dns01Issuer, tlsSecret } from './certificate-dns01.ts';
import { startController } from './controller-process.ts';
import { createTestNamespace, eventsOf, kubectl, testbed } from './kube.ts';

let ns: string;
let controller: ManagedProcess;

beforeAll(async () => {
  ns = await createTestNamespace('gateway');
  controller = await startController();
  await apply(ns, ...dns01Issuer('dns'));
  await kubectl('wait', '--for=condition=Ready', 'issuer/dns', '-n', ns, '--timeout=60s');
});
afterAll(async () => {
  await controller?.stop();
});

/** An HTTPS listener on Traefik's HTTPS entrypoint for `hostname`, its certificate in Secret `secret`. */
function httpsListener(name: string, hostname: string, secret: string): object {
  return {
    name,
    hostname,
    protocol: 'HTTPS',
    port: testbed().ingress!.httpsPort,
    tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: secret }] },
  };
}

function gateway(name: string, annotations: Record<string, string>, listeners: object[]): object {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, annotations },
    spec: { gatewayClassName: testbed().ingress!.gateway!.className, listeners },
  };
}

async function certificateExists(name: string): Promise<boolean> {
  const out = await kubectl('get', 'certificates.acme6.io', '-n', ns, '-o', 'name');
  return out.split('\n').includes(`certificate.acme6.io/${name}`);
}

/** The leaf certificate Traefik presents for `servername`, verified against pebble's root. */
function servedCertificate(servername: string): Promise<X509Certificate> {
  const tb = testbed();
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port: tb.ingress!.httpsPort,
      servername,
      ca: readFileSync(tb.pebble!.issuerRootFile),
    });
    socket.setTimeout(5000, () => socket.destroy(new Error('TLS handshake timed out')));
    socket.once('secureConnect', () => {
      const peer = socket.getPeerX509Certificate();
      socket.end();
      if (peer) resolve(peer);
      else reject(new Error('no peer certificate'));
    });
    socket.once('error', reject);
  });
}

/** Whether Traefik serves exactly the Secret's leaf for `servername` (with a chain that verifies). */
async function serves(servername: string, secret: string): Promise<boolean> {
  const { chain } = await tlsSecret(ns, secret);
  const served = await servedCertificate(servername).catch(() => undefined);
  return served !== undefined && served.raw.equals(new X509Certificate(chain).raw);
}

describe('gateway-shim against the testbed', () => {
  it('gives an annotated Gateway with two HTTPS listeners Ready Certificates that Traefik serves, and prunes a removed listener', async () => {
    const a = `a-${ns}.example.test`;
    const b = `b-${ns}.example.test`;
    const listeners = [httpsListener('a', a, 'a-tls'), httpsListener('b', b, 'b-tls')];
    await apply(ns, gateway('shop', { 'acme6.io/issuer': 'dns' }, listeners));
    for (const name of ['a-tls', 'b-tls']) {
      await kubectl('wait', '--for=create', `certificate.acme6.io/${name}`, '-n', ns, '--timeout=60s');
    }
    for (const name of ['a-tls', 'b-tls']) {
      await kubectl(
        'wait',
        '--for=condition=Ready',
        `certificate.acme6.io/${name}`,
        '-n',
        ns,
        '--timeout=120s',
      );
    }
    const uid = await kubectl('get', 'gateway', 'shop', '-n', ns, '-o', 'jsonpath={.metadata.uid}');
    const owner = await kubectl(
      'get',
      'certificate.acme6.io',
      'a-tls',
      '-n',
      ns,
      '-o',
      'jsonpath={.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}/{.metadata.ownerReferences[0].uid}',
    );
    expect(owner).toBe(`Gateway/shop/${uid}`);
    for (const [host, secret] of [
      [a, 'a-tls'],
      [b, 'b-tls'],
    ] as const) {
      const tls = await tlsSecret(ns, secret);
      expect(tls.chainVerdict).toEqual({ valid: true });
      expect(tls.leaf.dnsNames).toEqual([host]);
      // Traefik picks the Secret up from the listener: the TLS client gets exactly this certificate.
      await expect.poll(() => serves(host, secret), { timeout: 60_000, interval: 1000 }).toBe(true);
    }
    const created = await eventsOf(ns, 'shop', { kind: 'Gateway', reason: 'CreateCertificate' });
    expect(created.map((e) => e.message).sort()).toEqual([
      `Created Certificate a-tls for ${a}`,
      `Created Certificate b-tls for ${b}`,
    ]);

    await apply(ns, gateway('shop', { 'acme6.io/issuer': 'dns' }, [listeners[0]!]));
    await expect.poll(() => certificateExists('b-tls'), { timeout: 30_000 }).toBe(false);
    expect(await certificateExists('a-tls')).toBe(true);
    const deleted = await eventsOf(ns, 'shop', { kind: 'Gateway', reason: 'DeleteCertificate' });
    expect(deleted.map((e) => e.message)).toEqual([
      'Deleted Certificate b-tls: no listener of the Gateway names its Secret any more',
    ]);
  });

  it('warns on the Gateway about a listener without hostname and a certificateRef to another namespace', async () => {
    const port = testbed().ingress!.httpsPort;
    await apply(
      ns,
      gateway('odd', { 'acme6.io/issuer': 'dns' }, [
        { name: 'nohost', protocol: 'HTTPS', port, tls: { certificateRefs: [{ name: 'nohost-tls' }] } },
        {
          name: 'elsewhere',
          hostname: `e-${ns}.example.test`,
          protocol: 'HTTPS',
          port,
          tls: { certificateRefs: [{ name: 'e-tls', namespace: 'default' }] },
        },
      ]),
    );
    await expect
      .poll(
        async () =>
          (await eventsOf(ns, 'odd', { kind: 'Gateway', reason: 'BadConfig' })).map((e) => e.message).sort(),
        {
          timeout: 30_000,
        },
      )
      .toEqual([
        "listener elsewhere: certificateRef Secret default/e-tls is not a Secret in the Gateway's namespace " +
          `${ns}: acme6 only writes Secrets there, so it was skipped`,
        'listener nohost has no hostname: a certificate needs one, so it was skipped (set spec.listeners[].hostname to the name to certify)',
      ]);
    expect(await certificateExists('nohost-tls')).toBe(false);
    expect(await certificateExists('e-tls')).toBe(false);
  });
});
