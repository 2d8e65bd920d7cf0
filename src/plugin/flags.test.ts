import { describe, expect, it } from 'vitest';
import { parsePluginArgs } from './flags.ts';

describe('kubectl acme6 flags', () => {
  it('parses the three commands with kubectl-style connection flags', () => {
    expect(parsePluginArgs(['status', 'certificate', 'web', '-n', 'team', '--context', 'prod'])).toEqual({
      command: { name: 'status-certificate', target: 'web' },
      connection: { namespace: 'team', context: 'prod', allNamespaces: false },
    });
    expect(parsePluginArgs(['inspect', 'secret', 'web-tls', '--kubeconfig=/k', '--namespace=team'])).toEqual({
      command: { name: 'inspect-secret', target: 'web-tls' },
      connection: { kubeconfig: '/k', namespace: 'team', allNamespaces: false },
    });
    expect(parsePluginArgs(['renew', 'a', 'b'])).toMatchObject({
      command: { name: 'renew', targets: ['a', 'b'], all: false },
    });
    expect(parsePluginArgs(['renew', '--all', '-A'])).toMatchObject({
      command: { name: 'renew', targets: [], all: true },
      connection: { allNamespaces: true },
    });
    expect(parsePluginArgs(['status', 'cert', 'web'])).toMatchObject({
      command: { name: 'status-certificate' },
    });
    expect(parsePluginArgs([])).toMatchObject({ command: { name: 'help' } });
  });

  it('rejects what does not make sense, with a message', () => {
    expect(parsePluginArgs(['renew'])).toBe('renew needs certificate names or --all');
    expect(parsePluginArgs(['renew', 'web', '--all'])).toBe(
      'renew takes either certificate names or --all, not both',
    );
    expect(parsePluginArgs(['renew', '--all', '-A', '-n', 'x'])).toBe(
      '-A/--all-namespaces and -n/--namespace exclude each other',
    );
    expect(parsePluginArgs(['renew', 'web', '-A'])).toBe(
      '-A/--all-namespaces goes only with renew --all or convert',
    );
    expect(parsePluginArgs(['status', 'secret', 'x'])).toBe(
      'status works on a certificate or a service: status certificate|service NAME',
    );
    expect(parsePluginArgs(['status', 'service'])).toBe('status service takes exactly one name');
    expect(parsePluginArgs(['inspect', 'secret'])).toBe('inspect secret takes exactly one name');
    expect(parsePluginArgs(['frob'])).toBe('unknown command "frob"');
    expect(parsePluginArgs(['status', 'certificate', 'x', '--bogus'])).toMatch(/Unknown option '--bogus'/);
  });
});

describe('kubectl acme6 convert flags', () => {
  it('takes files, or reads the cluster (one namespace or all)', () => {
    expect(parsePluginArgs(['convert', '-f', 'a.yaml', '--filename', 'b.yaml'])).toEqual({
      command: { name: 'convert', files: ['a.yaml', 'b.yaml'] },
      connection: { allNamespaces: false },
    });
    expect(parsePluginArgs(['convert', '-A'])).toEqual({
      command: { name: 'convert', files: [] },
      connection: { allNamespaces: true },
    });
    expect(parsePluginArgs(['convert', '-n', 'team'])).toMatchObject({
      command: { name: 'convert', files: [] },
      connection: { namespace: 'team' },
    });
  });

  it('rejects -f elsewhere, names, and -A with files', () => {
    expect(parsePluginArgs(['renew', 'x', '-f', 'a.yaml'])).toBe('-f/--filename goes only with convert');
    expect(parsePluginArgs(['convert', 'web'])).toBe(
      'convert takes no names: -f FILE, or none to read the cluster',
    );
    expect(parsePluginArgs(['convert', '-f', 'a.yaml', '-A'])).toBe(
      '-A/--all-namespaces reads the cluster: leave it out with -f',
    );
  });
});

describe('status service', () => {
  it('names the Service and the agents’ namespace', () => {
    expect(parsePluginArgs(['status', 'svc', 'web', '-n', 'shop'])).toEqual({
      command: { name: 'status-service', target: 'web', agentNamespace: 'acme6-agent' },
      connection: { allNamespaces: false, namespace: 'shop' },
    });
    expect(parsePluginArgs(['status', 'service', 'web', '--agent-namespace', 'agents'])).toMatchObject({
      command: { agentNamespace: 'agents' },
    });
  });
});
