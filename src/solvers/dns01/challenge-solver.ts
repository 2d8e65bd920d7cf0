// dns-01 for the issuance: find where the TXT record goes (following a CNAME on _acme-challenge
// only when the issuer opts in with cnameStrategy Follow), publish it through the issuer's DNS
// provider, and ask every authoritative server whether it has it.
// One check per call; the controller comes back after the configured interval.
import type { Dns01Solver } from '../../api/solver.ts';
import { durationNanos } from '../../api/validation.ts';
import type {
  ChallengeSolver,
  ChallengeTask,
  PresentResult,
} from '../../controllers/certificate/challenge-solver.ts';
import { secretValue, type SecretStore } from '../../kube/secrets.ts';
import { lookupThrough, systemNameservers } from './client/lookup.ts';
import { parseNameserver } from './client/nameserver.ts';
import { WireDnsQuerier } from './client/querier.ts';
import { checkPropagation, summarizePropagation } from './propagation.ts';
import { Dns01TerminalError, type ChallengeRecord, type Dns01Provider } from './provider.ts';
import { IijDoProvider } from './iij-do/provider.ts';
import { IijDpfProvider } from './iij-dpf/provider.ts';
import { Rfc2136Provider } from './rfc2136/provider.ts';
import type { KubeApiPost } from './webhook/kube-api-poster.ts';
import { WebhookDnsProvider } from './webhook/provider.ts';
import { locateChallengeRecord } from './zone.ts';

/** A ChallengeSolver for dns-01, building providers from the issuer's solver config and Secrets. */
export class Dns01ChallengeSolver implements ChallengeSolver {
  private readonly secrets: SecretStore;
  private readonly querier = new WireDnsQuerier();
  private readonly webhookApi: KubeApiPost | undefined;

  /** `webhookApi` reaches cert-manager DNS01 webhooks through the apiserver (dns01.webhook). */
  constructor(secrets: SecretStore, webhookApi?: KubeApiPost) {
    this.secrets = secrets;
    this.webhookApi = webhookApi;
  }

  async present(task: ChallengeTask): Promise<PresentResult> {
    const config = this.config(task);
    const record = await this.locate(task, config);
    await this.withProvider(task, config, (provider) => provider.present(record));
    const nameservers = config.propagation?.nameservers?.map((ns) => parseNameserver(ns));
    const report = await checkPropagation(record, {
      ...(nameservers ? { nameservers } : {}),
      lookup: this.lookup(config),
      querier: this.querier,
    });
    const ms = (duration: string | undefined, fallback: bigint): number =>
      Number((durationNanos(duration) ?? fallback) / 1_000_000n);
    return {
      ready: report.propagated,
      detail: summarizePropagation(report),
      recheckAfterMs: ms(config.propagation?.interval, 10_000_000_000n),
      giveUpAfterMs: ms(config.propagation?.timeout, 600_000_000_000n),
    };
  }

  async cleanUp(task: ChallengeTask): Promise<void> {
    const config = this.config(task);
    const record = await this.locate(task, config);
    await this.withProvider(task, config, (provider) => provider.cleanUp(record));
  }

  private config(task: ChallengeTask): Dns01Solver {
    if (!task.solver.dns01) throw new Dns01TerminalError(`solver for ${task.domain} is not a dns01 solver`);
    return task.solver.dns01;
  }

  // Zone discovery asks the configured nameservers when there are any (split horizon, testbeds).
  private lookup(config: Dns01Solver) {
    const configured = config.propagation?.nameservers?.map((ns) => parseNameserver(ns));
    return lookupThrough(configured?.length ? configured : systemNameservers(), this.querier);
  }

  private async locate(task: ChallengeTask, config: Dns01Solver): Promise<ChallengeRecord> {
    const location = await locateChallengeRecord(task.domain, {
      cnameStrategy: config.cnameStrategy ?? 'None',
      lookup: this.lookup(config),
    });
    return { fqdn: location.fqdn, zone: location.zone, value: task.value };
  }

  // Providers are made per call from the issuer's current config and Secrets, and closed after, so
  // a changed credential takes effect at once and no connection pool outlives its use.
  private async withProvider(
    task: ChallengeTask,
    config: Dns01Solver,
    use: (provider: Dns01Provider) => Promise<void>,
  ): Promise<void> {
    const provider = await this.provider(task, config);
    try {
      await use(provider);
    } finally {
      (provider as { close?: () => void }).close?.();
    }
  }

  /** The value of `ref` in a Secret of the task's namespace; a terminal error names what is missing. */
  private async secret(
    task: ChallengeTask,
    ref: { name: string; key: string },
    what: string,
  ): Promise<string> {
    const value = secretValue(await this.secrets.get(task.secretNamespace, ref.name), ref.key);
    if (!value)
      throw new Dns01TerminalError(
        `${what} ${ref.key} not found in Secret ${task.secretNamespace}/${ref.name}`,
      );
    return value.trim();
  }

  private async provider(task: ChallengeTask, config: Dns01Solver): Promise<Dns01Provider> {
    if (config.iijDpf) {
      const { tokenSecretRef, serviceCode, zoneName, endpoint } = config.iijDpf;
      return new IijDpfProvider({
        token: await this.secret(task, tokenSecretRef, 'IIJ DPF token'),
        ...(endpoint ? { endpoint } : {}),
        ...(serviceCode ? { serviceCode } : {}),
        ...(zoneName ? { zoneName } : {}),
      });
    }
    if (config.rfc2136) {
      const { nameserver, tsigKeyName, tsigAlgorithm, tsigSecretSecretRef } = config.rfc2136;
      if (!tsigKeyName || !tsigSecretSecretRef) return new Rfc2136Provider({ nameserver });
      const secret = await this.secret(task, tsigSecretSecretRef, 'TSIG secret');
      return new Rfc2136Provider({
        nameserver,
        tsig: { keyName: tsigKeyName, algorithm: tsigAlgorithm, secret },
      });
    }
    if (config.iijDo) {
      const { accessKeySecretRef, secretKeySecretRef, serviceCode, endpoint } = config.iijDo;
      return new IijDoProvider({
        accessKey: await this.secret(task, accessKeySecretRef, 'IIJ DO-API access key'),
        secretKey: await this.secret(task, secretKeySecretRef, 'IIJ DO-API secret key'),
        serviceCode,
        ...(endpoint ? { endpoint } : {}),
      });
    }
    if (config.webhook) {
      if (!this.webhookApi) throw new Dns01TerminalError('this acme6 process cannot call DNS01 webhooks');
      const { groupName, solverName, config: webhookConfig } = config.webhook;
      return new WebhookDnsProvider({
        groupName,
        solverName,
        ...(webhookConfig ? { config: webhookConfig } : {}),
        resourceNamespace: task.secretNamespace,
        dnsName: task.domain,
        api: this.webhookApi,
      });
    }
    throw new Dns01TerminalError('the dns01 solver names no DNS provider');
  }
}
