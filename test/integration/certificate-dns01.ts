// Shared set-up for Certificate tests over dns-01: an Issuer for the testbed's pebble whose solver
// updates the testbed's BIND primary with TSIG and checks both authoritative servers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { readCertificate } from '../../src/acme/certificate-info.ts';
import { verifyChain } from '../../src/acme/chain.ts';
import { keyMatchesCertificate } from '../../src/acme/certificate-info.ts';
import { digTxt } from '../testbed/dns-dig.ts';
import { adminKubeConfig, kubectl, testbed } from './kube.ts';

/** Applies objects with kubectl, as a user would. */
export async function apply(namespace: string, ...objects: object[]): Promise<void> {
  const file = join(testbed().dir, `apply-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
  await kubectl('apply', '-n', namespace, '-f', file);
}

/** The ACME part of an issuer spec for the testbed's pebble, its account key in `<name>-account`. */
export function testbedAcme(name: string): object {
  const tb = testbed();
  return {
    server: tb.pebble!.directoryUrl,
    email: 'ops@example.test',
    caBundle: readFileSync(tb.pebble!.listenerCaFile).toString('base64'),
    privateKeySecretRef: { name: `${name}-account` },
  };
}

/** The TSIG Secret and an Issuer named `name` for pebble with an RFC 2136 dns-01 solver. */
export function dns01Issuer(name: string, tsigSecret = testbed().dns!.tsig.secret): object[] {
  const tb = testbed();
  const dns = tb.dns!;
  return [
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${name}-tsig` },
      stringData: { secret: tsigSecret },
    },
    {
      apiVersion: 'acme6.io/v1alpha1',
      kind: 'Issuer',
      metadata: { name },
      spec: {
        acme: {
          ...testbedAcme(name),
          solvers: [
            {
              dns01: {
                rfc2136: {
                  nameserver: dns.primary,
                  tsigKeyName: dns.tsig.keyName,
                  tsigAlgorithm: dns.tsig.algorithm,
                  tsigSecretSecretRef: { name: `${name}-tsig`, key: 'secret' },
                },
                // The testbed's servers listen on loopback ports, not on their NS names' port 53.
                propagation: { nameservers: [dns.primary, dns.secondary], interval: '1s', timeout: '2m' },
              },
            },
          ],
        },
      },
    },
  ];
}

/** A Certificate for `dnsNames` from the Issuer `issuer`. */
export function certificate(name: string, issuer: string, dnsNames: string[], extra: object = {}): object {
  return {
    apiVersion: 'acme6.io/v1alpha1',
    kind: 'Certificate',
    metadata: { name },
    spec: { secretName: `${name}-tls`, dnsNames, issuerRef: { name: issuer }, ...extra },
  };
}

/** Reads the TLS Secret and checks it the way a TLS client would (against `rootFile`, the CA's root). */
export async function tlsSecret(
  namespace: string,
  name: string,
  rootFile = testbed().pebble!.issuerRootFile,
) {
  const secret = await adminKubeConfig()
    .makeApiClient(k8s.CoreV1Api)
    .readNamespacedSecret({ namespace, name });
  const decode = (key: string): string => Buffer.from(secret.data?.[key] ?? '', 'base64').toString();
  const chain = decode('tls.crt');
  const key = decode('tls.key');
  const leaf = readCertificate(chain);
  const roots = readFileSync(rootFile, 'utf8');
  return {
    secret,
    chain,
    leaf,
    chainVerdict: verifyChain(chain, roots, new Date()),
    keyMatches: keyMatchesCertificate(key, chain),
  };
}

/** TXT values left at `_acme-challenge.<domain>` on both authoritative servers. */
export async function challengeRecords(domain: string): Promise<string[]> {
  const dns = testbed().dns!;
  const name = `_acme-challenge.${domain}.`;
  return [...(await digTxt(dns.primary, name)), ...(await digTxt(dns.secondary, name))];
}

/** A jsonpath read of a Certificate's status. */
export function certStatus(namespace: string, name: string, jsonpath: string): Promise<string> {
  return kubectl('get', 'certificate', name, '-n', namespace, '-o', `jsonpath=${jsonpath}`);
}
