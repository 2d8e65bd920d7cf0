// The Dockerfile (for users with Docker) and hack/image/build.sh (make image, no Docker) must build the
// same image: both are checked against hack/image/image.env, the one description of it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** KEY=value and KEY="a b" lines of a shell-sourced file. */
function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(?:"([^"]*)"|(\S*))\s*$/.exec(line);
    if (m) vars[m[1] as string] = m[2] ?? m[3] ?? '';
  }
  return vars;
}

/** The last stage of a Dockerfile (what runs), with continuation lines joined. */
function runtimeStage(dockerfile: string): string[] {
  const lines = dockerfile.replace(/\\\n\s*/g, ' ').split('\n');
  const from = lines.findLastIndex((l) => l.startsWith('FROM '));
  return lines.slice(from).filter((l) => l.trim() && !l.startsWith('#'));
}

const instruction = (stage: string[], name: string): string[] =>
  stage.filter((l) => l.startsWith(`${name} `)).map((l) => l.slice(name.length + 1).trim());

const image = parseEnvFile(read('hack/image/image.env'));
const dockerfile = read('Dockerfile');
const stage = runtimeStage(dockerfile);
const buildScript = read('hack/image/build.sh');
const words = (s: string | undefined): string[] => (s ?? '').split(/\s+/).filter(Boolean).sort();

describe('the Dockerfile and make image describe one image', () => {
  it('image.env names every value', () => {
    for (const key of [
      'IMAGE_REPOSITORY',
      'DEBIAN_SUITE',
      'DEBIAN_PACKAGES',
      'IMAGE_USER',
      'IMAGE_WORKDIR',
      'IMAGE_ENTRYPOINT',
    ])
      expect(image[key], key).toBeTruthy();
  });

  it('same Node release and Debian suite', () => {
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, { version: string }>;
    };
    const nodeVersion = lock.packages['node_modules/node']?.version;
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=(\S+)$/m);
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1];
    expect(base).toBe(`node:${nodeVersion}-${image.DEBIAN_SUITE}-slim`);
  });

  it('same Debian packages', () => {
    const install = stage.find((l) => l.includes('apt-get install'));
    const packages = /--no-install-recommends ([^&]+)/.exec(install ?? '')?.[1];
    expect(words(packages)).toEqual(words(image.DEBIAN_PACKAGES));
  });

  it('same user, working directory and entrypoint', () => {
    expect(instruction(stage, 'USER')).toEqual([image.IMAGE_USER]);
    expect(instruction(stage, 'WORKDIR')).toEqual([image.IMAGE_WORKDIR]);
    expect(instruction(stage, 'ENTRYPOINT').map((e) => JSON.parse(e) as string[])).toEqual([
      [image.IMAGE_ENTRYPOINT],
    ]);
    expect(stage.join('\n')).toContain(`/usr/local/bin/${image.IMAGE_ENTRYPOINT}`);
    expect(image.IMAGE_USER).toMatch(/^[1-9]\d*:[1-9]\d*$/); // not root
  });

  it('same program: the bundle (make build) as the entrypoint, and no node_modules', () => {
    expect(stage.join('\n')).toContain('ln -s /app/dist/bundle/acme6.js /usr/local/bin/');
    expect(buildScript).toContain(
      'ln -s /app/dist/bundle/acme6.js "$work/app/usr/local/bin/$IMAGE_ENTRYPOINT"',
    );
    expect(stage.join('\n')).not.toContain('node_modules');
    expect(buildScript).not.toMatch(/cp .*node_modules/);
  });

  it('same environment besides PATH', () => {
    const fromDocker = instruction(stage, 'ENV').sort();
    const fromScript = [...buildScript.matchAll(/--config\.env (\S+)/g)]
      .map((m) => m[1] as string)
      .filter((e) => !e.startsWith('PATH='))
      .sort();
    expect(fromScript).toEqual(fromDocker);
  });

  it('same OCI labels: version from package.json, source, licence, title, and the revision', () => {
    const pkg = JSON.parse(read('package.json')) as { version: string; license: string };
    const expected = {
      'org.opencontainers.image.version': pkg.version,
      'org.opencontainers.image.source': image.IMAGE_SOURCE,
      'org.opencontainers.image.licenses': pkg.license,
      'org.opencontainers.image.title': 'acme6',
    };
    const fromDocker = Object.fromEntries(
      instruction(stage, 'LABEL').flatMap((l) =>
        [...l.matchAll(/(\S+)="([^"]*)"/g)].map((m) => [m[1] as string, m[2] as string]),
      ),
    );
    expect(fromDocker).toEqual({ ...expected, 'org.opencontainers.image.revision': '${REVISION}' });
    expect(instruction(stage, 'ARG')).toContain('REVISION=unknown');
    const fromScript = Object.fromEntries(
      [...buildScript.matchAll(/--config\.label "([^=]+)=([^"]*)"/g)].map((m) => [
        m[1] as string,
        m[2] as string,
      ]),
    );
    expect(fromScript).toEqual({
      'org.opencontainers.image.version': '$version',
      'org.opencontainers.image.source': '$IMAGE_SOURCE',
      'org.opencontainers.image.licenses': '$license',
      'org.opencontainers.image.title': 'acme6',
      'org.opencontainers.image.revision': '$revision',
    });
  });

  it('the deploy manifests run this repository', () => {
    for (const path of ['deploy/kustomize/controller.yaml', 'deploy/kustomize/components/agent/agent.yaml'])
      expect(read(path)).toMatch(new RegExp(`image: ${image.IMAGE_REPOSITORY}(:|$)`, 'm'));
  });
});
