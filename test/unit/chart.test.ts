// The Helm chart's own bookkeeping: its README is what hack/chart-readme.ts renders from values.yaml,
// every value has a comment to render, and the chart's version follows the project's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { chartDir, renderChartReadme, valueDocs } from '../../hack/chart-readme.ts';
import { repoRoot } from '../testbed/paths.ts';

const read = (file: string): string => readFileSync(join(chartDir, file), 'utf8');

describe('the chart README', () => {
  it('is what hack/chart-readme.ts renders from values.yaml', () => {
    expect(read('README.md'), 'regenerate with: node hack/chart-readme.ts').toBe(
      renderChartReadme(read('Chart.yaml'), read('values.yaml')),
    );
  });

  it('documents every value (the agent block is documented by its owners)', () => {
    const undocumented = valueDocs(read('values.yaml'))
      .filter((v) => !v.key.startsWith('agent.') && v.description === '')
      .map((v) => v.key);
    expect(undocumented, 'add a comment above each key in values.yaml').toEqual([]);
  });

  it('takes the comment right above a key, a map’s first key included, and not the file header', () => {
    const docs = valueDocs('# header\n\n# the map\nm:\n  # first\n  a: 1\n  b: [x]\n  # third\n  c: {}\n');
    expect(docs).toEqual([
      { key: 'm', default: '', description: 'the map' },
      { key: 'm.a', default: '1', description: 'first' },
      { key: 'm.b', default: '["x"]', description: '' },
      { key: 'm.c', default: '{}', description: 'third' },
    ]);
  });
});

describe('the chart version', () => {
  it('and appVersion equal package.json’s version', () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    const chart = parse(read('Chart.yaml')) as { version: string; appVersion: string };
    expect({ version: chart.version, appVersion: chart.appVersion }).toEqual({
      version: pkg.version,
      appVersion: pkg.version,
    });
  });
});
