// @peculiar/x509's types name Web Crypto types as DOM globals. We compile without the DOM lib, so
// these aliases point the names at Node's own Web Crypto types.
import type { webcrypto } from 'node:crypto';

declare global {
  type Crypto = webcrypto.Crypto;
  type CryptoKey = webcrypto.CryptoKey;
  type CryptoKeyPair = webcrypto.CryptoKeyPair;
  type Algorithm = webcrypto.Algorithm;
  type AlgorithmIdentifier = webcrypto.AlgorithmIdentifier;
  type BufferSource = webcrypto.BufferSource;
  type KeyUsage = webcrypto.KeyUsage;
  type EcKeyGenParams = webcrypto.EcKeyGenParams;
  type EcKeyImportParams = webcrypto.EcKeyImportParams;
  type EcdsaParams = webcrypto.EcdsaParams;
  type RsaHashedImportParams = webcrypto.RsaHashedImportParams;
}
