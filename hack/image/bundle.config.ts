// make bundle: the built program (dist/src, tsc's output) and its dependencies as a few minified ES
// modules in dist/bundle, which the image ships instead of dist/src + node_modules. Node loads ~1,000
// separate modules for @kubernetes/client-node alone; one parsed file costs far less memory (an idle
// controller: docs/performance.md). Each subcommand stays its own chunk, loaded only when it runs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'rolldown';

const repo = join(import.meta.dirname, '../..');

/** The directory of the npm package a bundled file came from (undefined for our own code). */
function packageDir(file: string): string | undefined {
  const at = file.lastIndexOf('/node_modules/');
  if (at < 0) return undefined;
  const rest = file.slice(at + '/node_modules/'.length).split('/');
  const name = rest[0]?.startsWith('@') ? rest.slice(0, 2).join('/') : rest[0];
  return name && join(file.slice(0, at), 'node_modules', name);
}

// The bundle drops node_modules, and with it each package's licence: collect them in one file.
function thirdPartyLicenses(): Plugin {
  return {
    name: 'third-party-licenses',
    generateBundle(_options, bundle) {
      const dirs = new Set<string>();
      for (const chunk of Object.values(bundle))
        if (chunk.type === 'chunk')
          for (const id of chunk.moduleIds) {
            const dir = packageDir(id);
            if (dir) dirs.add(dir);
          }
      const sections = [...dirs].sort().map((dir) => {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          name: string;
          version: string;
          license?: string;
        };
        const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f));
        const text = file
          ? readFileSync(join(dir, file), 'utf8').trim()
          : `license: ${pkg.license ?? 'none given'}`;
        return `${pkg.name} ${pkg.version}\n\n${text}\n`;
      });
      this.emitFile({
        type: 'asset',
        fileName: 'THIRD-PARTY-LICENSES.txt',
        source: sections.join(`\n${'-'.repeat(78)}\n\n`),
      });
    },
  };
}

const entry = join(repo, 'dist/src/cmd/acme6.js');
if (!existsSync(entry)) throw new Error(`no ${entry}: run make build first`);

export default defineConfig({
  input: { acme6: entry },
  platform: 'node',
  // node: builtins stay imports; every npm package is bundled (the image has no node_modules).
  external: [/^node:/],
  plugins: [thirdPartyLicenses()],
  output: {
    dir: join(repo, dirname('dist/bundle/acme6.js')),
    format: 'esm',
    cleanDir: true,
    // Local names are shortened, but functions and classes keep their names (keepNames), so a stack
    // trace still reads `at CertificateReconciler.reconcile` without a source map.
    minify: {
      compress: { keepNames: { function: true, class: true } },
      mangle: { keepNames: { function: true, class: true } },
      codegen: { removeWhitespace: true },
    },
    // Function and class names as in the sources, also where bundling renames a clash (Client$1).
    keepNames: true,
    comments: { legal: false },
    sourcemap: false,
    // One non-ASCII character makes V8 hold a whole file's source as UTF-16, twice its size; escaped,
    // the sources take 4.8 MB less heap.
    charset: 'ascii',
  },
});
