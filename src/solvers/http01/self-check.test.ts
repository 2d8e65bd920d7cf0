import { describe, expect, it } from 'vitest';
import { describeResult, selfCheckPassed, summarizeSelfCheck, type SelfCheckReport } from './self-check.ts';

const aaaa = { family: 'AAAA' as const, address: '2001:db8::1' };
const a = { family: 'A' as const, address: '192.0.2.10' };

describe('self-check report', () => {
  it('names each address and family, failures first (S1)', () => {
    const report: SelfCheckReport = {
      domain: 'app.example.test',
      results: [
        { target: a, port: 80, outcome: { kind: 'ok' } },
        { target: aaaa, port: 80, outcome: { kind: 'error', message: 'timed out after 10s' } },
      ],
      lookupProblems: [],
    };
    expect(selfCheckPassed(report)).toBe(false);
    expect(summarizeSelfCheck(report)).toBe('AAAA [2001:db8::1]:80 timed out after 10s; A 192.0.2.10:80 ok');
  });

  it('explains 401, 403, 404 and 503 with the likely cause', () => {
    const status = (code: number, text: string) => ({
      target: a,
      port: 80,
      outcome: { kind: 'status' as const, status: code, statusText: text },
    });
    expect(describeResult(status(401, 'Unauthorized'))).toBe(
      'A 192.0.2.10:80 401 Unauthorized from 192.0.2.10 (the path is behind authentication? The solver Ingress must route /.well-known/acme-challenge/ around it)',
    );
    expect(describeResult(status(403, 'Forbidden'))).toContain('behind authentication?');
    expect(describeResult(status(404, 'Not Found'), { ingressClass: 'traefik' })).toBe(
      'A 192.0.2.10:80 404 Not Found from 192.0.2.10 (is the solver Ingress served by the controller of class traefik, and does this address reach it?)',
    );
    expect(describeResult(status(404, 'Not Found'))).toContain("the cluster's default ingress controller");
    expect(describeResult(status(503, 'Service Unavailable'))).toContain(
      'is the solver pod running and ready',
    );
    expect(describeResult(status(500, 'Internal Server Error'))).toBe(
      'A 192.0.2.10:80 500 Internal Server Error from 192.0.2.10',
    );
  });

  it('passes only with at least one address, all ok, and no failed lookup', () => {
    const ok = { target: a, port: 80, outcome: { kind: 'ok' as const } };
    expect(selfCheckPassed({ domain: 'x.test', results: [ok], lookupProblems: [] })).toBe(true);
    expect(selfCheckPassed({ domain: 'x.test', results: [], lookupProblems: [] })).toBe(false);
    expect(summarizeSelfCheck({ domain: 'x.test', results: [], lookupProblems: [] })).toBe(
      'x.test has no A or AAAA record',
    );
    const lookup = {
      domain: 'x.test',
      results: [ok],
      lookupProblems: ['AAAA lookup of x.test failed: ESERVFAIL'],
    };
    expect(selfCheckPassed(lookup)).toBe(false);
    expect(summarizeSelfCheck(lookup)).toBe('AAAA lookup of x.test failed: ESERVFAIL; A 192.0.2.10:80 ok');
  });
});
