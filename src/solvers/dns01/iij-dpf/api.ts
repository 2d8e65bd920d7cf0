// The DPF operations a dns-01 provider needs, over DpfHttp: paged searches, zone lookup, the
// editing view, record mutations, the zone commit, and waiting for each job.
import { boundedText } from '../../../api/bounded-text.ts';
import { Dns01TerminalError, Dns01TransientError } from '../provider.ts';
import type { DpfAnswer, DpfHttp } from './http.ts';
import { canonicalName, commitBody, PAGE_SIZE, searchPath } from './requests.ts';
import {
  parseAsync,
  parseDiff,
  parseJob,
  parseRecord,
  parseResults,
  parseZone,
  DpfProtocolError,
  type DpfDiff,
  type DpfRecord,
  type DpfZone,
} from './responses.ts';

/** Most pages read of one list; far more zones or records than a dns-01 lookup ever needs. */
export const MAX_PAGES = 50;

/** How jobs are waited for. */
export interface JobPolling {
  /** Interval between polls. */
  pollIntervalMs: number;
  /** How long to wait for one job before giving up for now. */
  jobTimeoutMs: number;
}

/** DPF calls; every failure is a Dns01Error or a DpfProtocolError. */
export class DpfApi {
  private readonly http: DpfHttp;
  private readonly polling: JobPolling;

  constructor(http: DpfHttp, polling: JobPolling) {
    this.http = http;
    this.polling = polling;
  }

  /**
   * All items of a paged list (pages of PAGE_SIZE until a short one), at most MAX_PAGES pages: an
   * API that keeps answering full pages would otherwise fill the controller's memory.
   */
  private async listAll(path: string, keywords: Record<string, string>): Promise<unknown[]> {
    const items: unknown[] = [];
    for (let offset = 0; offset < MAX_PAGES * PAGE_SIZE; offset += PAGE_SIZE) {
      const { body } = await this.http.send('GET', searchPath(path, keywords, { offset, limit: PAGE_SIZE }));
      const page = parseResults(body);
      items.push(...page);
      if (page.length < PAGE_SIZE) return items;
    }
    throw new DpfProtocolError(
      `GET ${path} still returns full pages after ${MAX_PAGES} pages (${items.length} items); giving up on the list`,
    );
  }

  /**
   * The zone by service code (exact match, like lego), else by canonical name (exact match).
   * With both, the zone found by code must have the name.
   */
  async findZone(
    lookup: { serviceCode: string; zoneName?: string } | { zoneName: string },
  ): Promise<DpfZone> {
    const { zoneName } = lookup;
    const serviceCode = 'serviceCode' in lookup ? lookup.serviceCode : undefined;
    const keywords: Record<string, string> = serviceCode
      ? { service_code: serviceCode }
      : { name: zoneName ?? '' };
    const zones = (await this.listAll('/zones', keywords)).map(parseZone);
    const zone = serviceCode
      ? zones.find((z) => z.serviceCode === serviceCode)
      : zones.find((z) => canonicalName(z.name) === zoneName);
    const wanted = serviceCode ? `with service code ${serviceCode}` : `named ${zoneName}`;
    if (!zone) throw new Dns01TerminalError(`IIJ DPF: no zone ${wanted} is visible to this API token`);
    if (serviceCode && zoneName !== undefined && canonicalName(zone.name) !== zoneName) {
      throw new Dns01TerminalError(
        `IIJ DPF: the zone with service code ${serviceCode} is ${zone.name}, not ${zoneName}`,
      );
    }
    return { ...zone, name: canonicalName(zone.name) };
  }

  /** The zone's pending edits (`/records/diffs`). */
  async pendingEdits(zone: DpfZone): Promise<DpfDiff[]> {
    return (await this.listAll(`/zones/${zone.id}/records/diffs`, {})).map(parseDiff);
  }

  /**
   * The TXT RRset at `name` in the editing view (it includes staged changes), ignoring a row that is
   * staged for deletion: a new POST beside it is allowed.
   */
  async findTxt(zone: DpfZone, name: string): Promise<DpfRecord | undefined> {
    const rows = (await this.listAll(`/zones/${zone.id}/records`, { name, rrtype: 'TXT' })).map(parseRecord);
    return rows.find((r) => r.rrtype === 'TXT' && canonicalName(r.name) === name && r.state !== 2);
  }

  /** Sends a mutation and waits for its job. */
  async mutate(method: 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<void> {
    const { body: answer } = await this.http.send(method, path, body);
    await this.waitJob(parseAsync(answer), `${method} ${path}`);
  }

  /** Publishes the zone's pending edits (ours only, checked before) and waits for the job. */
  async commit(zone: DpfZone): Promise<void> {
    await this.mutate('PATCH', `/zones/${zone.id}/changes`, commitBody());
  }

  /** `GET /jobs/{id}`; a refusal here is transient: the change was accepted, the job may not be visible yet. */
  private async readJob(requestId: string): Promise<DpfAnswer> {
    try {
      return await this.http.send('GET', `/jobs/${requestId}`);
    } catch (err) {
      if (!(err instanceof Dns01TerminalError)) throw err;
      throw new Dns01TransientError(
        `${err.message} (job ${boundedText(requestId, 128)} was accepted; will look again)`,
        {
          cause: err,
        },
      );
    }
  }

  /** Polls `GET /jobs/{id}` at our endpoint (not the jobs_url host) until it is done. */
  private async waitJob(requestId: string, what: string): Promise<void> {
    const deadline = Date.now() + this.polling.jobTimeoutMs;
    for (;;) {
      const job = parseJob((await this.readJob(requestId)).body);
      if (job.status === 'SUCCESSFUL') return;
      if (job.status === 'FAILED') {
        throw new Dns01TransientError(
          `IIJ DPF job ${boundedText(requestId, 128)} for ${what} FAILED: ${boundedText(`${job.errorType}: ${job.errorMessage}`)}`,
        );
      }
      if (Date.now() >= deadline) {
        throw new Dns01TransientError(
          `IIJ DPF job ${boundedText(requestId, 128)} for ${what} is still RUNNING after ${this.polling.jobTimeoutMs} ms; the next attempt picks it up`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, this.polling.pollIntervalMs));
    }
  }
}
