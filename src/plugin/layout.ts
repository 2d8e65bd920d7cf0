// Aligned "label: value" blocks, the shape of every plugin view.

/** One row; rows whose value is undefined are left out, so callers can list optional facts inline. */
export type Row = readonly [label: string, value: string | undefined];

/** Rows as "  label:  value", labels padded to one column; continuation lines stay aligned. */
export function rows(list: readonly Row[], indent = 2): string[] {
  const shown = list.filter((r): r is readonly [string, string] => r[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length + 1));
  const pad = ' '.repeat(indent);
  return shown.map(([label, value]) => {
    const [first, ...rest] = value.split('\n');
    const cont = rest.map((line) => `\n${pad}${' '.repeat(width + 2)}${line}`).join('');
    return `${pad}${`${label}:`.padEnd(width)}  ${first}${cont}`;
  });
}
