// Hostile inputs against one running controller: a CA front that spoils one kind of answer per case
// (10 MB body, wrong content type, 100 KB problem detail, malformed chain, a certificate for other
// names, an order stuck in processing), objects the schema refuses (sent for real, not dry-run, while
// the controller runs), objects it lets through but the controller must refuse, and hostile Ingresses.
// Each case is rejected or reported (Issuing reason and a Warning Event, or a BadConfig Event on an
// Ingress) and loses nothing (the baseline certificate's Secret, and for CA cases the case's own
// certificate issued before, is unchanged and still serves); at the end the controller still has its
// pid and issued a Certificate created as the cases started. The DNS side is hostile-dns.test.ts.
import { readFileSync, rmSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { GROUP, RESOURCES, VERSION, type Kind } from '../../src/api/index.ts';
import { fieldMatches, loadCorpus } from '../fixtures/api-corpus/corpus.ts';
import { testbedBinaries } from '../testbed/binaries.ts';
import { startPebble, type Pebble } from '../testbed/pebble.ts';
import { createCertificateAuthority, type CertificateAuthority } from '../testbed/pki.ts';
import { createWorkdir } from '../testbed/workdir.ts';
import { apply, certificate, certStatus, dns01Issuer, tlsSecret } from './certificate-dns01.ts';
import { startHostileFront, type HostileFront, type HostileMode } from './hostile-ca.ts';
import {
  expectNothingLost,
  expectReported,
  expectWorkWentOn,
  MAX_MESSAGE,
  renew,
  runBatch,
  startHarness,
  waitReady,
  WORKING_ISSUER,
  type Harness,
  type Report,
} from './hostile-harness.ts';
import { adminKubeConfig, eventsOf, kubectl, testbed } from './kube.ts';

let h: Harness;
let dir: string;
let pebble: Pebble | undefined;
let authority: CertificateAuthority;
let caBundle: string;
const fronts: HostileFront[] = [];

beforeAll(async () => {
  // A pebble of this file's own, whose listener CA signs the fronts' certificates too.
  dir = createWorkdir();
  authority = await createCertificateAuthority('acme6 hostile inputs CA');
  pebble = await startPebble(testbedBinaries(), dir, authority, { dnsServer: testbed().dns!.primary });
  caBundle = readFileSync(pebble.listenerCaFile).toString('base64');
  h = await startHarness('hostile-in');
}, 240_000);

afterAll(async () => {
  await h?.controller.stop();
  for (const front of fronts) front.close();
  await pebble?.process.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const revision = (name: string) => certStatus(h.ns, name, '{.status.revision}');

// Each CA case: issue through the front while it passes, spoil one kind of answer, renew.
const caCases: [HostileMode, Report][] = [
  ['huge-body', { reason: 'ManuallyTriggered', warning: 'Retrying', message: /exceeds \d+ bytes/ }],
  [
    'wrong-content-type',
    { reason: 'ManuallyTriggered', warning: 'Retrying', message: /invalid answer to the order/ },
  ],
  [
    'huge-detail',
    {
      reason: 'Failed',
      warning: 'Failed',
      message: /badCSR: finalize refused: A+.*\[truncated \d+ characters\]/,
    },
  ],
  [
    'malformed-chain',
    {
      reason: 'ManuallyTriggered',
      warning: 'Retrying',
      message: /returned a certificate chain that cannot be read/,
    },
  ],
  ['other-names', { reason: 'Failed', warning: 'Failed', message: /other\.example\.test/ }],
  ['stuck-processing', { reason: 'Failed', warning: 'Failed', message: /processing/ }],
];

it.concurrent(
  `hostile CA answers: ${caCases.length} cases, each reported, the certificate issued before still serves`,
  () =>
    runBatch(caCases, async (mode, report) => {
      const front = await startHostileFront(authority, pebble!.directoryUrl);
      fronts.push(front);
      const name = `ca-${mode}`;
      const [secret, issuer] = dns01Issuer(name) as [object, { spec: { acme: object } }];
      Object.assign(issuer.spec.acme, { server: front.directoryUrl, caBundle });
      await apply(h.ns, secret, issuer);
      await kubectl('wait', '--for=condition=Ready', `issuer/${name}`, '-n', h.ns, '--timeout=60s');
      await apply(h.ns, certificate(name, name, [`${mode}.hostile-in.example.test`]));
      await waitReady(h.ns, name);
      // Ready comes with the Secret; the issuance's last write (the revision) follows.
      await vi.waitFor(async () => expect(await revision(name)).toBe('1'), { timeout: 60_000 });
      const before = await tlsSecret(h.ns, `${name}-tls`, pebble!.issuerRootFile);
      expect(before.chainVerdict).toEqual({ valid: true });

      front.setMode(mode);
      await renew(h.ns, name);
      await expectReported(h.ns, name, report, 240_000);
      expect(Object.values(front.spoiled).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      const after = await tlsSecret(h.ns, `${name}-tls`, pebble!.issuerRootFile);
      expect(after.chain).toBe(before.chain);
      expect(after.chainVerdict).toEqual({ valid: true });
      expect(after.keyMatches).toBe(true);
      expect(await certStatus(h.ns, name, '{.status.conditions[?(@.type=="Ready")].status}')).toBe('True');
      await expectNothingLost(h);
    }),
  420_000,
);

// The API corpus entries of the classes the hostile-input issue names, created for real (not
// dry-run) in the controller's namespace: each is refused at its field and never reaches it.
const HOSTILE_CORPUS = [
  'cert-dnsname-very-long',
  'cert-dnsname-too-long',
  'cert-dnsname-long-label',
  'cert-dnsname-label-64-deep',
  'cert-secret-name-too-long',
  'cert-dnsname-idn-unicode',
  'cert-dnsname-idn-unicode-wildcard',
  'issuer-selector-dnsname-unicode',
  'cert-dnsname-wildcard-dot',
  'cert-dnsname-wildcard-middle',
  'cert-dnsname-wildcard-only',
  'cert-dnsname-wildcard-partial',
  'cert-dnsname-wildcard-suffix',
  'cert-dnsname-double-wildcard',
  'cert-dnsname-duplicate-wildcard',
  'issuer-selector-zone-wildcard',
  'cert-dnsname-duplicate',
  'cert-dnsnames-101',
  'cert-dnsnames-empty',
  'issuer-no-solvers',
  'issuer-solver-no-type',
  'cert-unknown-field',
  'cert-issuer-ref-unknown-field',
  'issuer-rfc2136-unknown-field',
  'issuer-solver-unknown-field',
  'cert-dnsname-newline',
  'cert-dnsname-nul',
] as const;

it.concurrent(
  `hostile objects the schema refuses: ${HOSTILE_CORPUS.length} cases, each rejected at its field, nothing lost`,
  async () => {
    const corpus = new Map(loadCorpus().map((entry) => [entry.name, entry]));
    const api = adminKubeConfig().makeApiClient(k8s.CustomObjectsApi);
    await runBatch(
      HOSTILE_CORPUS.map((name): [string] => [name]),
      async (name) => {
        const entry = corpus.get(name);
        if (!entry || entry.valid) throw new Error(`${name} is not an invalid corpus entry`);
        const info = RESOURCES[entry.kind as Kind];
        const common = { group: GROUP, version: VERSION, plural: info.plural, body: entry.object };
        const created = info.namespaced
          ? api.createNamespacedCustomObject({ ...common, namespace: h.ns, fieldValidation: 'Strict' })
          : api.createClusterCustomObject({ ...common, fieldValidation: 'Strict' });
        const err = (await created.then(
          () => new Error(`${name} was created`),
          (e: unknown) => e,
        )) as Error;
        if (!(err instanceof k8s.ApiException)) throw err;
        const body = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as {
          message: string;
          details?: { causes?: { field?: string }[] };
        };
        if (err.code === 400) expect(body.message).toContain(`unknown field "${entry.field}"`);
        else {
          expect(err.code).toBe(422);
          const fields = (body.details?.causes ?? []).flatMap((c) => (c.field ? [c.field] : []));
          expect(
            fields.some((f) => fieldMatches(f, entry.field!)),
            `${entry.field} in ${fields.join(', ')}`,
          ).toBe(true);
        }
      },
    );
    await expectNothingLost(h);
  },
  120_000,
);

const longLabel = 'a'.repeat(63);
// 241 characters: a valid name (at most 253), but _acme-challenge.<name> has 257.
const tooLongForChallenge = `${longLabel}.${longLabel}.${longLabel}.${'b'.repeat(25)}.hostile-in.example.test`;

/** Certificates the schema accepts and the controller must refuse, or serve correctly. */
const objectCases: [string, () => Promise<void>][] = [
  [
    'a name too long once _acme-challenge. is prefixed',
    async () => {
      await apply(h.ns, certificate('challenge-too-long', h.issuer, [tooLongForChallenge]));
      await expectReported(h.ns, 'challenge-too-long', {
        reason: 'Failed',
        warning: 'Failed',
        message: /more than a DNS name can have/,
      });
    },
  ],
  [
    'an IDN in its A-label form is issued for exactly that name',
    async () => {
      await apply(h.ns, certificate('idn', h.issuer, ['xn--bcher-kva.hostile-in.example.test']));
      await waitReady(h.ns, 'idn');
      expect((await tlsSecret(h.ns, 'idn-tls')).leaf.dnsNames).toEqual([
        'xn--bcher-kva.hostile-in.example.test',
      ]);
    },
  ],
  [
    'a wildcard no solver of the issuer serves',
    async () => {
      const [secret, issuer] = dns01Issuer('elsewhere') as [
        object,
        { spec: { acme: { solvers: object[] } } },
      ];
      Object.assign(issuer.spec.acme.solvers[0]!, { selector: { dnsZones: ['acme6.test'] } });
      await apply(h.ns, secret, issuer);
      await apply(h.ns, certificate('wild-elsewhere', 'elsewhere', ['*.wild.hostile-in.example.test']));
      await expectReported(h.ns, 'wild-elsewhere', {
        reason: 'NoSolver',
        warning: 'BadConfig',
        message: /\*\.wild/,
      });
    },
  ],
  [
    "a Certificate that names the baseline's Secret",
    async () => {
      await apply(
        h.ns,
        certificate('thief', h.issuer, ['thief.hostile-in.example.test'], { secretName: 'baseline-tls' }),
      );
      await expectReported(h.ns, 'thief', {
        reason: 'DuplicateSecretName',
        warning: 'DuplicateSecretName',
        message: /baseline/,
      });
    },
  ],
];

it.concurrent(
  `hostile objects the schema lets through: ${objectCases.length} cases, each refused or served correctly, nothing lost`,
  () =>
    runBatch(objectCases, async (_label, run) => {
      await run();
      await expectNothingLost(h);
    }),
  300_000,
);

/** An Ingress asking acme6 for certificates, one rule per host. */
function ingress(
  name: string,
  annotations: Record<string, string>,
  hosts: string[],
  secretName: string,
): object {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, annotations: { 'acme6.io/issuer': WORKING_ISSUER, ...annotations } },
    spec: {
      tls: [{ hosts, secretName }],
      rules: hosts.map((host) => ({
        host,
        http: {
          paths: [
            { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } },
          ],
        },
      })),
    },
  };
}

const ingressCases: [string, object, RegExp][] = [
  [
    'ing-101-hosts',
    ingress(
      'ing-101-hosts',
      {},
      Array.from({ length: 101 }, (_, i) => `h${i}.hostile-in.example.test`),
      'ing-101-tls',
    ),
    /^spec\.tls\[0\]\.hosts:/,
  ],
  [
    'ing-huge-annotation',
    ingress(
      'ing-huge-annotation',
      { 'acme6.io/duration': '9'.repeat(100_000) },
      ['huge.hostile-in.example.test'],
      'ing-huge-tls',
    ),
    /^acme6\.io\/duration:/,
  ],
  [
    'ing-control-characters',
    ingress(
      'ing-control-characters',
      { 'acme6.io/issuer': 'plain\n\u0007\u001b[31m' },
      ['ctl.hostile-in.example.test'],
      'ing-ctl-tls',
    ),
    /^acme6\.io\/issuer:/,
  ],
  [
    // Names the baseline Certificate itself (the shim names Certificates after the secretName).
    'ing-takeover',
    ingress('ing-takeover', {}, ['takeover.hostile-in.example.test'], 'baseline'),
    /Certificate baseline exists and is not controlled by this Ingress/,
  ],
];

it.concurrent(
  `hostile Ingresses: ${ingressCases.length + 1} cases, each reported on the Ingress and making no Certificate, nothing lost`,
  async () => {
    await runBatch(ingressCases, async (name, object, where) => {
      await apply(h.ns, object);
      await vi.waitFor(
        async () =>
          expect((await eventsOf(h.ns, name, { kind: 'Ingress', reason: 'BadConfig' })).length).toBe(1),
        { timeout: 60_000, interval: 1000 },
      );
      const [event] = await eventsOf(h.ns, name, { kind: 'Ingress', reason: 'BadConfig' });
      expect(event!.type).toBe('Warning');
      expect(event!.message).toMatch(where);
      expect(event!.message!.length).toBeLessThanOrEqual(MAX_MESSAGE);
      const secretName = (object as { spec: { tls: { secretName: string }[] } }).spec.tls[0]!.secretName;
      const made = await kubectl(
        'get',
        'certificate',
        secretName,
        '-n',
        h.ns,
        '--ignore-not-found',
        '-o',
        'jsonpath={.metadata.ownerReferences}',
      );
      expect(made).not.toContain('Ingress');
    });
    // An Ingress that claims the baseline's Secret: its Certificate is the younger and gets nothing.
    await apply(h.ns, ingress('ing-thief', {}, ['ing-thief.hostile-in.example.test'], 'baseline-tls'));
    await expectReported(h.ns, 'baseline-tls', {
      reason: 'DuplicateSecretName',
      warning: 'DuplicateSecretName',
      message: /baseline/,
    });
    await expectNothingLost(h);
  },
  300_000,
);

it('afterwards: the controller kept its pid, issued a Certificate meanwhile, and the baseline still serves', async () => {
  await expectWorkWentOn(h);
}, 240_000);
