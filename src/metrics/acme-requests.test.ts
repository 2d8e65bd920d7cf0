import { describe, expect, it } from 'vitest';
import { acmeAction, recordAcmeRequest } from './acme-requests.ts';
import { registry } from './registry.ts';

describe('ACME request metrics', () => {
  it.each([
    ['https://acme-v02.api.letsencrypt.org/directory', 'directory'],
    ['https://acme-v02.api.letsencrypt.org/acme/new-nonce', 'new_nonce'],
    ['https://acme-v02.api.letsencrypt.org/acme/new-acct', 'new_account'],
    ['https://acme-v02.api.letsencrypt.org/acme/new-order', 'new_order'],
    ['https://acme-v02.api.letsencrypt.org/acme/order/1/2', 'order'],
    ['https://acme-v02.api.letsencrypt.org/acme/authz/1/2', 'authorization'],
    ['https://acme-v02.api.letsencrypt.org/acme/chall/1/2/x', 'challenge'],
    ['https://acme-v02.api.letsencrypt.org/acme/finalize/1/2', 'finalize'],
    ['https://acme-v02.api.letsencrypt.org/acme/cert/fa01', 'certificate'],
    ['https://acme-v02.api.letsencrypt.org/draft-ietf-acme-ari-03/renewalInfo/abc.def', 'renewal_info'],
    ['https://127.0.0.1:14000/dir', 'directory'],
    ['https://127.0.0.1:14000/nonce-plz', 'new_nonce'],
    ['https://127.0.0.1:14000/sign-me-up', 'new_account'],
    ['https://127.0.0.1:14000/order-plz', 'new_order'],
    ['https://127.0.0.1:14000/my-order/x', 'order'],
    ['https://127.0.0.1:14000/authZ/x', 'authorization'],
    ['https://127.0.0.1:14000/chalZ/x', 'challenge'],
    ['https://127.0.0.1:14000/finalize-order/x', 'finalize'],
    ['https://127.0.0.1:14000/certZ/x', 'certificate'],
    ['https://127.0.0.1:14000/my-account/1', 'account'],
    ['https://127.0.0.1:14000/rollover-account-key', 'key_change'],
    ['https://127.0.0.1:14000/revoke-cert', 'revoke'],
    ['https://127.0.0.1:14000/something-else', 'other'],
  ])('names %s as %s', (url, action) => {
    expect(acmeAction(new URL(url))).toBe(action);
  });

  it('counts requests by scheme, host, action, method and status, and rate limits by host', async () => {
    const read = async (name: string, labels: string): Promise<number> => {
      const line = (await registry.metrics())
        .split('\n')
        .find((l) => l.startsWith(`${name}{`) && l.includes(labels));
      return Number(line?.split(' ').at(-1) ?? 0);
    };
    const orderLabels =
      'scheme="https",host="ca.example:14000",action="new_order",method="POST",status="429"';
    const before = await read('certmanager_http_acme_client_request_count', orderLabels);
    const limitedBefore = await read('acme6_acme_rate_limited_total', 'host="ca.example:14000"');
    recordAcmeRequest({
      method: 'POST',
      url: 'https://ca.example:14000/acme/new-order',
      status: 429,
      seconds: 0.2,
    });
    recordAcmeRequest({
      method: 'POST',
      url: 'https://ca.example:14000/acme/new-order',
      status: 403,
      problemType: 'urn:ietf:params:acme:error:rateLimited',
      seconds: 0.1,
    });
    recordAcmeRequest({ method: 'GET', url: 'https://ca.example:14000/directory', seconds: 30 });
    expect(await read('certmanager_http_acme_client_request_count', orderLabels)).toBe(before + 1);
    expect(await read('acme6_acme_rate_limited_total', 'host="ca.example:14000"')).toBe(limitedBefore + 2);
    expect(
      await read(
        'certmanager_http_acme_client_request_count',
        'action="directory",method="GET",status="error"',
      ),
    ).toBe(1);
    expect(
      await read('certmanager_http_acme_client_request_duration_seconds_sum', 'action="directory"'),
    ).toBe(30);
  });
});
