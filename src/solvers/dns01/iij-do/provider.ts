// The IIJ DO-API dns-01 provider: find the zone among the service's zones, add or delete one TXT
// record carrying our value, then commit (DO serves nothing until `PUT commit.json`). Unlike
// lego, present and cleanUp are idempotent (the records are listed first), and they never commit
// while someone else's edits are staged in any zone of the service, since the commit publishes those too.
import { boundedText } from '../../../api/bounded-text.ts';
import {
  Dns01TerminalError,
  Dns01TransientError,
  isDns01Error,
  type ChallengeRecord,
  type Dns01Provider,
} from '../provider.ts';
import { DoHttp } from './http.ts';
import { serialise } from '../zone-queue.ts';
import { describeEdit, foreignEdits } from './pending.ts';
import { apiPath, splitName, txtRecordBody, unquoteRdata } from './requests.ts';
import { parseRecordList, parseZoneList, type DoRecord } from './responses.ts';

/** The Issuer's `iijDo` settings, with both keys read from their Secrets. */
export interface IijDoSettings {
  /** API origin (default https://do.api.iij.jp). */
  endpoint?: string;
  accessKey: string;
  secretKey: string;
  /** The DO contract code, `do` followed by digits. */
  serviceCode: string;
  /** Extra CA certificates (PEM) to trust for the endpoint: tests' emulator only. */
  caBundlePem?: string;
  /** Timeout per HTTP request (default 30 s). */
  timeoutMs?: number;
  /** First backoff before retrying a refused request (default 500 ms); tests shorten it. */
  backoffMs?: number;
  /** Added to the clock when signing; tests simulate a skewed host clock with it. */
  clockSkewMs?: number;
}

/** What one present or cleanUp works with, inside the service's queue. */
interface ZoneStep {
  zone: string;
  owner: string;
  ours: DoRecord[];
  /** Commits the service, refusing while others' staged edits would be published too. */
  commit: () => Promise<void>;
}

/** TTL of TXT records acme6 creates: lego's default and the smallest the API allows. */
const TTL_SECONDS = 300;
const DEFAULT_ENDPOINT = 'https://do.api.iij.jp';

/** A Dns01Provider for IIJ's DNS Outsourcing API (DO-API 20140601). */
export class IijDoProvider implements Dns01Provider {
  readonly endpoint: string;
  private readonly serviceCode: string;
  private readonly http: DoHttp;

  /** Throws Dns01TerminalError for settings that cannot work. */
  constructor(settings: IijDoSettings) {
    const endpoint = settings.endpoint ?? DEFAULT_ENDPOINT;
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new Dns01TerminalError(`IIJ DO-API endpoint ${endpoint} is not a URL`);
    }
    if (url.protocol !== 'https:')
      throw new Dns01TerminalError(`IIJ DO-API endpoint ${endpoint} must use https`);
    if (settings.accessKey.trim() === '') throw new Dns01TerminalError('IIJ DO-API access key is empty');
    if (settings.secretKey === '') throw new Dns01TerminalError('IIJ DO-API secret key is empty');
    if (!/^do\d+$/.test(settings.serviceCode))
      throw new Dns01TerminalError(
        `IIJ DO-API service code ${settings.serviceCode} is not "do" followed by digits`,
      );
    this.endpoint = url.origin;
    this.serviceCode = settings.serviceCode;
    this.http = new DoHttp({
      endpoint: this.endpoint,
      accessKey: settings.accessKey,
      secretKey: settings.secretKey,
      caBundlePem: settings.caBundlePem,
      timeoutMs: settings.timeoutMs ?? 30_000,
      backoffMs: settings.backoffMs,
      clockSkewMs: settings.clockSkewMs,
    });
  }

  present(record: ChallengeRecord): Promise<void> {
    return this.inZone(record, 'present', async ({ zone, owner, ours, commit }) => {
      const live = ours.filter((r) => r.Status !== 'DELETING');
      // Another value at the same owner (wildcard + apex) is a separate record: leave it alone.
      if (live.length === 0) {
        await this.mayCommit(record, 'present');
        await this.http.send(
          'POST',
          apiPath(this.serviceCode, zone, 'record.json'),
          txtRecordBody(owner, TTL_SECONDS, record.value),
        );
      } else if (live.every((r) => r.Status === 'UNCHANGED')) {
        return;
      }
      // Also reached when our record is staged but uncommitted (a run stopped before its commit).
      await commit();
    });
  }

  cleanUp(record: ChallengeRecord): Promise<void> {
    return this.inZone(record, 'cleanUp', async ({ zone, ours, commit }) => {
      const live = ours.filter((r) => r.Status !== 'DELETING');
      if (live.length > 0) await this.mayCommit(record, 'cleanUp');
      for (const r of live)
        await this.http.send('DELETE', apiPath(this.serviceCode, zone, 'record', `${r.Id}.json`));
      // A deletion staged by an earlier, interrupted cleanUp still needs its commit.
      if (ours.length > 0) await commit();
    });
  }

  /** Releases the connection pool. */
  close(): void {
    this.http.close();
  }

  /**
   * Throws a transient error while any zone of the service has staged edits that are not acme6's:
   * the commit is service-wide and would publish them too (someone half-way through a change in
   * the console). Checked before acme6 stages anything and again right before it commits.
   */
  private async mayCommit(record: ChallengeRecord, action: 'present' | 'cleanUp'): Promise<void> {
    const zones = parseZoneList(await this.http.send('GET', apiPath(this.serviceCode, 'zones.json')));
    const foreign: string[] = [];
    for (const zone of zones) {
      const list = parseRecordList(
        await this.http.send('GET', apiPath(this.serviceCode, zone, 'records', 'DETAIL.json')),
      );
      foreign.push(...foreignEdits(list).map((r) => describeEdit(zone, r)));
    }
    if (foreign.length === 0) return;
    const listed = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? ', …' : '');
    throw new Dns01TransientError(
      `IIJ DO-API ${action} of ${record.fqdn} waits: service ${this.serviceCode} has ${foreign.length} staged ` +
        `edit(s) that are not acme6's (${listed}); a commit is service-wide and would publish them too, so ` +
        `acme6 waits until they are committed or reset`,
    );
  }

  /** Publishes every staged edit of the service, after checking that all of them are acme6's. */
  private async commit(record: ChallengeRecord, action: 'present' | 'cleanUp'): Promise<void> {
    await this.mayCommit(record, action);
    await this.http.send('PUT', apiPath(this.serviceCode, 'commit.json'));
  }

  /**
   * Finds the zone and our records (re-listed every time: Ids change after edits) and runs `work`
   * serialised per service, since the commit is service-wide. `ours` are the TXT records with our
   * value, in any editing state.
   */
  private async inZone(
    record: ChallengeRecord,
    action: 'present' | 'cleanUp',
    work: (step: ZoneStep) => Promise<void>,
  ): Promise<void> {
    try {
      const zones = parseZoneList(await this.http.send('GET', apiPath(this.serviceCode, 'zones.json')));
      const split = splitName(record.fqdn, zones);
      if (!split) {
        throw new Dns01TerminalError(
          `IIJ DO-API ${action} of ${record.fqdn}: no zone of service ${this.serviceCode} holds the name ` +
            `(zones: ${boundedText(zones.join(', '), 512) || 'none'})`,
        );
      }
      const { zone, owner } = split;
      await serialise(`${this.endpoint} ${this.serviceCode}`, async () => {
        const list = parseRecordList(
          await this.http.send('GET', apiPath(this.serviceCode, zone, 'records', 'DETAIL.json')),
        );
        const ours = list.filter(
          (r) =>
            r.RecordType === 'TXT' &&
            r.Owner.toLowerCase() === owner &&
            unquoteRdata(r.RData) === record.value &&
            r.Status !== 'DELETED',
        );
        await work({ zone, owner, ours, commit: () => this.commit(record, action) });
      });
    } catch (err) {
      if (isDns01Error(err)) throw err;
      throw new Dns01TransientError(
        `IIJ DO-API ${action} of ${record.fqdn} failed: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
}
