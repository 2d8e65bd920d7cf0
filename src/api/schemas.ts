// One entry point that validates any acme6 object by its kind, returning apiserver-style field errors.
import type { z } from 'zod';
import { certificate } from './certificate.ts';
import { formatFieldPath } from './field-path.ts';
import { Kind } from './group.ts';
import { clusterIssuer, issuer } from './issuer.ts';

/** The zod schema of each kind. */
export const SCHEMAS = {
  [Kind.Certificate]: certificate,
  [Kind.Issuer]: issuer,
  [Kind.ClusterIssuer]: clusterIssuer,
} as const;

/** One validation error: the field in apiserver notation and what is wrong with it. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

/** Result of validateObject: the defaulted object, or the errors. */
export type ValidationResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

/**
 * Turns zod issues into apiserver-style field errors. An unknown key becomes one error naming the key
 * itself, as the apiserver's strict field validation does (`unknown field "spec.commonName"`).
 */
export function toFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: formatFieldPath([...issue.path, key]), message: 'unknown field' }))
      : [{ field: formatFieldPath(issue.path), message: issue.message }],
  );
}

/** Validates an object of any acme6 kind (chosen by its `kind`) as the apiserver would, with defaults applied. */
export function validateObject(object: unknown): ValidationResult<z.output<(typeof SCHEMAS)[Kind]>> {
  const kind = (object as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !Object.hasOwn(SCHEMAS, kind)) {
    return {
      ok: false,
      errors: [{ field: 'kind', message: `must be one of ${Object.keys(SCHEMAS).join(', ')}` }],
    };
  }
  const result = SCHEMAS[kind as Kind].safeParse(object);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, errors: toFieldErrors(result.error) };
}
