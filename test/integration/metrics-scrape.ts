// Reaching a controller process's probe and metrics endpoints: each binds a free loopback port and
// logs its URL; tests read it from the log and GET from there, as a kubelet or Prometheus would.
import { readFileSync } from 'node:fs';
import type { ManagedProcess } from '../testbed/process.ts';

/** The URL a process logged with `message` ("serving metrics" or "serving health probes"). */
export function endpointOf(
  proc: ManagedProcess,
  message: 'serving metrics' | 'serving health probes',
): string {
  for (const line of readFileSync(proc.logFile, 'utf8').split('\n')) {
    if (!line.includes(`"msg":"${message}"`)) continue;
    const { url } = JSON.parse(line) as { url?: string };
    if (url) return url;
  }
  throw new Error(`${proc.name} did not log "${message}":\n${proc.tail()}`);
}

/** GETs a URL; resolves with the status and body. */
export async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

/** The process's /metrics text. */
export async function scrape(proc: ManagedProcess): Promise<string> {
  const { status, body } = await get(`${endpointOf(proc, 'serving metrics')}/metrics`);
  if (status !== 200) throw new Error(`/metrics answered ${status}: ${body}`);
  return body;
}

/** The value of the series `name` whose labels include `labels`, or undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const found = new Map([...line.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found.get(k) === v)) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}
