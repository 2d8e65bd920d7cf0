// One Markdown table per scenario, so the output pastes into docs/performance.md as it is.
export function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = (row: (string | number)[]): string => `| ${row.map(String).join(' | ')} |`;
  return [`### ${title}`, '', cells(header), cells(header.map(() => '---')), ...rows.map(cells), ''].join(
    '\n',
  );
}

export const fixed = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
