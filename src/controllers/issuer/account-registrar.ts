// The one thing the issuer controller asks of an ACME server: an account for a key.

/** External Account Binding credentials, resolved from their Secret. */
export interface ResolvedEab {
  keyID: string;
  hmacKey: string;
  algorithm: 'HS256' | 'HS384' | 'HS512';
}

/** What registration needs, with every Secret already read. */
export interface AccountRequest {
  server: string;
  /** PEM bundle to trust for this server only (from spec.acme.caBundle). */
  caBundlePem?: string;
  accountKeyPem: string;
  email?: string;
  eab?: ResolvedEab;
}

/** Registers (or finds, for a known key) the ACME account; resolves with its URL. */
export interface AccountRegistrar {
  register(request: AccountRequest, signal?: AbortSignal): Promise<{ accountURL: string }>;
}
