// One HTTPS exchange and the bounded retry loop that the IIJ clients share. What counts as success,
// and which failures are safe to repeat, stays with each API: a retry must never duplicate a change.
import { type Agent, request } from 'node:https';
import { dns01Error, type Dns01ErrorKind } from './provider.ts';

/** One HTTP outcome: an answer, or a failure before any answer arrived. */
export type Outcome = { status: number; text: string } | { error: Error };

/** One request on a pooled agent. */
export interface ExchangeRequest {
  url: string;
  method: string;
  agent: Agent;
  headers: Record<string, string | number>;
  body?: string;
  timeoutMs: number;
}

/** Sends one request; never rejects: a network failure or timeout is an Outcome too. */
export function exchange(req: ExchangeRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    const outgoing = request(
      req.url,
      { method: req.method, agent: req.agent, headers: req.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (error) => resolve({ error }));
      },
    );
    outgoing.setTimeout(req.timeoutMs, () =>
      outgoing.destroy(new Error(`no answer within ${req.timeoutMs} ms`)),
    );
    outgoing.on('error', (error) => resolve({ error }));
    outgoing.end(req.body);
  });
}

/** The body as JSON, or undefined when it is empty or not JSON. */
export function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** How an API judges an answer: a value, or an error and whether sending again is safe. */
export type Verdict<T> = { value: T } | { kind: Dns01ErrorKind; message: string; retry: boolean };

/** The retry budget of one request. */
export interface RetryPlan {
  /** Names the request in errors, e.g. `IIJ DPF GET /zones`. */
  what: string;
  attempts: number;
  /** First pause between attempts; doubles each time. */
  backoffMs: number;
  /** Whether a request that got no answer may go again: not when it may have been applied. */
  retryWithoutAnswer: boolean;
}

/** Sends until the verdict is a value, a final error, or the attempts run out. */
export async function sendWithRetries<T>(
  plan: RetryPlan,
  send: () => Promise<Outcome>,
  judge: (status: number, text: string) => Verdict<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const outcome = await send();
    const last = attempt >= plan.attempts;
    if ('error' in outcome) {
      if (plan.retryWithoutAnswer && !last) {
        await pause(plan.backoffMs * 2 ** (attempt - 1));
        continue;
      }
      throw dns01Error('transient', `${plan.what} failed: ${outcome.error.message}`, {
        cause: outcome.error,
      });
    }
    const verdict = judge(outcome.status, outcome.text);
    if ('value' in verdict) return verdict.value;
    if (verdict.retry && !last) {
      await pause(plan.backoffMs * 2 ** (attempt - 1));
      continue;
    }
    throw dns01Error(verdict.kind, `${plan.what}: ${verdict.message}`);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
