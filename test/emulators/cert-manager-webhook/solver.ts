// What the test webhook does with a ChallengeRequest: write or remove the TXT value in BIND through
// RFC 2136 with acme6's own provider, the TSIG secret read from a Secret the config names (as real
// webhooks read their API tokens). `config.failWith` makes it fail with that message instead.
import type { ChallengeRecord } from '../../../src/solvers/dns01/provider.ts';
import { Rfc2136Provider } from '../../../src/solvers/dns01/rfc2136/provider.ts';
import type { TsigAlgorithm } from '../../../src/solvers/dns01/rfc2136/tsig.ts';

/** The config this webhook understands (its own shape, as every webhook has one). */
export interface TestWebhookConfig {
  nameserver?: string;
  tsigKeyName?: string;
  tsigAlgorithm?: TsigAlgorithm;
  tsigSecretSecretRef?: { name: string; key: string };
  /** Fail every request with this message. */
  failWith?: string;
}

/** The parts of a ChallengeRequest the solver reads. */
export interface SolverRequest {
  action: string;
  key: string;
  resourceNamespace: string;
  resolvedFQDN: string;
  resolvedZone: string;
  config?: TestWebhookConfig;
}

/** Reads one value of a Secret; undefined if the Secret or key is missing. */
export type ReadSecret = (namespace: string, name: string, key: string) => Promise<string | undefined>;

/** Presents or cleans up; throws with a message for the response's status on failure. */
export async function solve(request: SolverRequest, readSecret: ReadSecret): Promise<void> {
  const config = request.config ?? {};
  if (config.failWith) throw new Error(config.failWith);
  if (!config.nameserver) throw new Error('config.nameserver is required');
  let tsig: { keyName: string; algorithm: TsigAlgorithm; secret: string } | undefined;
  if (config.tsigKeyName && config.tsigSecretSecretRef) {
    const { name, key } = config.tsigSecretSecretRef;
    const secret = await readSecret(request.resourceNamespace, name, key);
    if (!secret) throw new Error(`key ${key} of Secret ${request.resourceNamespace}/${name} not found`);
    tsig = { keyName: config.tsigKeyName, algorithm: config.tsigAlgorithm ?? 'HMACSHA256', secret };
  }
  const provider = new Rfc2136Provider({ nameserver: config.nameserver, ...(tsig ? { tsig } : {}) });
  const record: ChallengeRecord = {
    fqdn: request.resolvedFQDN,
    zone: request.resolvedZone,
    value: request.key,
  };
  if (request.action === 'Present') await provider.present(record);
  else if (request.action === 'CleanUp') await provider.cleanUp(record);
  else throw new Error(`unknown action type "${request.action}"`);
}
