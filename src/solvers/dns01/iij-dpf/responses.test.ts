import { describe, expect, it } from 'vitest';
import {
  describeHttpError,
  DpfProtocolError,
  errorKind,
  parseAsync,
  parseDiff,
  parseErrorBody,
  parseJob,
  parseRecord,
  parseResults,
  parseZone,
} from './responses.ts';

const record = {
  id: 'rAbCdEfGhIjKlM',
  name: '_acme-challenge.example.com.',
  ttl: 300,
  rrtype: 'TXT',
  rdata: [{ value: '"abc"' }],
  labels: {},
  state: 1,
  description: 'ACME',
  operator: 'SA0000001',
};

describe('DPF response parsing', () => {
  it('reads list envelopes, zones and records', () => {
    const zone = { id: 'mAbCdEfGhIjKlM', service_code: 'dpm12345678', name: 'example.com.', state: 2 };
    expect(parseResults({ request_id: 'x', results: [zone] }).map(parseZone)).toEqual([
      { id: 'mAbCdEfGhIjKlM', name: 'example.com.', serviceCode: 'dpm12345678' },
    ]);
    expect(parseRecord(record)).toEqual({
      id: 'rAbCdEfGhIjKlM',
      name: '_acme-challenge.example.com.',
      rrtype: 'TXT',
      rdata: [{ value: '"abc"' }],
      state: 1,
      operator: 'SA0000001',
    });
    expect(() => parseResults({ result: {} })).toThrow(DpfProtocolError);
    expect(() => parseRecord({ ...record, rdata: 'x' })).toThrow('record rdata is not a list');
  });

  it('reads diffs with a missing side', () => {
    expect(parseDiff({ new: record, old: null })).toMatchObject({ new: { id: record.id }, old: null });
  });

  it('reads async answers and job states (unknown states count as running)', () => {
    expect(parseAsync({ request_id: 'r1', jobs_url: 'https://x/jobs/r1' })).toBe('r1');
    expect(parseJob({ request_id: 'r1', status: 'RUNNING' })).toEqual({ status: 'RUNNING' });
    expect(parseJob({ request_id: 'r1', status: 'QUEUED' })).toEqual({ status: 'RUNNING' });
    expect(parseJob({ request_id: 'r1', status: 'SUCCESSFUL', resources_url: 'u' })).toEqual({
      status: 'SUCCESSFUL',
    });
    expect(
      parseJob({
        status: 'FAILED',
        error_type: 'Bad Request',
        error_message: 'There are invalid parameters',
      }),
    ).toEqual({ status: 'FAILED', errorType: 'Bad Request', errorMessage: 'There are invalid parameters' });
  });

  it('classifies and describes errors', () => {
    const token = parseErrorBody({
      request_id: 'x',
      error_type: 'ParameterError',
      error_message: 'There are invalid parameters.',
      error_details: [{ code: 'invalid', attribute: 'access_token' }],
    });
    expect(errorKind(400, token)).toBe('terminal');
    expect(describeHttpError(400, token, '')).toBe(
      'HTTP 400 ParameterError: There are invalid parameters. (invalid/access_token): the API token was refused (is it right, unexpired, with dpf_write scope?)',
    );
    expect(errorKind(401, undefined)).toBe('terminal');
    expect(errorKind(403, undefined)).toBe('terminal');
    expect(errorKind(429, undefined)).toBe('transient');
    expect(errorKind(503, undefined)).toBe('transient');
    const locked = parseErrorBody({
      error_type: 'ParameterError',
      error_message: 'm',
      error_details: [{ code: 'forbidden', attribute: 'record' }],
    });
    expect(errorKind(400, locked)).toBe('transient');
    expect(describeHttpError(502, undefined, '<html>bad gateway</html>')).toBe(
      'HTTP 502: <html>bad gateway</html>',
    );
    expect(parseErrorBody('nope')).toBeUndefined();
  });
});
