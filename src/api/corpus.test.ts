// Runs the shared API corpus through the zod schemas: what the CRDs accept, zod accepts; what they
// reject, zod rejects at the same field. The integration suite runs the same files against a real apiserver.
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fieldMatches, loadCorpus } from '../../test/fixtures/api-corpus/corpus.ts';
import { RESOURCES } from './group.ts';
import { validateObject } from './schemas.ts';

const corpus = loadCorpus();

describe('api corpus', () => {
  it('is big enough and has unique names', () => {
    expect(corpus.filter((e) => e.valid).length).toBeGreaterThanOrEqual(8);
    expect(corpus.filter((e) => !e.valid).length).toBeGreaterThanOrEqual(20);
    const names = corpus.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    for (const entry of corpus) {
      expect(Object.keys(RESOURCES), entry.file).toContain(entry.kind);
      expect(entry.object.metadata, entry.file).not.toHaveProperty('namespace');
      expect(entry.object, entry.file).not.toHaveProperty('status');
      expect(entry.name, entry.file).toBe(basename(entry.file, '.yaml'));
    }
  });

  it.each(corpus.filter((e) => e.valid).map((e) => [e.file, e] as const))('accepts %s', (_file, entry) => {
    const result = validateObject(entry.object);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it.each(corpus.filter((e) => !e.valid).map((e) => [e.file, e] as const))('rejects %s', (_file, entry) => {
    const result = validateObject(entry.object);
    expect(result.ok).toBe(false);
    const fields = result.ok ? [] : result.errors.map((e) => e.field);
    expect(
      fields.some((f) => fieldMatches(f, entry.field ?? '')),
      `errors at ${fields.join(', ')}`,
    ).toBe(true);
  });
});
