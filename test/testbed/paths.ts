// Fixed places in the repository the harness uses.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Where `make testbed-up` leaves its kubeconfig, env file and logs (git-ignored). */
export const stateDir = join(repoRoot, '.testbed');
/** The CRDs installed into every testbed. */
export const crdDir = join(repoRoot, 'crds');
