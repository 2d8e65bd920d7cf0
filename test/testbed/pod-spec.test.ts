import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  classifyImage,
  commandLine,
  containerEnv,
  expandVars,
  imageRepository,
  UnrunnablePodError,
} from './pod-spec.ts';

const paths = { node: '/usr/bin/node', acme6Entry: '/repo/src/cmd/acme6.ts', httpEchoEntry: '/repo/echo.ts' };
const addresses = { podIP: '203.0.113.7', hostIP: '203.0.113.1' };

function pod(container: Record<string, unknown>): V1Pod {
  return {
    metadata: { name: 'solver-x', namespace: 'apps', uid: 'u-1' },
    spec: { nodeName: 'node-a', serviceAccountName: 'default', containers: [{ name: 'c', ...container }] },
  };
}

describe('imageRepository and classifyImage', () => {
  it.each([
    ['ghcr.io/acme6/acme6:0.1.0', 'ghcr.io/acme6/acme6', 'acme6'],
    ['acme6', 'acme6', 'acme6'],
    ['localhost:5000/acme6', 'localhost:5000/acme6', 'acme6'],
    ['registry.example:443/team/acme6@sha256:abcd', 'registry.example:443/team/acme6', 'acme6'],
    ['acme6-testbed/http-echo', 'acme6-testbed/http-echo', 'http-echo'],
    ['acme6-testbed/http-echo:v2', 'acme6-testbed/http-echo', 'http-echo'],
    ['ghcr.io/acme6/acme6-agent:1', 'ghcr.io/acme6/acme6-agent', undefined],
    ['acme6/nginx:1.27', 'acme6/nginx', undefined],
    ['other/http-echo', 'other/http-echo', undefined],
  ])('%s is repository %s of kind %s', (image, repository, kind) => {
    expect(imageRepository(image)).toBe(repository);
    expect(classifyImage(image)).toBe(kind);
  });
});

describe('expandVars', () => {
  const vars = new Map([
    ['POD_IP', '203.0.113.7'],
    ['EMPTY', ''],
  ]);
  it.each([
    ['--listen=$(POD_IP):8089', '--listen=203.0.113.7:8089'],
    ['$(POD_IP)$(POD_IP)', '203.0.113.7203.0.113.7'],
    ['x$(EMPTY)y', 'xy'],
    ['$$(POD_IP)', '$(POD_IP)'],
    ['$$', '$'],
    ['$(UNKNOWN)', '$(UNKNOWN)'],
    ['cost: $5', 'cost: $5'],
    ['trailing $', 'trailing $'],
    ['open $(POD_IP', 'open $(POD_IP'],
  ])('%s -> %s', (input, output) => {
    expect(expandVars(input, vars)).toBe(output);
  });
});

describe('containerEnv', () => {
  it('resolves fieldRefs and expands values with the variables declared before them', () => {
    const p = pod({
      env: [
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
        { name: 'LISTEN', value: '$(POD_IP):8089 $(LATER)' },
        { name: 'LATER', value: 'x' },
      ],
    });
    const env = containerEnv(p, p.spec!.containers[0]!, addresses);
    expect(Object.fromEntries(env)).toEqual({
      POD_IP: '203.0.113.7',
      POD_NAME: 'solver-x',
      POD_NAMESPACE: 'apps',
      LISTEN: '203.0.113.7:8089 $(LATER)',
      LATER: 'x',
    });
  });

  it('refuses valueFrom sources it cannot provide, naming the variable', () => {
    const p = pod({ env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] });
    expect(() => containerEnv(p, p.spec!.containers[0]!, addresses)).toThrow(
      /env TOKEN uses a valueFrom source/,
    );
    const q = pod({ env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.labels' } } }] });
    expect(() => containerEnv(q, q.spec!.containers[0]!, addresses)).toThrow(UnrunnablePodError);
  });
});

describe('commandLine', () => {
  it('runs acme6 images as node src/cmd/acme6.ts with expanded args', () => {
    const p = pod({ image: 'ghcr.io/acme6/acme6:0.1.0', args: ['solver', '--listen=$(POD_IP):8089'] });
    const env = new Map([['POD_IP', '203.0.113.7']]);
    expect(commandLine('acme6', p, p.spec!.containers[0]!, env, paths)).toEqual([
      '/usr/bin/node',
      '/repo/src/cmd/acme6.ts',
      'solver',
      '--listen=203.0.113.7:8089',
    ]);
  });

  it('runs the echo site on the first containerPort, 8080 without one', () => {
    const p = pod({
      image: 'acme6-testbed/http-echo',
      ports: [{ containerPort: 8081 }, { containerPort: 9 }],
    });
    expect(commandLine('http-echo', p, p.spec!.containers[0]!, new Map(), paths)).toEqual([
      '/usr/bin/node',
      '/repo/echo.ts',
      '8081',
      'apps/solver-x',
    ]);
    const q = pod({ image: 'acme6-testbed/http-echo' });
    expect(commandLine('http-echo', q, q.spec!.containers[0]!, new Map(), paths)[2]).toBe('8080');
  });

  it('refuses a command: the image entrypoint is fixed', () => {
    const p = pod({ image: 'acme6:dev', command: ['/bin/sh'] });
    expect(() => commandLine('acme6', p, p.spec!.containers[0]!, new Map(), paths)).toThrow(
      /command is not supported/,
    );
  });
});
