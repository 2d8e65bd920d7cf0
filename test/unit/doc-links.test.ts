// Every relative link in the user docs must lead somewhere: the file exists, and a #fragment names a
// heading of the target (GitHub's anchors). Links inside code blocks and to other sites are left alone.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../testbed/paths.ts';

const docs = [
  'README.md',
  'CHANGELOG.md',
  'deploy/helm/acme6/README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The text outside fenced code blocks. */
function withoutFences(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
}

/** The text outside fenced code blocks and inline code spans. */
function prose(markdown: string): string {
  return withoutFences(markdown).replace(/`[^`\n]*`/g, '');
}

/** Link targets of inline links and images: `[text](target)` and `[text](target "title")`. */
function linkTargets(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] ?? '');
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, text = ''] of withoutFences(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = text
      .replace(/`/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

function brokenLinks(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const broken: string[] = [];
  for (const target of linkTargets(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...
    const [path = '', fragment] = target.split('#', 2);
    const resolved = path === '' ? join(repoRoot, file) : join(repoRoot, dirname(file), decodeURI(path));
    if (!existsSync(resolved)) {
      broken.push(`${target}: ${relative(repoRoot, resolved)} does not exist`);
      continue;
    }
    if (fragment && resolved.endsWith('.md') && statSync(resolved).isFile()) {
      if (!anchors(readFileSync(resolved, 'utf8')).has(fragment))
        broken.push(`${target}: no heading #${fragment} in ${relative(repoRoot, resolved)}`);
    }
  }
  return broken;
}

describe('relative links in the docs', () => {
  it.each(docs)('%s has no dead relative link', (file) => {
    expect(brokenLinks(file)).toEqual([]);
  });

  it('the README links every page in docs/', () => {
    const linked = new Set(
      linkTargets(readFileSync(join(repoRoot, 'README.md'), 'utf8')).map((t) => t.split('#')[0]),
    );
    const pages = docs.filter((d) => d.startsWith('docs/'));
    expect(pages.filter((p) => !linked.has(p))).toEqual([]);
  });
});

describe('the link checker', () => {
  it('finds links outside code only, and GitHub’s anchors', () => {
    const md = '# A `b` c!\n## A b c\n[x](y.md#a-b-c) `[no](z)`\n```\n[no](w)\n```\n![img](i.png "t")\n';
    expect(linkTargets(md)).toEqual(['y.md#a-b-c', 'i.png']);
    expect([...anchors(md)]).toEqual(['a-b-c', 'a-b-c-1']);
  });
});
