import { describe, expect, it } from 'vitest';
import { readHttp01Flags } from './flags.ts';

describe('http-01 controller flags', () => {
  it('defaults to the release image, the system resolver and the CA ports', () => {
    expect(readHttp01Flags({}, '1.2.3')).toEqual({
      http01: {
        image: 'ghcr.io/acme6/acme6:1.2.3',
        nameservers: [],
        selfCheckPort: 80,
        selfCheckHttpsPort: 443,
      },
    });
  });

  it('reads nameservers and ports', () => {
    const flags = readHttp01Flags(
      {
        'acme-http01-solver-image': 'registry.example:5000/team/acme6@sha256:' + 'a'.repeat(64),
        'acme-http01-solver-nameservers': '127.0.0.1:5353, [::1]:53',
        'acme-http01-self-check-port': '18080',
      },
      '0.0.0',
    );
    expect(flags).toMatchObject({
      http01: { nameservers: ['127.0.0.1:5353', '[::1]:53'], selfCheckPort: 18080, selfCheckHttpsPort: 443 },
    });
  });

  it.each([
    [{ 'acme-http01-solver-nameservers': 'ns1.example:53' }, 'is not IP:port'],
    [{ 'acme-http01-solver-nameservers': '::1:53' }, 'is not IP:port'],
    [{ 'acme-http01-solver-nameservers': '[127.0.0.1]:53' }, 'is not IP:port'],
    [{ 'acme-http01-self-check-port': '0' }, '--acme-http01-self-check-port must be a port'],
    [{ 'acme-http01-self-check-https-port': 'x' }, '--acme-http01-self-check-https-port must be a port'],
    [{ 'acme-http01-solver-image': 'https://evil/acme6' }, 'is not an image reference'],
  ])('rejects %j', (values, message) => {
    const flags = readHttp01Flags(values, '1.0.0');
    expect('error' in flags && flags.error).toContain(message);
  });
});
