// The ACME port and its helpers: what controllers import from src/acme.
export * from './port.ts';
export {
  AcmeClientAdapter,
  DEFAULT_MAX_BAD_NONCE_RETRIES,
  DEFAULT_TIMEOUT_MS,
} from './acme-client-adapter.ts';
export type { AcmeClientOptions } from './acme-client-adapter.ts';
export type { AcmeExchange } from './acme-client-internals.ts';
export * from './errors.ts';
export * from './ari.ts';
export * from './keys.ts';
export * from './csr.ts';
export * from './certificate-info.ts';
export * from './chain.ts';
export { parseRetryAfter } from './retry-after.ts';
