import { describe, expect, it } from 'vitest';
import { describeHttpError, errorKind, parseErrorBody, parseRecordList, parseZoneList } from './responses.ts';

describe('DO-API responses', () => {
  it('parses ZoneList and RecordList', () => {
    expect(parseZoneList({ RequestId: 'r', ZoneList: ['example.com'] })).toEqual(['example.com']);
    const rec = {
      Id: '963',
      Status: 'UNCHANGED',
      Owner: '_acme-challenge',
      TTL: '300',
      RecordType: 'TXT',
      RData: '"v"',
    };
    expect(parseRecordList({ RequestId: 'r', RecordList: [rec], StaticRecordList: null })).toEqual([rec]);
    expect(() => parseRecordList({ RecordList: [{ ...rec, TTL: 300 }] })).toThrow(/TTL/);
    expect(() => parseZoneList({})).toThrow(/ZoneList/);
  });

  it('reads ErrorResponse, even on HTTP 200', () => {
    const body = {
      ErrorResponse: {
        RequestId: 'R1',
        ErrorType: 'ParameterError',
        ErrorMessage: 'There are invalid parameters.',
      },
    };
    const error = parseErrorBody(body);
    expect(error).toEqual({
      requestId: 'R1',
      errorType: 'ParameterError',
      errorMessage: 'There are invalid parameters.',
    });
    expect(describeHttpError(400, error, '')).toBe(
      'HTTP 400 ParameterError: There are invalid parameters. (request R1)',
    );
    expect(parseErrorBody({ RequestId: 'x' })).toBeUndefined();
    expect(describeHttpError(502, undefined, '<html>bad gateway</html>')).toBe(
      'HTTP 502: <html>bad gateway</html>',
    );
  });

  it('classifies failures', () => {
    expect(errorKind(503, undefined)).toBe('transient');
    expect(errorKind(429, undefined)).toBe('transient');
    expect(errorKind(401, { errorType: 'AuthenticationError', errorMessage: 'x' })).toBe('terminal');
    expect(errorKind(200, { errorType: 'SignatureDoesNotMatch', errorMessage: 'x' })).toBe('terminal');
    expect(errorKind(400, { errorType: 'ParameterError', errorMessage: 'x' })).toBe('terminal');
    expect(errorKind(409, undefined)).toBe('transient');
  });
});
