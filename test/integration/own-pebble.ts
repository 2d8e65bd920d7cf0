// A pebble of a test file's own (short validity, nonce rejection, ...), resolving through the shared
// testbed's DNS, in its own testbed directory that is removed on stop.
import { readFileSync, rmSync } from 'node:fs';
import { testbedBinaries } from '../testbed/binaries.ts';
import { startPebble, type Pebble, type PebbleOptions } from '../testbed/pebble.ts';
import { createCertificateAuthority } from '../testbed/pki.ts';
import { createWorkdir } from '../testbed/workdir.ts';
import { testbed } from './kube.ts';

/** A running pebble, the CA bundle its listener needs, and how to stop it. */
export interface OwnPebble extends Pebble {
  caBundleBase64: string;
  stop(): Promise<void>;
}

/** Starts a pebble with `options`, resolving names through the testbed's BIND primary. */
export async function startOwnPebble(options: PebbleOptions): Promise<OwnPebble> {
  const dir = createWorkdir();
  try {
    const ca = await createCertificateAuthority('acme6 test CA');
    const pebble = await startPebble(testbedBinaries(), dir, ca, {
      dnsServer: testbed().dns!.primary,
      ...options,
    });
    return {
      ...pebble,
      caBundleBase64: Buffer.from(readFileSync(pebble.listenerCaFile)).toString('base64'),
      stop: async () => {
        await pebble.process.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
