// Hostile DNS answers against one running controller: a DNS server that never answers, answers
// garbage, answers after the client gave up or cuts its answer short (as the RFC 2136 server and as
// the propagation-check nameserver), and IIJ DPF and DO-API endpoints that answer malformed JSON,
// wrong types, jobs that never finish, endless pages, oversized bodies, or quote the API token
// back. Each case is reported on its Certificate (Issuing reason and a Warning Event), the baseline
// certificate's Secret is unchanged and still serves, and the controller keeps its pid and issues a
// Certificate created as the cases started. The hostile servers live in this test (hostile-servers.ts).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority, type CertificateAuthority } from '../testbed/pki.ts';
import { apply, certificate, dns01Issuer, testbedAcme } from './certificate-dns01.ts';
import {
  expectNothingLost,
  expectReported,
  expectWorkWentOn,
  runBatch,
  startHarness,
  type Harness,
  type Report,
} from './hostile-harness.ts';
import {
  startHostileDns,
  startHostileHttps,
  type Closable,
  type DnsMischief,
  type HttpsAnswer,
  type SeenRequest,
} from './hostile-servers.ts';
import { eventsOf, kubectl, testbed } from './kube.ts';

let h: Harness;
let authority: CertificateAuthority;
const closers: Closable[] = [];

beforeAll(async () => {
  // The hostile HTTPS servers' CA, trusted by the controller the way a private CA would be.
  authority = await createCertificateAuthority('acme6 hostile DNS API CA');
  const caFile = join(testbed().dir, `hostile-dns-ca-${Date.now()}.pem`);
  writeFileSync(caFile, authority.certPem);
  h = await startHarness('hostile-dns', { NODE_EXTRA_CA_CERTS: caFile });
}, 240_000);

afterAll(async () => {
  await h?.controller.stop();
  for (const server of closers) server.close();
});

/** The Certificate's status and its Events' messages, as one text. */
async function whatWasSaid(name: string): Promise<string> {
  const status = await kubectl('get', 'certificate', name, '-n', h.ns, '-o', 'jsonpath={.status}');
  const events = (await eventsOf(h.ns, name)).map((e) => e.message ?? '');
  return [status, ...events].join('\n');
}

type IssuerSpec = {
  metadata: { name: string };
  spec: { acme: { solvers: { dns01: Record<string, unknown> }[] } };
};

/** Applies `objects` (ending with an Issuer), waits for the Issuer, asks for a certificate from it. */
async function issueThrough(name: string, objects: object[]): Promise<void> {
  await apply(h.ns, ...objects);
  await kubectl('wait', '--for=condition=Ready', `issuer/${name}`, '-n', h.ns, '--timeout=60s');
  await apply(h.ns, certificate(name, name, [`${name}.example.test`]));
}

/** The testbed's RFC 2136 issuer with one part of its dns01 solver replaced. */
function rfc2136Issuer(name: string, change: (dns01: Record<string, unknown>) => void): object[] {
  const [secret, issuer] = dns01Issuer(name) as [object, IssuerSpec];
  change(issuer.spec.acme.solvers[0]!.dns01);
  return [secret, issuer];
}

// The RFC 2136 server itself misbehaves; zone discovery and the propagation check use BIND.
const updateCases: [DnsMischief, RegExp][] = [
  ['silent', /failed over TCP: no answer within 10000 ms/],
  ['garbage', /RFC 2136 update of \S+ at \S+ failed: malformed response/],
  ['late', /failed over TCP: no answer within 10000 ms/],
  ['cut-short', /failed over TCP: connection closed before a response arrived/],
];

it.concurrent(
  `a hostile RFC 2136 server: ${updateCases.length} cases, each reported, nothing lost`,
  () =>
    runBatch(updateCases, async (mischief, message) => {
      const dns = await startHostileDns(mischief);
      closers.push(dns);
      const name = `upd-${mischief}`;
      await issueThrough(
        name,
        rfc2136Issuer(name, (dns01) => {
          (dns01.rfc2136 as { nameserver: string }).nameserver = dns.address;
        }),
      );
      const event = await expectReported(h.ns, name, {
        reason: 'SecretMissing',
        warning: 'Retrying',
        message,
      });
      expect(event).toContain(dns.address);
      await expectNothingLost(h);
    }),
  240_000,
);

// The nameservers asked for zone discovery and the propagation check misbehave.
const checkCases: [DnsMischief, RegExp][] = [
  ['silent', /no nameserver answered \S+ SOA: \S+ over UDP: no answer within/],
  ['garbage', /no nameserver answered \S+ SOA: \S+ over UDP: malformed response/],
  ['late', /no nameserver answered \S+ SOA: \S+ over UDP: no answer within/],
];

it.concurrent(
  `a hostile nameserver for zone discovery and the propagation check: ${checkCases.length} cases, each reported, nothing lost`,
  () =>
    runBatch(checkCases, async (mischief, message) => {
      const dns = await startHostileDns(mischief);
      closers.push(dns);
      const name = `check-${mischief}`;
      await issueThrough(
        name,
        rfc2136Issuer(name, (dns01) => {
          dns01.propagation = { nameservers: [dns.address], interval: '1s', timeout: '20s' };
        }),
      );
      const event = await expectReported(h.ns, name, {
        reason: 'SecretMissing',
        warning: 'Retrying',
        message,
      });
      expect(event).toContain(dns.address);
      await expectNothingLost(h);
    }),
  240_000,
);

const TOKEN = 'tok-hostile-0123456789abcdef0123456789abcdef';
const DPF_SERVICE_CODE = 'dpm12345678';
const ZONE = { id: 'z1', name: 'example.test.', service_code: DPF_SERVICE_CODE };

/** A DPF API that answers the lookups well and leaves the rest to `rest`. */
function dpfLike(rest: (req: SeenRequest) => HttpsAnswer | undefined) {
  return (req: SeenRequest): HttpsAnswer => {
    const own = rest(req);
    if (own) return own;
    if (req.method === 'GET' && req.path.startsWith('/dpf/v1/zones?'))
      return { status: 200, body: JSON.stringify({ results: [ZONE] }) };
    if (req.method === 'GET') return { status: 200, body: JSON.stringify({ results: [] }) };
    if (req.method === 'POST' || req.method === 'PATCH')
      return { status: 202, body: JSON.stringify({ request_id: 'job-forever' }) };
    return { status: 404, body: '{}' };
  };
}

const fullPage = JSON.stringify({
  results: Array.from({ length: 100 }, (_, i) => ({
    id: `z${i}`,
    name: `other${i}.test.`,
    service_code: 'dpm00000000',
  })),
});
const NINE_MB = 9 * 1024 * 1024;

const dpfCases: [string, (req: SeenRequest) => HttpsAnswer | undefined, Report][] = [
  [
    'malformed-json',
    () => ({ status: 200, body: '{"results": [{"id": "z1", "name": ' }),
    { reason: 'SecretMissing', warning: 'Retrying', message: /not JSON/ },
  ],
  [
    'wrong-types',
    () => ({
      status: 200,
      body: JSON.stringify({ results: [{ id: 1, name: ['example.test.'], service_code: null }] }),
    }),
    { reason: 'SecretMissing', warning: 'Retrying', message: /zone id is not a string/ },
  ],
  [
    'endless-job',
    (req) =>
      req.path.startsWith('/dpf/v1/jobs/') ? { status: 200, body: '{"status":"RUNNING"}' } : undefined,
    { reason: 'SecretMissing', warning: 'Retrying', message: /still RUNNING after/ },
  ],
  [
    'endless-pages',
    (req) => (req.path.startsWith('/dpf/v1/zones?') ? { status: 200, body: fullPage } : undefined),
    { reason: 'SecretMissing', warning: 'Retrying', message: /pages/ },
  ],
  [
    'token-echoed',
    (req) => ({
      status: 400,
      body: JSON.stringify({
        error_type: 'ParameterError',
        error_message: `bad request from ${String(req.headers.authorization)}`,
        error_details: [{ code: 'invalid', attribute: 'service_code' }],
      }),
    }),
    { reason: 'Failed', warning: 'Failed', message: /ParameterError/ },
  ],
  [
    'nine-mb',
    () => ({ status: 200, body: Buffer.alloc(NINE_MB, 0x20) }),
    { reason: 'SecretMissing', warning: 'Retrying', message: /larger than/ },
  ],
];

it.concurrent(
  `a hostile IIJ DPF API: ${dpfCases.length} cases, each reported, nothing lost, the token never quoted`,
  () =>
    runBatch(dpfCases, async (label, answer, report) => {
      const api = await startHostileHttps(authority, dpfLike(answer));
      closers.push(api);
      const name = `dpf-${label}`;
      const issuer = {
        apiVersion: 'acme6.io/v1alpha1',
        kind: 'Issuer',
        metadata: { name },
        spec: {
          acme: {
            ...testbedAcme(name),
            solvers: [
              {
                dns01: {
                  iijDpf: {
                    tokenSecretRef: { name: `${name}-token`, key: 'token' },
                    serviceCode: DPF_SERVICE_CODE,
                    endpoint: `${api.origin}/dpf/v1`,
                  },
                  propagation: { nameservers: [testbed().dns!.primary], interval: '1s', timeout: '2m' },
                },
              },
            ],
          },
        },
      };
      const secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${name}-token` },
        stringData: { token: TOKEN },
      };
      await issueThrough(name, [secret, issuer]);
      await expectReported(h.ns, name, report, 240_000);
      expect(await whatWasSaid(name)).not.toContain(TOKEN);
      expect(api.seen.length).toBeGreaterThan(0);
      await expectNothingLost(h);
    }),
  300_000,
);

const DO_SERVICE_CODE = 'do00012345';
const ACCESS_KEY = 'AKhostile0123456789';
const SECRET_KEY = 'SKhostile-secret-0123456789abcdef';

const doCases: [string, HttpsAnswer, Report][] = [
  [
    'malformed-json',
    { status: 200, body: '{"ZoneList": ["example.test"' },
    { reason: 'SecretMissing', warning: 'Retrying', message: /not JSON/ },
  ],
  [
    'wrong-types',
    { status: 200, body: JSON.stringify({ ZoneList: [42] }) },
    { reason: 'SecretMissing', warning: 'Retrying', message: /not a string/ },
  ],
  [
    'html-error-page',
    {
      status: 500,
      contentType: 'text/html',
      body: `<html><body>${'Internal error. '.repeat(2000)}</body></html>`,
    },
    { reason: 'SecretMissing', warning: 'Retrying', message: /HTTP 500/ },
  ],
  [
    'huge-error-message',
    {
      status: 400,
      body: JSON.stringify({
        ErrorResponse: { RequestId: 'r1', ErrorType: 'BadRequest', ErrorMessage: 'x'.repeat(100_000) },
      }),
    },
    { reason: 'Failed', warning: 'Failed', message: /BadRequest/ },
  ],
];

it.concurrent(
  `a hostile IIJ DO-API: ${doCases.length} cases, each reported, nothing lost, the keys never quoted`,
  () =>
    runBatch(doCases, async (label, answer, report) => {
      const api = await startHostileHttps(authority, () => answer);
      closers.push(api);
      const name = `do-${label}`;
      const issuer = {
        apiVersion: 'acme6.io/v1alpha1',
        kind: 'Issuer',
        metadata: { name },
        spec: {
          acme: {
            ...testbedAcme(name),
            solvers: [
              {
                dns01: {
                  iijDo: {
                    accessKeySecretRef: { name: `${name}-keys`, key: 'access' },
                    secretKeySecretRef: { name: `${name}-keys`, key: 'secret' },
                    serviceCode: DO_SERVICE_CODE,
                    endpoint: api.origin,
                  },
                  propagation: { nameservers: [testbed().dns!.primary], interval: '1s', timeout: '2m' },
                },
              },
            ],
          },
        },
      };
      const keys = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: `${name}-keys` },
        stringData: { access: ACCESS_KEY, secret: SECRET_KEY },
      };
      await issueThrough(name, [keys, issuer]);
      await expectReported(h.ns, name, report, 240_000);
      expect(await whatWasSaid(name)).not.toContain(SECRET_KEY);
      expect(api.seen.length).toBeGreaterThan(0);
      await expectNothingLost(h);
    }),
  300_000,
);

describe('afterwards', () => {
  it('the controller kept its pid, issued a Certificate meanwhile, and the baseline still serves', async () => {
    await expectWorkWentOn(h);
  }, 240_000);
});
