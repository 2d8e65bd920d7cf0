// What `kubectl acme6 convert` could not carry over, field by field, and why.

/** One field of a cert-manager object that the acme6 object does not have, or has differently. */
export interface ConversionNote {
  /** The field in the cert-manager object, e.g. `spec.usages` (or `spec` for the whole object). */
  field: string;
  /** What happened to it and why, in a sentence. */
  reason: string;
}

/** Collects the notes of one object. */
export class Notes {
  readonly list: ConversionNote[] = [];

  add(field: string, reason: string): void {
    this.list.push({ field, reason });
  }

  /** Notes every present field of `object` named in `reasons` (field name → reason). */
  dropped(object: Record<string, unknown> | undefined, path: string, reasons: Record<string, string>): void {
    if (!object) return;
    for (const [key, reason] of Object.entries(reasons)) {
      if (object[key] !== undefined) this.add(`${path}.${key}`, reason);
    }
  }

  /** Notes every field of `object` not in `known` (fields cert-manager added that this converter does not know). */
  unknown(object: Record<string, unknown> | undefined, path: string, known: readonly string[]): void {
    if (!object) return;
    for (const key of Object.keys(object)) {
      if (!known.includes(key)) this.add(`${path}.${key}`, 'not known to this converter; not carried over');
    }
  }
}

/** A plain object, or undefined for anything else. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A non-empty string, or undefined. */
export function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** An array of strings (other items dropped), or undefined. */
export function asStrings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
}
