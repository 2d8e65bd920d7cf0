import { describe, expect, it } from 'vitest';
import { describeNameserver, nameserverAddress, parseNameserver } from './nameserver.ts';

describe('nameserver addresses', () => {
  it.each([
    ['127.0.0.1:5353', { host: '127.0.0.1', port: 5353 }],
    ['[::1]:5353', { host: '::1', port: 5353 }],
    ['ns1.example.com:53', { host: 'ns1.example.com', port: 53 }],
    ['192.0.2.1', { host: '192.0.2.1', port: 53 }],
    ['2001:db8::1', { host: '2001:db8::1', port: 53 }],
    ['[2001:db8::1]', { host: '2001:db8::1', port: 53 }],
  ])('parses %s', (text, expected) => {
    expect(parseNameserver(text)).toEqual(expected);
  });

  it.each(['127.0.0.1:0', '127.0.0.1:70000', '[nope]:53', ':53', 'host:53:1'])('rejects %s', (text) => {
    expect(() => parseNameserver(text)).toThrow(/invalid nameserver/);
  });

  it('formats addresses back, IPv6 in brackets, with the label for messages', () => {
    expect(nameserverAddress(parseNameserver('[::1]:5353'))).toBe('[::1]:5353');
    expect(describeNameserver(parseNameserver('127.0.0.1:5354', 'secondary'))).toBe(
      '127.0.0.1:5354 (secondary)',
    );
    expect(describeNameserver(parseNameserver('127.0.0.1:5354'))).toBe('127.0.0.1:5354');
  });
});
