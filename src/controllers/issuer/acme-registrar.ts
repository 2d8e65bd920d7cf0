// AccountRegistrar over the ACME port: one short-lived client per registration (issuers change
// rarely; keeping no connection pool per issuer keeps the controller's memory flat).
import { AcmeClientAdapter } from '../../acme/acme-client-adapter.ts';
import type { AccountRegistrar, AccountRequest } from './account-registrar.ts';

/** Registers accounts with real ACME servers. */
export class AcmeAccountRegistrar implements AccountRegistrar {
  async register(request: AccountRequest): Promise<{ accountURL: string }> {
    const client = new AcmeClientAdapter({
      directoryUrl: request.server,
      accountKeyPem: request.accountKeyPem,
      ...(request.caBundlePem ? { caBundlePem: request.caBundlePem } : {}),
    });
    try {
      const account = await client.registerAccount({
        termsOfServiceAgreed: true,
        ...(request.email ? { email: request.email } : {}),
        ...(request.eab ? { externalAccountBinding: request.eab } : {}),
      });
      return { accountURL: account.url };
    } finally {
      client.close();
    }
  }
}
