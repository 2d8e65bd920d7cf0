// Reading the end state after the faults: which Certificates are Ready with a Secret that serves
// their names, what is left in DNS and of the solvers, how many orders pebble created for each
// Certificate (asked of pebble itself), and fingerprints of the ACME account keys.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AcmeClientAdapter } from '../../src/acme/index.ts';
import { keyMatchesCertificate, readCertificate } from '../../src/acme/certificate-info.ts';
import { verifyChain } from '../../src/acme/chain.ts';
import type { IijDoEmulator } from '../emulators/iij-do/server.ts';
import type { IijDpfEmulator } from '../emulators/iij-dpf/server.ts';
import { digTxt } from '../testbed/dns-dig.ts';
import type { TestbedDnsInfo } from '../testbed/dns.ts';
import type { KubeRest } from '../testbed/kube-rest.ts';
import { CLUSTER_NAMESPACE, NAMESPACE, type SoakCertificate, type SolverKind } from './fixtures.ts';

interface Condition {
  type: string;
  status: string;
}
interface CertificateObject {
  metadata: { name: string };
  status?: { conditions?: Condition[]; revision?: number };
}
interface SecretObject {
  data?: Record<string, string>;
}

const decode = (value: string | undefined): string => Buffer.from(value ?? '', 'base64').toString('utf8');

/** Certificates by name as the apiserver has them now. */
export async function listCertificates(admin: KubeRest): Promise<Map<string, CertificateObject>> {
  const list = await admin.send<{ items: CertificateObject[] }>(
    'GET',
    `/apis/acme6.io/v1alpha1/namespaces/${NAMESPACE}/certificates`,
  );
  return new Map(list.items.map((c) => [c.metadata.name, c]));
}

export const isReady = (c: CertificateObject | undefined): boolean =>
  c?.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;

/** Whether the Secret holds a chain to `rootPem` for exactly `dnsNames` and the key that matches it. */
export async function secretServes(admin: KubeRest, c: SoakCertificate, rootPem: string): Promise<boolean> {
  try {
    const secret = await admin.send<SecretObject>(
      'GET',
      `/api/v1/namespaces/${NAMESPACE}/secrets/${c.name}-tls`,
    );
    const chain = decode(secret.data?.['tls.crt']);
    const key = decode(secret.data?.['tls.key']);
    const names = [...readCertificate(chain).dnsNames].sort();
    return (
      names.join(',') === [...c.dnsNames].sort().join(',') &&
      keyMatchesCertificate(key, chain) &&
      verifyChain(chain, rootPem, new Date()).valid
    );
  } catch {
    return false;
  }
}

/** Names of the Certificates that are Ready and whose Secret serves them. */
export async function readyAndServing(
  admin: KubeRest,
  certs: SoakCertificate[],
  rootPem: string,
): Promise<string[]> {
  const listed = await listCertificates(admin);
  const ready: string[] = [];
  for (const c of certs) {
    if (isReady(listed.get(c.name)) && (await secretServes(admin, c, rootPem))) ready.push(c.name);
  }
  return ready;
}

/** `_acme-challenge` TXT records left on both BIND servers and in both emulators' zones. */
export async function leftoverTxt(
  dns: TestbedDnsInfo,
  certs: SoakCertificate[],
  dpf: IijDpfEmulator,
  iijDo: IijDoEmulator,
): Promise<string[]> {
  const owners = [
    ...new Set(certs.flatMap((c) => c.dnsNames.map((n) => `_acme-challenge.${n.replace(/^\*\./, '')}`))),
  ];
  const left: string[] = [];
  for (const [label, server] of [
    ['primary', dns.primary],
    ['secondary', dns.secondary],
  ] as const) {
    for (let i = 0; i < owners.length; i += 16) {
      const batch = owners.slice(i, i + 16);
      const answers = await Promise.all(batch.map((o) => digTxt(server, o)));
      batch.forEach((o, j) => {
        if (answers[j]!.length > 0) left.push(`${o} (${label})`);
      });
    }
  }
  for (const zone of dpf.state.zones.values()) {
    for (const [view, records] of [
      ['editing', zone.editing],
      ['published', zone.published],
    ] as const) {
      for (const r of records) if (r.name.startsWith('_acme-challenge')) left.push(`${r.name} (DPF ${view})`);
    }
  }
  for (const [zone, records] of iijDo.state.zones) {
    for (const r of records)
      if (r.Owner.startsWith('_acme-challenge')) left.push(`${r.Owner}.${zone} (DO-API ${r.Status})`);
  }
  return left;
}

/** http-01 solver Pods, Services and Ingresses left anywhere. */
export async function leftoverSolverObjects(admin: KubeRest): Promise<string[]> {
  const selector = `labelSelector=${encodeURIComponent('acme6.io/http01-solver=true')}`;
  const left: string[] = [];
  for (const [kind, path] of [
    ['pod', '/api/v1/pods'],
    ['service', '/api/v1/services'],
    ['ingress', '/apis/networking.k8s.io/v1/ingresses'],
  ] as const) {
    const list = await admin.send<{ items: { metadata: { namespace: string; name: string } }[] }>(
      'GET',
      `${path}?${selector}`,
    );
    for (const o of list.items) left.push(`${kind} ${o.metadata.namespace}/${o.metadata.name}`);
  }
  return left;
}

/** The account key Secrets' keys, hashed: an unchanged hash is an unchanged account. */
export async function accountKeyFingerprints(
  admin: KubeRest,
  kinds: SolverKind[],
): Promise<Map<SolverKind, string>> {
  const prints = new Map<SolverKind, string>();
  for (const kind of kinds) {
    const secret = await admin.send<SecretObject>(
      'GET',
      `/api/v1/namespaces/${CLUSTER_NAMESPACE}/secrets/soak-${kind}-account`,
    );
    prints.set(kind, createHash('sha256').update(decode(secret.data?.['tls.key'])).digest('hex'));
  }
  return prints;
}

/** The account keys (PEM), for reading orders back from pebble. */
export async function accountKeys(admin: KubeRest, kinds: SolverKind[]): Promise<string[]> {
  const keys: string[] = [];
  for (const kind of kinds) {
    const secret = await admin.send<SecretObject>(
      'GET',
      `/api/v1/namespaces/${CLUSTER_NAMESPACE}/secrets/soak-${kind}-account`,
    );
    keys.push(decode(secret.data?.['tls.key']));
  }
  return keys;
}

/**
 * Ids of the orders pebble created, by the sorted names they were for: the order ids come from pebble's log
 * ("Added order"), each order is then read back from pebble with the account that owns it.
 */
export async function ordersByNames(
  pebbleLog: string,
  directoryUrl: string,
  caBundlePem: string,
  accountKeyPems: string[],
): Promise<Map<string, string[]>> {
  const ids = [...readFileSync(pebbleLog, 'utf8').matchAll(/Added order "([^"]+)"/g)].map((m) => m[1]!);
  const origin = new URL(directoryUrl).origin;
  const clients = accountKeyPems.map(
    (accountKeyPem) => new AcmeClientAdapter({ directoryUrl, accountKeyPem, caBundlePem }),
  );
  const byNames = new Map<string, string[]>();
  try {
    for (const client of clients) await client.findAccount();
    for (let i = 0; i < ids.length; i += 8) {
      await Promise.all(
        ids.slice(i, i + 8).map(async (id) => {
          const key = await readOrderNames(clients, `${origin}/my-order/${id}`);
          byNames.set(key, [...(byNames.get(key) ?? []), id]);
        }),
      );
    }
  } finally {
    for (const client of clients) client.close();
  }
  return byNames;
}

/** The order's names, asked with each account until the owner answers. */
async function readOrderNames(clients: AcmeClientAdapter[], url: string): Promise<string> {
  for (const client of clients) {
    try {
      const order = await client.getOrder(url);
      return order.identifiers
        .map((i) => i.value)
        .sort()
        .join(',');
    } catch {
      // Not this account's order (or a rejected nonce beyond the retries): try the next.
    }
  }
  return `(unreadable order ${url})`;
}

export const namesKey = (c: SoakCertificate): string => [...c.dnsNames].sort().join(',');
