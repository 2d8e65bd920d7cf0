// Reads objects from YAML or JSON text (multi-document, `kind: List` flattened), as `kubectl -f` would.
import { parseAllDocuments } from 'yaml';
import { asRecord } from './notes.ts';

/** The objects in `text`; throws with the document's position on a syntax error. */
export function parseObjects(text: string, origin: string): unknown[] {
  const out: unknown[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${origin}: ${doc.errors[0]!.message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    const object = asRecord(value);
    if (
      object &&
      typeof object.kind === 'string' &&
      object.kind.endsWith('List') &&
      Array.isArray(object.items)
    ) {
      out.push(...(object.items as unknown[]));
    } else {
      out.push(value);
    }
  }
  return out;
}
