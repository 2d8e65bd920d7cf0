import { describe, expect, it } from 'vitest';
import type { Solver } from '../../api/solver.ts';
import { chooseSolvers } from './solver-selection.ts';

const dns = (selector?: Solver['selector']): Solver =>
  ({ ...(selector ? { selector } : {}), dns01: { rfc2136: { nameserver: '127.0.0.1:53' } } }) as Solver;
const http = (selector?: Solver['selector']): Solver =>
  ({ ...(selector ? { selector } : {}), http01: { ingress: {} } }) as Solver;

const chosen = (solvers: Solver[], names: string[], labels?: Record<string, string>) =>
  chooseSolvers(solvers, names, labels).choices.map((c) => `${c.dnsName}:${c.solverIndex}:${c.type}`);

describe('solver selection', () => {
  it('prefers an exact name over the longest zone over a catch-all', () => {
    const solvers = [
      http(),
      dns({ dnsZones: ['example.test'] }),
      dns({ dnsZones: ['sub.example.test'] }),
      http({ dnsNames: ['www.sub.example.test'] }),
    ];
    expect(
      chosen(solvers, ['other.test', 'a.example.test', 'a.sub.example.test', 'www.sub.example.test']),
    ).toEqual([
      'other.test:0:http-01',
      'a.example.test:1:dns-01',
      'a.sub.example.test:2:dns-01',
      'www.sub.example.test:3:http-01',
    ]);
  });

  it('matches a zone at its apex and wildcards by their base name', () => {
    expect(chosen([dns({ dnsZones: ['example.test'] })], ['example.test', '*.example.test'])).toEqual([
      'example.test:0:dns-01',
      '*.example.test:0:dns-01',
    ]);
  });

  it('uses labels as a filter and a tie-breaker, then list order', () => {
    const solvers = [dns(), dns({ matchLabels: { team: 'a' } }), dns({ matchLabels: { team: 'b' } })];
    expect(chosen(solvers, ['x.test'], { team: 'a' })).toEqual(['x.test:1:dns-01']);
    expect(chosen(solvers, ['x.test'], { team: 'c' })).toEqual(['x.test:0:dns-01']);
    expect(chosen([dns(), dns()], ['x.test'])).toEqual(['x.test:0:dns-01']);
  });

  it('honours a preferred challenge type before specificity, and falls back without one', () => {
    const solvers = [http({ dnsNames: ['www.example.test'] }), dns({ dnsZones: ['example.test'] })];
    const pick = (type?: 'http-01' | 'dns-01') =>
      chooseSolvers(solvers, ['www.example.test', '*.example.test'], {}, type).choices.map(
        (c) => `${c.dnsName}:${c.type}`,
      );
    expect(pick()).toEqual(['www.example.test:http-01', '*.example.test:dns-01']);
    expect(pick('dns-01')).toEqual(['www.example.test:dns-01', '*.example.test:dns-01']);
    // No http-01 solver can take a wildcard: the preference gives way rather than fail.
    expect(pick('http-01')).toEqual(['www.example.test:http-01', '*.example.test:dns-01']);
  });

  it('refuses a wildcard when only http-01 solvers match, saying why', () => {
    const result = chooseSolvers(
      [http(), dns({ dnsZones: ['other.test'] })],
      ['*.example.test', 'example.test'],
    );
    expect(result.choices.map((c) => c.dnsName)).toEqual(['example.test']);
    expect(result.problems).toEqual([
      {
        dnsName: '*.example.test',
        message:
          '*.example.test is a wildcard name, which only dns-01 can validate, and no dns01 solver of the issuer matches it',
      },
    ]);
  });

  it('reports a name no selector matches', () => {
    expect(chooseSolvers([dns({ dnsZones: ['other.test'] })], ['example.test']).problems[0]?.message).toBe(
      "no solver of the issuer matches example.test (check the solvers' selectors)",
    );
  });
});
