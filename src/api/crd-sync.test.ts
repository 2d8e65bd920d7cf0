// Keeps crds/*.yaml and the zod schemas in step: same fields, required lists, enums, scalar defaults,
// limits and patterns; every CEL rule's regex and message shared through patterns.ts; names and scope
// as group.ts says; a description on every field; Issuer and ClusterIssuer with one schema.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { certificateSpec, certificateStatus } from './certificate.ts';
import { CATEGORY, GROUP, RESOURCES, VERSION, type Kind } from './group.ts';
import { issuerSpec, issuerStatus } from './issuer.ts';
import { MESSAGE, PATTERN } from './patterns.ts';

interface Schema {
  type?: string;
  description?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema | boolean;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  anyOf?: Schema[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-validations'?: { rule: string; message: string; fieldPath?: string }[];
}

interface Crd {
  metadata: { name: string };
  spec: {
    group: string;
    scope: string;
    names: { kind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    versions: { name: string; additionalPrinterColumns: unknown[]; schema: { openAPIV3Schema: Schema } }[];
  };
}

const FILES: Record<Kind, string> = {
  Certificate: 'crds/acme6.io_certificates.yaml',
  Issuer: 'crds/acme6.io_issuers.yaml',
  ClusterIssuer: 'crds/acme6.io_clusterissuers.yaml',
};
const crds = Object.fromEntries(
  Object.entries(FILES).map(([kind, file]) => [
    kind,
    parse(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8')) as Crd,
  ]),
) as Record<Kind, Crd>;
const root = (kind: Kind): Schema => crds[kind].spec.versions[0]!.schema.openAPIV3Schema;
const props = (schema: Schema): Record<string, Schema> => schema.properties ?? {};

/** Calls visit on every schema node below `schema`, with its apiserver-style path. */
function walk(schema: Schema, path: string, visit: (node: Schema, path: string) => void): void {
  visit(schema, path);
  for (const [name, child] of Object.entries(props(schema)))
    walk(child, path ? `${path}.${name}` : name, visit);
  if (schema.items) walk(schema.items, `${path}[*]`, visit);
  if (typeof schema.additionalProperties === 'object') walk(schema.additionalProperties, `${path}.*`, visit);
}

const allNodes = Object.values(crds).flatMap((crd) => {
  const nodes: { node: Schema; path: string }[] = [];
  walk(crd.spec.versions[0]!.schema.openAPIV3Schema, '', (node, path) => nodes.push({ node, path }));
  return nodes;
});
const allRules = allNodes.flatMap(({ node }) => node['x-kubernetes-validations'] ?? []);
const allPatterns = new Set(allNodes.map(({ node }) => node.pattern).filter((p) => p !== undefined));

// Bounds zod's toJSONSchema adds for z.int32() and z.int() that the CRDs express as a format instead.
const IMPLICIT_BOUNDS = new Set([-2147483648, 2147483647, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]);
// OpenAPI formats the apiserver checks itself; zod spells them as patterns.
const FORMATS_AS_PATTERNS = new Set(['date-time', 'byte']);
const COMPARED = ['enum', 'minimum', 'maximum', 'minItems', 'maxItems', 'pattern'] as const;

/** Lists differences between a CRD schema and zod's JSON Schema of the same field. */
function diff(crd: Schema, zod: Schema, path: string, out: string[]): void {
  if (crd['x-kubernetes-int-or-string']) return; // zod: a union of int and string
  if (crd.type !== zod.type) out.push(`${path}: type ${crd.type} vs zod ${zod.type}`);
  if (crd.format === 'date-time' && zod.format !== 'date-time')
    out.push(`${path}: date-time only in the CRD`);
  for (const key of COMPARED) {
    let zodValue = zod[key];
    if ((key === 'minimum' || key === 'maximum') && IMPLICIT_BOUNDS.has(zodValue as number))
      zodValue = undefined;
    if (key === 'pattern' && FORMATS_AS_PATTERNS.has(crd.format ?? '')) zodValue = undefined;
    // RegExp.source escapes '/', which the pattern strings do not.
    if (key === 'pattern' && typeof zodValue === 'string') zodValue = zodValue.replaceAll('\\/', '/');
    if ((key === 'minItems' || key === 'minimum') && zodValue === 0 && crd[key] === undefined)
      zodValue = undefined;
    if (JSON.stringify(crd[key]) !== JSON.stringify(zodValue)) {
      out.push(`${path}: ${key} ${JSON.stringify(crd[key])} vs zod ${JSON.stringify(zodValue)}`);
    }
  }
  // zod's own maxLength only shows for plain .max(); a CRD maxLength must then agree.
  if (zod.maxLength !== undefined && zod.maxLength !== crd.maxLength) {
    out.push(`${path}: maxLength ${crd.maxLength} vs zod ${zod.maxLength}`);
  }
  if (typeof crd.default !== 'object' && JSON.stringify(crd.default) !== JSON.stringify(zod.default)) {
    out.push(`${path}: default ${JSON.stringify(crd.default)} vs zod ${JSON.stringify(zod.default)}`);
  }
  if (crd.type === 'object') {
    const crdProps = Object.keys(props(crd)).sort();
    const zodProps = Object.keys(props(zod)).sort();
    if (crdProps.join() !== zodProps.join())
      out.push(`${path}: fields ${crdProps.join()} vs zod ${zodProps.join()}`);
    const crdRequired = [...(crd.required ?? [])].sort().join();
    const zodRequired = [...(zod.required ?? [])].sort().join();
    if (crdRequired !== zodRequired) out.push(`${path}: required ${crdRequired} vs zod ${zodRequired}`);
    for (const name of crdProps) {
      const zodChild = props(zod)[name];
      if (zodChild) diff(props(crd)[name]!, zodChild, `${path}.${name}`, out);
    }
    const crdMap = crd.additionalProperties;
    const zodMap = zod.additionalProperties;
    if (typeof crdMap === 'object') {
      if (typeof zodMap === 'object') diff(crdMap, zodMap, `${path}.*`, out);
      else out.push(`${path}: a map in the CRD, not in zod`);
    } else if (crd['x-kubernetes-preserve-unknown-fields']) {
      // Free-form (a webhook's config): zod must take any keys too.
      if (typeof zodMap !== 'object') out.push(`${path}: free-form in the CRD, not in zod`);
    } else if (typeof zodMap === 'object') {
      out.push(`${path}: a map in zod, not in the CRD`);
    }
  }
  if (crd.items && zod.items) diff(crd.items, zod.items, `${path}[*]`, out);
}

const jsonSchema = (schema: z.ZodType): Schema =>
  z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Schema;

describe('CRDs', () => {
  it.each(Object.keys(FILES) as Kind[])('%s has the names, scope and version group.ts declares', (kind) => {
    const crd = crds[kind];
    const info = RESOURCES[kind];
    expect(crd.metadata.name).toBe(`${info.plural}.${GROUP}`);
    expect(crd.spec.group).toBe(GROUP);
    expect(crd.spec.scope).toBe(info.namespaced ? 'Namespaced' : 'Cluster');
    expect(crd.spec.names).toMatchObject({
      kind,
      plural: info.plural,
      singular: info.singular,
      shortNames: info.shortNames,
      categories: [CATEGORY],
    });
    expect(crd.spec.versions.map((v) => v.name)).toEqual([VERSION]);
  });

  it('describes every field (kubectl explain), except the implicit root metadata', () => {
    const missing = Object.entries(crds).flatMap(([kind, crd]) => {
      const out: string[] = [];
      walk(crd.spec.versions[0]!.schema.openAPIV3Schema, '', (node, path) => {
        if (path !== 'metadata' && !node.description?.trim()) out.push(`${kind}: ${path || '(root)'}`);
      });
      return out;
    });
    expect(missing).toEqual([]);
  });

  it('gives Issuer and ClusterIssuer the same spec, status and printer columns', () => {
    expect(props(root('ClusterIssuer'))).toEqual(props(root('Issuer')));
    expect(crds.ClusterIssuer.spec.versions[0]!.additionalPrinterColumns).toEqual(
      crds.Issuer.spec.versions[0]!.additionalPrinterColumns,
    );
  });

  it('uses every shared pattern, verbatim, as an OpenAPI pattern or in a CEL rule', () => {
    const unused = Object.entries(PATTERN).filter(
      ([, pattern]) => !allPatterns.has(pattern) && !allRules.some((r) => r.rule.includes(`r'${pattern}'`)),
    );
    expect(unused.map(([name]) => name)).toEqual([]);
  });

  it('writes CEL regexes only as raw strings of shared patterns', () => {
    const known = new Set<string>(Object.values(PATTERN));
    const regexes = allRules.flatMap((r) => [...r.rule.matchAll(/matches\(r'([^']*)'\)/g)].map((m) => m[1]!));
    expect(regexes.length).toBeGreaterThan(0);
    expect(regexes.filter((re) => !known.has(re))).toEqual([]);
    expect(allRules.filter((r) => r.rule.includes('matches(') && !r.rule.includes("matches(r'"))).toEqual([]);
  });

  it('uses exactly the shared messages for its CEL rules', () => {
    const messages = new Set<string>(Object.values(MESSAGE));
    expect(allRules.map((r) => r.message).filter((m) => !messages.has(m))).toEqual([]);
    const used = new Set(allRules.map((r) => r.message));
    expect(Object.entries(MESSAGE).filter(([, m]) => !used.has(m))).toEqual([]);
  });

  it.each([
    ['Certificate', 'spec', certificateSpec],
    ['Certificate', 'status', certificateStatus],
    ['Issuer', 'spec', issuerSpec],
    ['Issuer', 'status', issuerStatus],
  ] as const)('%s %s has the same fields, enums, defaults and limits as zod', (kind, part, schema) => {
    const out: string[] = [];
    diff(props(root(kind))[part]!, jsonSchema(schema), part, out);
    expect(out).toEqual([]);
  });
});
