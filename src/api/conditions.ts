// Status conditions in the metav1.Condition shape, and the one helper that writes them the way
// controller-runtime's meta.SetStatusCondition does: lastTransitionTime moves only when the status
// flips, observedGeneration always says which spec generation the condition describes.
import { z } from 'zod';
import { boundedText, MAX_MESSAGE } from './bounded-text.ts';
import { PATTERN } from './patterns.ts';
import { boundedString, patterned } from './validation.ts';

/** Condition types acme6 sets (a const object, not an enum: `erasableSyntaxOnly`). */
export const ConditionType = {
  /** The resource does what it is for: a valid certificate is in the Secret, or the ACME account works. */
  Ready: 'Ready',
  /** A Certificate is being (re-)issued; absent or False when no issuance is in flight. */
  Issuing: 'Issuing',
} as const;

/** The three condition statuses. */
export const conditionStatus = z.enum(['True', 'False', 'Unknown']);
export type ConditionStatus = z.output<typeof conditionStatus>;

/** Most conditions one status may hold. */
export const MAX_CONDITIONS = 32;

/** One condition, exactly as metav1.Condition's OpenAPI schema validates it. */
export const condition = z.strictObject({
  type: patterned(PATTERN.conditionType, 316),
  status: conditionStatus,
  observedGeneration: z.int().min(0).optional(),
  lastTransitionTime: z.iso.datetime({ offset: true }),
  reason: patterned(PATTERN.conditionReason, 1024, 1),
  message: boundedString(32768),
});
export type Condition = z.output<typeof condition>;

/** A condition list keyed by type (`x-kubernetes-list-type: map`). */
export const conditionList = z
  .array(condition)
  .max(MAX_CONDITIONS)
  .check((ctx) => {
    const seen = new Set<string>();
    ctx.value.forEach((c, index) => {
      if (seen.has(c.type)) {
        ctx.issues.push({
          code: 'custom',
          message: `Duplicate value: {"type":"${c.type}"}`,
          input: c,
          path: [index],
        });
      }
      seen.add(c.type);
    });
  });

/** What a reconciler decides; setCondition adds the transition time. */
export interface ConditionUpdate {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
  /** metadata.generation of the object the decision was made from. */
  readonly observedGeneration: number;
}

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function formatConditionTime(now: Date): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Finds the condition of the given type. */
export function getCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True if the condition of the given type exists and has status True. */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return getCondition(conditions, type)?.status === 'True';
}

/**
 * Sets one condition, returning a new list: lastTransitionTime is `now` only when the status flips (or
 * the condition is new), otherwise kept. Returns the input list itself when nothing changed, so a
 * caller can skip a status write by comparing references. The message is cut to MAX_MESSAGE
 * characters: it often quotes a CA or a DNS API, and a message the apiserver rejects would lose the
 * whole status write (and with it the backoff).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: Date,
): Condition[] {
  const list = conditions ?? [];
  const index = list.findIndex((c) => c.type === update.type);
  const existing = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: boundedText(update.message, MAX_MESSAGE),
    observedGeneration: update.observedGeneration,
    lastTransitionTime:
      existing && existing.status === update.status ? existing.lastTransitionTime : formatConditionTime(now),
  };
  if (!existing) return [...list, next];
  if (
    existing.reason === next.reason &&
    existing.message === next.message &&
    existing.observedGeneration === next.observedGeneration &&
    existing.status === next.status &&
    conditions
  ) {
    return conditions as Condition[];
  }
  return list.map((c, i) => (i === index ? next : c));
}

/** Removes the condition of the given type, returning a new list (or the input if it was absent). */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  const list = conditions ?? [];
  return list.some((c) => c.type === type) ? list.filter((c) => c.type !== type) : (list as Condition[]);
}
