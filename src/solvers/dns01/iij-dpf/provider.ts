// The IIJ DNS Platform Service (DPF) dns-01 provider: stage the TXT change in the zone's editing
// copy, commit the zone, wait for the jobs. Unlike lego it reads the editing view (so a crash
// between staging and commit is picked up again) and refuses to commit others' pending edits.
import {
  Dns01TerminalError,
  Dns01TransientError,
  isDns01Error,
  type ChallengeRecord,
  type Dns01Provider,
} from '../provider.ts';
import { DpfApi } from './api.ts';
import { DpfHttp } from './http.ts';
import { describeEdit, foreignEdits } from './pending.ts';
import { serialise } from '../zone-queue.ts';
import { canonicalName, createTxtBody, isInZone, quoteTxtValue, updateRdataBody } from './requests.ts';
import type { DpfDiff, DpfZone } from './responses.ts';

/** The Issuer's `iijDpf` settings, with the token read from its Secret. */
export interface IijDpfSettings {
  /** API base URL (default https://api.dns-platform.jp/dpf/v1). */
  endpoint?: string;
  /** Bearer access token. */
  token: string;
  /** Service code of the zone (dpm…); the zone is looked up by it. */
  serviceCode?: string;
  /** Zone name; with serviceCode the zone found must have it; alone, the zone is looked up by it. */
  zoneName?: string;
  /** Extra CA certificates (PEM) to trust for the endpoint: tests' emulator only. */
  caBundlePem?: string;
  /** Timeout per HTTP request (default 30 s). */
  timeoutMs?: number;
  /** Interval between job polls (default 1 s, as IIJ's clients do). */
  pollIntervalMs?: number;
  /** How long to wait for one job before giving up for now (default 120 s). */
  jobTimeoutMs?: number;
  /** First backoff before retrying a refused request (default 500 ms). */
  backoffMs?: number;
}

/** What one present or cleanUp works with, inside the zone's queue. */
interface ZoneStep {
  zone: DpfZone;
  /** The canonical owner name. */
  name: string;
  /** Our value as DPF stores it, quoted. */
  quoted: string;
  /** Whether acme6's own edits are pending (a run stopped between staging and commit). */
  ownPending: boolean;
  /** Throws if a commit now would publish someone else's pending edits (as read at the start). */
  mayCommit: () => void;
  /** Reads the pending edits again and commits only if none is someone else's. */
  commit: () => Promise<void>;
}

/** TTL of a TXT RRset acme6 creates (lego's default). */
const TTL_SECONDS = 300;
const DEFAULT_ENDPOINT = 'https://api.dns-platform.jp/dpf/v1';

/** A Dns01Provider for IIJ's DNS Platform Service API. */
export class IijDpfProvider implements Dns01Provider {
  readonly endpoint: string;
  private readonly http: DpfHttp;
  private readonly api: DpfApi;
  private readonly serviceCode: string | undefined;
  private readonly zoneName: string | undefined;

  /** Throws Dns01TerminalError for settings that cannot work. */
  constructor(settings: IijDpfSettings) {
    const endpoint = (settings.endpoint ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new Dns01TerminalError(`IIJ DPF endpoint ${endpoint} is not a URL`);
    }
    if (url.protocol !== 'https:')
      throw new Dns01TerminalError(`IIJ DPF endpoint ${endpoint} must use https`);
    if (settings.token.trim() === '') throw new Dns01TerminalError('IIJ DPF API token is empty');
    this.endpoint = endpoint;
    this.serviceCode = settings.serviceCode;
    this.zoneName = settings.zoneName === undefined ? undefined : canonicalName(settings.zoneName);
    this.http = new DpfHttp({
      endpoint,
      token: settings.token,
      caBundlePem: settings.caBundlePem,
      timeoutMs: settings.timeoutMs ?? 30_000,
      backoffMs: settings.backoffMs,
    });
    this.api = new DpfApi(this.http, {
      pollIntervalMs: settings.pollIntervalMs ?? 1000,
      jobTimeoutMs: settings.jobTimeoutMs ?? 120_000,
    });
  }

  present(record: ChallengeRecord): Promise<void> {
    return this.inZone(record, 'present', async ({ zone, name, quoted, ownPending, mayCommit, commit }) => {
      const row = await this.api.findTxt(zone, name);
      const has = row?.rdata.some((d) => d.value === quoted) ?? false;
      if (has && !ownPending) return;
      mayCommit();
      if (!row) {
        await this.api.mutate(
          'POST',
          `/zones/${zone.id}/records`,
          createTxtBody(name, TTL_SECONDS, [quoted]),
        );
      } else if (!has) {
        const rdata = updateRdataBody([...row.rdata, { value: quoted }]);
        await this.api.mutate('PATCH', `/zones/${zone.id}/records/${row.id}`, rdata);
      }
      await commit();
    });
  }

  cleanUp(record: ChallengeRecord): Promise<void> {
    return this.inZone(record, 'cleanUp', async ({ zone, name, quoted, ownPending, mayCommit, commit }) => {
      const row = await this.api.findTxt(zone, name);
      const has = row?.rdata.some((d) => d.value === quoted) ?? false;
      if (!has && !ownPending) return;
      mayCommit();
      if (row && has) {
        const rest = row.rdata.filter((d) => d.value !== quoted);
        // rdata needs at least one item: the last value goes by deleting the RRset.
        if (rest.length === 0) await this.api.mutate('DELETE', `/zones/${zone.id}/records/${row.id}`);
        else await this.api.mutate('PATCH', `/zones/${zone.id}/records/${row.id}`, updateRdataBody(rest));
      }
      await commit();
    });
  }

  /** Releases the connection pool. */
  close(): void {
    this.http.close();
  }

  /**
   * Finds the zone and its pending edits, and runs `work` serialised per zone. `work` calls
   * `mayCommit` before it changes anything: it throws while others' edits are pending, because a
   * commit would publish them too. Nothing to do means no commit, so foreign edits do not matter then.
   */
  private inZone(
    record: ChallengeRecord,
    action: 'present' | 'cleanUp',
    work: (step: ZoneStep) => Promise<void>,
  ): Promise<void> {
    const key = `${this.endpoint} ${this.serviceCode ?? ''} ${this.zoneName ?? canonicalName(record.zone)}`;
    return serialise(key, async () => {
      try {
        const zone = await this.api.findZone(
          this.serviceCode
            ? { serviceCode: this.serviceCode, zoneName: this.zoneName }
            : { zoneName: this.zoneName ?? canonicalName(record.zone) },
        );
        const name = canonicalName(record.fqdn);
        if (!isInZone(name, zone.name)) {
          throw new Dns01TerminalError(
            `IIJ DPF ${action} of ${name}: the name is outside zone ${zone.name} (is a CNAME pointing elsewhere?)`,
          );
        }
        const refusal = (foreign: DpfDiff[]): Dns01TransientError => {
          const listed = foreign.slice(0, 3).map(describeEdit).join(', ') + (foreign.length > 3 ? ', …' : '');
          return new Dns01TransientError(
            `IIJ DPF ${action} of ${name} waits: zone ${zone.name} has ${foreign.length} pending edit(s) that are not ` +
              `acme6's (${listed}); a commit would publish them too, so acme6 waits until they are committed or discarded`,
          );
        };
        const pending = await this.api.pendingEdits(zone);
        const foreign = foreignEdits(pending);
        const mayCommit = (): void => {
          if (foreign.length > 0) throw refusal(foreign);
        };
        // Someone may have started an edit while ours was being written: look again right before.
        const commit = async (): Promise<void> => {
          const now = foreignEdits(await this.api.pendingEdits(zone), name);
          if (now.length > 0) throw refusal(now);
          await this.api.commit(zone);
        };
        const ownPending = pending.length > foreign.length;
        await work({ zone, name, quoted: quoteTxtValue(record.value), ownPending, mayCommit, commit });
      } catch (err) {
        if (isDns01Error(err)) throw err;
        throw new Dns01TransientError(
          `IIJ DPF ${action} of ${record.fqdn} failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    });
  }
}
