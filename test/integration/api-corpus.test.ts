// The same corpus of valid and invalid objects goes to the real kube-apiserver (with crds/ installed)
// and to the zod schemas in src/api: both must accept the valid ones (with the same defaults) and
// reject the invalid ones at the field the corpus names.
import * as k8s from '@kubernetes/client-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { GROUP, RESOURCES, VERSION, validateObject, type Kind } from '../../src/api/index.ts';
import { fieldMatches, loadCorpus, type CorpusEntry } from '../fixtures/api-corpus/corpus.ts';
import { adminKubeConfig, createTestNamespace } from './kube.ts';

interface Status {
  code: number;
  message: string;
  causes: { field?: string; message?: string }[];
}

const corpus = loadCorpus();
let namespace: string;
let api: k8s.CustomObjectsApi;

beforeAll(async () => {
  namespace = await createTestNamespace('corpus');
  api = adminKubeConfig().makeApiClient(k8s.CustomObjectsApi);
});

/** Creates the object with server-side dry run and strict field validation, as kubectl apply would. */
async function submit(
  entry: CorpusEntry,
): Promise<{ created: Record<string, unknown> } | { rejected: Status }> {
  const info = RESOURCES[entry.kind as Kind];
  const common = { group: GROUP, version: VERSION, plural: info.plural, body: entry.object };
  const options = { dryRun: 'All', fieldValidation: 'Strict' };
  try {
    const created = (
      info.namespaced
        ? await api.createNamespacedCustomObject({ ...common, namespace, ...options })
        : await api.createClusterCustomObject({ ...common, ...options })
    ) as Record<string, unknown>;
    return { created };
  } catch (err) {
    if (!(err instanceof k8s.ApiException)) throw err;
    const body = (typeof err.body === 'string' ? JSON.parse(err.body) : err.body) as {
      message: string;
      details?: { causes?: Status['causes'] };
    };
    return { rejected: { code: err.code, message: body.message, causes: body.details?.causes ?? [] } };
  }
}

describe('API corpus: the real apiserver and zod agree', () => {
  it('has enough cases', () => {
    const invalid = corpus.filter((e) => !e.valid);
    expect(invalid.length).toBeGreaterThanOrEqual(15);
    expect(new Set(invalid.map((e) => e.kind))).toEqual(new Set(['Certificate', 'Issuer', 'ClusterIssuer']));
    expect(corpus.filter((e) => e.valid).length).toBeGreaterThanOrEqual(8);
  });

  it.each(corpus.filter((e) => e.valid).map((e) => [e.file, e] as const))(
    'accepts %s',
    async (_file, entry) => {
      const result = await submit(entry);
      expect(result, JSON.stringify(result)).toHaveProperty('created');
      const zod = validateObject(entry.object);
      expect(zod.ok, JSON.stringify(zod)).toBe(true);
      // Same defaults on both sides: the stored spec equals zod's parsed spec.
      const created = (result as { created: { spec: unknown } }).created;
      expect((zod as { value: { spec: unknown } }).value.spec).toEqual(created.spec);
    },
  );

  it.each(corpus.filter((e) => !e.valid).map((e) => [e.file, e] as const))(
    'rejects %s',
    async (_file, entry) => {
      const field = entry.field!;
      const result = await submit(entry);
      expect(result, JSON.stringify(result)).toHaveProperty('rejected');
      const rejected = (result as { rejected: Status }).rejected;
      if (rejected.code === 400) {
        // Strict decoding: unknown fields, such as a credential put inline instead of a Secret reference.
        expect(rejected.message).toContain(`unknown field "${field}"`);
      } else {
        expect(rejected.code).toBe(422);
        const fields = rejected.causes.flatMap((c) => (c.field ? [c.field] : []));
        expect(
          fields.some((f) => fieldMatches(f, field)),
          `${field} not in ${JSON.stringify(fields)}`,
        ).toBe(true);
        expect(rejected.message).toContain(field);
      }
      const zod = validateObject(entry.object);
      expect(zod.ok).toBe(false);
      const zodFields = zod.ok ? [] : zod.errors.map((e) => e.field);
      expect(
        zodFields.some((f) => fieldMatches(f, field)),
        `${field} not in ${JSON.stringify(zodFields)}`,
      ).toBe(true);
    },
  );
});
