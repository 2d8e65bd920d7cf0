import { describe, expect, it } from 'vitest';
import { classifyProblem, describeProblem, shortProblemType, type AcmeProblem } from './errors.ts';

const problem = (type: string, extra: Partial<AcmeProblem> = {}): AcmeProblem => ({
  type: `urn:ietf:params:acme:error:${type}`,
  ...extra,
});

describe('classifyProblem', () => {
  it.each(['rateLimited', 'serverInternal', 'badNonce', 'orderNotReady'])('%s is transient', (type) => {
    expect(classifyProblem(problem(type), 400)).toBe('transient');
  });

  it.each([
    'malformed',
    'unauthorized',
    'rejectedIdentifier',
    'caa',
    'invalidProfile',
    'invalidContact',
    'unsupportedContact',
    'externalAccountRequired',
    'badCSR',
    'alreadyReplaced',
    'userActionRequired',
    'connection',
    'dns',
  ])('%s is terminal, even when the server answers 5xx', (type) => {
    expect(classifyProblem(problem(type), 503)).toBe('terminal');
  });

  it('falls back to the HTTP status for problem types it does not know', () => {
    expect(classifyProblem({ type: 'urn:example:vendorHiccup' }, 503)).toBe('transient');
    expect(classifyProblem({ type: 'urn:example:vendorRefusal' }, 403)).toBe('terminal');
    expect(classifyProblem({ type: 'about:blank', status: 429 })).toBe('transient');
  });

  it('fails a compound problem terminally if any identifier is refused for good', () => {
    const compound = problem('compound', {
      subproblems: [problem('serverInternal'), problem('rejectedIdentifier')],
    });
    expect(classifyProblem(compound, 400)).toBe('terminal');
    const allTransient = problem('compound', { subproblems: [problem('serverInternal')] });
    expect(classifyProblem(allTransient, 400)).toBe('transient');
  });
});

describe('describeProblem', () => {
  it('gives the short type, the detail, and each identifier’s subproblem', () => {
    expect(describeProblem(problem('rateLimited', { detail: 'too many orders' }))).toBe(
      'rateLimited: too many orders',
    );
    expect(
      describeProblem(
        problem('rejectedIdentifier', {
          detail: 'Some identifiers were rejected',
          subproblems: [
            {
              ...problem('rejectedIdentifier', { detail: 'forbidden' }),
              identifier: { type: 'dns', value: 'x.test' },
            },
          ],
        }),
      ),
    ).toBe('rejectedIdentifier: Some identifiers were rejected (x.test: rejectedIdentifier: forbidden)');
  });

  it('keeps URNs from other namespaces whole', () => {
    expect(shortProblemType('urn:ietf:params:acme:error:badCSR')).toBe('badCSR');
    expect(shortProblemType('urn:example:thing')).toBe('urn:example:thing');
  });
});
