// Labels and annotations that users ask acme6 to put on objects it creates (certificate Secrets,
// solver pods, solver Ingresses). Keys under acme6.io/ are reserved: acme6 selects and identifies its
// objects by them, and a user-set value would silently break that.
import { z } from 'zod';
import { RESERVED_PREFIX } from './group.ts';
import { MESSAGE, PATTERN } from './patterns.ts';
import { celIssue, patterned, stringMap } from './validation.ts';

/** Most labels or annotations one template may carry (bounds the CEL rule's cost). */
export const MAX_TEMPLATE_KEYS = 64;

/** True if a label or annotation key is reserved for acme6 itself. */
export function isReservedKey(key: string): boolean {
  return key.startsWith(RESERVED_PREFIX);
}

function withoutReservedKeys<T extends z.ZodType<string>>(value: T) {
  return stringMap(value, MAX_TEMPLATE_KEYS).superRefine((map, ctx) => {
    if (Object.keys(map).some(isReservedKey)) celIssue(ctx, MESSAGE.reservedKeys);
  });
}

/** Labels for a created object: label values (≤63, label syntax), no acme6.io/ keys. */
export const templateLabels = withoutReservedKeys(patterned(PATTERN.labelValue, 63));
/** Annotations for a created object: any string values, no acme6.io/ keys. */
export const templateAnnotations = withoutReservedKeys(z.string());

/** `{labels, annotations}` to add to an object acme6 creates. */
export const templateMetadata = z.strictObject({
  labels: templateLabels.optional(),
  annotations: templateAnnotations.optional(),
});
export type TemplateMetadata = z.output<typeof templateMetadata>;

/** Object metadata: only what acme6 reads is typed; the apiserver validates the rest. */
export const objectMeta = z.looseObject({
  name: z.string().optional(),
  generateName: z.string().optional(),
  namespace: z.string().optional(),
  uid: z.string().optional(),
  generation: z.int().optional(),
  resourceVersion: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  finalizers: z.array(z.string()).optional(),
  deletionTimestamp: z.string().optional(),
});
export type ObjectMeta = z.output<typeof objectMeta>;
