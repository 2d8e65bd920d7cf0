// One HTTPS exchange and the bounded retry loop that the IIJ clients share. What counts as success,
// and which failures are safe to repeat, stays with each API: a retry must never duplicate a change.
import { type Agent, request } from 'node:https';
import { boundedText } from '../../api/bounded-text.ts';
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

/** Largest answer read from an IIJ API; a bigger one is a failure, not a memory hog. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * Sends one request; never rejects: a network failure, a body over MAX_RESPONSE_BYTES or the
 * deadline is an Outcome too. `timeoutMs` bounds the whole exchange (connect, send, every byte of
 * the answer), not only idle gaps: a server trickling bytes cannot hold a worker.
 */
export function exchange(req: ExchangeRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(outcome);
    };
    const outgoing = request(
      req.url,
      { method: req.method, agent: req.agent, headers: req.headers },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            outgoing.destroy(new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () =>
          finish({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (error) => finish({ error }));
        res.on('close', () => {
          if (!res.complete) finish({ error: new Error('the answer was cut off') });
        });
      },
    );
    const deadline = setTimeout(
      () => outgoing.destroy(new Error(`no complete answer within ${req.timeoutMs} ms`)),
      req.timeoutMs,
    );
    outgoing.on('error', (error) => finish({ error }));
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
      throw dns01Error('transient', `${plan.what} failed: ${boundedText(outcome.error.message)}`, {
        cause: outcome.error,
      });
    }
    const verdict = judge(outcome.status, outcome.text);
    if ('value' in verdict) return verdict.value;
    if (verdict.retry && !last) {
      await pause(plan.backoffMs * 2 ** (attempt - 1));
      continue;
    }
    // The message quotes the API's answer: bounded, so a huge error body cannot reach status.
    throw dns01Error(verdict.kind, `${plan.what}: ${boundedText(verdict.message)}`);
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
