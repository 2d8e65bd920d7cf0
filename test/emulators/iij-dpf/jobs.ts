// Asynchronous jobs: every mutation answers 202 with a job that reports RUNNING for a while, then
// SUCCESSFUL or FAILED (iij-dpf-api.md §3.8, §6.7).
import { invalidParameter } from './errors.ts';
import type { DpfResponse, HandlerContext } from './handlers.ts';
import { requestId, type Job } from './model.ts';

/** Starts a job: `work` runs now unless fault injection fails the job; returns the 202 answer. */
export function startJob(
  ctx: HandlerContext,
  resource: string,
  work: () => Promise<void> | void,
): DpfResponse {
  const id = requestId();
  const fail = ctx.faults.takeJobFailure();
  const job: Job = { request_id: id, status: 'RUNNING', pollsLeft: ctx.jobPolls, done: Promise.resolve() };
  if (fail) {
    job.error_type = 'Bad Request';
    job.error_message = 'There are invalid parameters';
  } else {
    job.resources_url = `${ctx.baseUrl}${resource}`;
    const run = (): void => {
      job.done = Promise.resolve()
        .then(work)
        .catch((err: unknown) => {
          job.error_type = 'SystemError';
          job.error_message = `publishing failed: ${(err as Error).message}`;
        });
    };
    if (ctx.applyAt === 'complete') job.start = run;
    else run();
  }
  ctx.state.jobs.set(id, job);
  return { status: 202, body: { request_id: id, jobs_url: `${ctx.baseUrl}/jobs/${id}` } };
}

/** `GET /jobs/{id}`: RUNNING for the configured polls and until its work settled, then the outcome. */
export async function jobStatus(ctx: HandlerContext, id: string): Promise<DpfResponse> {
  const job = ctx.state.jobs.get(id);
  if (!job) throw invalidParameter('not_found', 'request_id');
  if (job.status === 'RUNNING') {
    if (job.pollsLeft > 0) job.pollsLeft -= 1;
    else {
      job.start?.();
      job.start = undefined;
      await job.done;
      job.status = job.error_type ? 'FAILED' : 'SUCCESSFUL';
    }
  }
  const { request_id, status } = job;
  if (status === 'RUNNING') return { status: 200, body: { request_id, status } };
  if (status === 'FAILED') {
    return {
      status: 200,
      body: { request_id, status, error_type: job.error_type, error_message: job.error_message },
    };
  }
  return { status: 200, body: { request_id, status, resources_url: job.resources_url } };
}
