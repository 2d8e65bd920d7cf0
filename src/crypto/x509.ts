// The one entry to @peculiar/x509: it needs a Reflect polyfill loaded before it (its dependency
// injection uses decorators) and a Web Crypto provider, which is Node's own.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto);

export { x509 };
