// The output of `kubectl acme6 convert`: a YAML stream of acme6 objects, each preceded by comments
// saying what of its cert-manager source did not carry over; objects that could not be converted
// appear as comments only. The same notes, one per line, for stderr.
import { stringify } from 'yaml';
import type { Converted } from './convert.ts';

function comment(text: string): string {
  return text
    .split('\n')
    .map((line) => `# ${line}`.trimEnd())
    .join('\n');
}

/** The YAML stream for stdout. */
export function renderYaml(converted: readonly Converted[]): string {
  const docs = converted.map((c) => {
    const head = [
      `from ${c.source}${c.object ? '' : ': NOT CONVERTED'}`,
      ...c.notes.map((n) => `  ${n.field}: ${n.reason}`),
    ].join('\n');
    return `${comment(head)}\n${c.object ? stringify(c.object, { lineWidth: 0 }) : ''}`;
  });
  return docs.join('---\n');
}

/** One line per note, for stderr. */
export function renderNotes(converted: readonly Converted[]): string {
  return converted.flatMap((c) => c.notes.map((n) => `${c.source}: ${n.field}: ${n.reason}\n`)).join('');
}
