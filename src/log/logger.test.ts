import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

function capture(): { lines: () => string; stream: { write(s: string): void } } {
  let out = '';
  return { lines: () => out, stream: { write: (s: string) => void (out += s) } };
}

const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
  type: 'pkcs8',
  format: 'pem',
}) as string;

describe('logger', () => {
  it('censors secret fields by name, at any of the first levels', () => {
    const { lines, stream } = capture();
    const log = createLogger({}, stream);
    log.info(
      {
        token: 'tok-123',
        issuer: { hmacKey: 'hmac-456', name: 'le' },
        secret: { data: { 'tls.key': 'abc' } },
      },
      'hi',
    );
    expect(lines()).not.toMatch(/tok-123|hmac-456|abc/);
    expect(lines()).toContain('"name":"le"');
  });

  it('cuts PEM private keys out of any value and out of messages', () => {
    const { lines, stream } = capture();
    const log = createLogger({}, stream);
    log.warn({ detail: `oops ${pem} trailing`, list: [pem] }, `message with ${pem}`);
    expect(lines()).not.toContain('PRIVATE KEY-----\\n');
    expect(lines()).not.toContain(pem.split('\n')[1]!);
    expect(lines()).toContain('[redacted private key]');
    expect(lines()).toContain('trailing');
  });
});
