import { describe, expect, it } from 'vitest';
import { InvalidResponseError, MAX_SUBPROBLEMS, parseBody, problemOf } from './acme-http.ts';
import { locationOf, toOrder } from './resources.ts';
import { z } from 'zod';

const answer = (data: unknown, headers: Record<string, string> = {}) => ({ status: 400, headers, data });

describe('problemOf bounds what the CA says', () => {
  it('cuts a huge detail and keeps its start', () => {
    const problem = problemOf(
      answer({ type: 'urn:ietf:params:acme:error:malformed', detail: `bad: ${'z'.repeat(100_000)}` }),
    );
    expect(problem!.detail!.length).toBeLessThanOrEqual(1024);
    expect(problem!.detail).toMatch(/^bad: z+ … \[truncated \d+ characters\] … z+$/);
  });

  it('keeps at most MAX_SUBPROBLEMS subproblems and counts the rest', () => {
    const subproblems = Array.from({ length: 5000 }, (_, i) => ({
      type: 'urn:ietf:params:acme:error:rejectedIdentifier',
      detail: 'w'.repeat(5000),
      identifier: { type: 'dns', value: `n${i}.example` },
    }));
    const problem = problemOf(answer({ type: 'urn:ietf:params:acme:error:compound', subproblems }));
    expect(problem!.subproblems).toHaveLength(MAX_SUBPROBLEMS + 1);
    expect(problem!.subproblems!.at(-1)).toEqual({
      type: 'truncated',
      detail: `${5000 - MAX_SUBPROBLEMS} more subproblems not shown`,
    });
    expect(JSON.stringify(problem).length).toBeLessThan(10_000);
  });

  it('bounds the message of a body that does not fit', () => {
    const schema = z.object({ [`k${'q'.repeat(50_000)}`]: z.string() });
    expect(() => parseBody(schema, answer({}), 'an ACME order')).toThrow(InvalidResponseError);
    try {
      parseBody(schema, answer({}), 'an ACME order');
    } catch (err) {
      expect((err as Error).message.length).toBeLessThanOrEqual(1024);
    }
  });
});

describe('URLs from the CA are bounded', () => {
  const order = (authorization: string) => ({
    status: 200,
    headers: {},
    data: {
      status: 'pending',
      identifiers: [{ type: 'dns', value: 'a.example' }],
      authorizations: [authorization],
      finalize: 'https://ca.example/finalize/1',
    },
  });

  it('rejects an order whose URLs are longer than status can hold', () => {
    expect(() =>
      toOrder(order(`https://ca.example/authz/${'a'.repeat(3000)}`), 'https://ca.example/o/1', new Date()),
    ).toThrow(InvalidResponseError);
    expect(
      toOrder(order('https://ca.example/authz/1'), 'https://ca.example/o/1', new Date()).authorizations,
    ).toEqual(['https://ca.example/authz/1']);
  });

  it('rejects a Location header longer than status can hold', () => {
    const long = answer({}, { location: `/order/${'b'.repeat(3000)}` });
    expect(() => locationOf(long, 'https://ca.example/new-order', 'newOrder')).toThrow(/longer than 2048/);
  });
});
