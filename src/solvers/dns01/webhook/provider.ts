// The dns-01 provider that hands the TXT record to a cert-manager DNS01 webhook: one ChallengePayload
// per present or cleanUp, POSTed through the Kubernetes API aggregation layer. The webhook writes the
// record at its DNS provider; acme6 still checks propagation itself.
import { randomUUID } from 'node:crypto';
import { dns01Error, type ChallengeRecord, type Dns01Provider } from '../provider.ts';
import { parseJson } from '../https-exchange.ts';
import type { KubeApiPost } from './kube-api-poster.ts';
import {
  challengePayload,
  judgeWebhookAnswer,
  solverPath,
  type ChallengeAction,
  type SolverRef,
} from './payload.ts';

/** Which webhook to call and what to tell it besides the record. */
export interface WebhookSettings extends SolverRef {
  /** The issuer's `config`, passed through unchanged. */
  config?: Record<string, unknown>;
  /** Where Secrets named in config live (the Issuer's namespace, or acme6's for ClusterIssuers). */
  resourceNamespace: string;
  /**
   * The identifier being validated (for `*.example.com`, `example.com`). Without it, it is read off
   * the record's name (`_acme-challenge.<name>.`).
   */
  dnsName?: string;
  /** Sends the POST (the controller's apiserver credentials). */
  api: KubeApiPost;
  /** How long the apiserver and webhook may take to answer (default 30 s). */
  timeoutMs?: number;
}

/** The identifier a record is for, read off its name. */
function dnsNameOf(fqdn: string): string {
  return fqdn.replace(/^_acme-challenge\./i, '').replace(/\.$/, '');
}

/** A Dns01Provider that calls a cert-manager DNS01 webhook. */
export class WebhookDnsProvider implements Dns01Provider {
  private readonly settings: WebhookSettings;

  constructor(settings: WebhookSettings) {
    this.settings = settings;
  }

  present(record: ChallengeRecord): Promise<void> {
    return this.call('Present', record);
  }

  cleanUp(record: ChallengeRecord): Promise<void> {
    return this.call('CleanUp', record);
  }

  private async call(action: ChallengeAction, record: ChallengeRecord): Promise<void> {
    const { groupName, solverName, config, resourceNamespace } = this.settings;
    const what = `DNS01 webhook ${solverName}.${groupName}: ${action} of ${record.fqdn}`;
    const payload = challengePayload({
      uid: randomUUID(),
      action,
      type: 'dns-01',
      dnsName: this.settings.dnsName ?? dnsNameOf(record.fqdn),
      key: record.value,
      resourceNamespace,
      resolvedFQDN: record.fqdn,
      resolvedZone: record.zone,
      // acme6 has no ambient credentials of its own to lend; a webhook uses its own pod's identity.
      allowAmbientCredentials: false,
      ...(config === undefined ? {} : { config }),
    });
    const outcome = await this.settings.api.post(
      solverPath(groupName, solverName),
      payload,
      this.settings.timeoutMs ?? 30_000,
    );
    if ('error' in outcome) {
      throw dns01Error('transient', `${what} failed: ${outcome.error.message}`, { cause: outcome.error });
    }
    const verdict = judgeWebhookAnswer(outcome.status, parseJson(outcome.text), { groupName, solverName });
    if (!verdict.ok) throw dns01Error(verdict.kind, `${what} ${verdict.message}`);
  }
}
