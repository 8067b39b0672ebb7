/**
 * Background jobs: imports and purges, run in batches by whoever takes them (the job-runner
 * function in production, on its SQS queue; the local stack in-process: the same code).
 *
 * A run takes the job with a lease, then works until it is done or its deadline comes. Every
 * batch commits together with the job's progress, conditional on the job's version, so a run
 * that dies is resumed from its last committed batch and two runs never both work on a job.
 * A run that stops at its deadline hands the job back (`continue`) for the caller to queue again;
 * a sweep queues again jobs whose run died without handing them back.
 */
import type { Job, JobError } from '../entities.js';
import { DomainError } from '../errors.js';
import { CommitConflict, type JobQueue, type Write } from '../ports.js';
import { type Deps, isoNow } from './support.js';

/** What a job's work function gets: the job as it stands, and the commit that records progress. */
export interface JobRun {
  job: Job;
  /** When this run must hand the job back (epoch ms, real time: compare with Date.now()). */
  deadline: number;
  /**
   * Commits `writes` (at most {@link MAX_JOB_WRITES}) with the job's new state in one transaction.
   * Throws {@link LostJob} when another run took the job; a CommitConflict from one of `writes`
   * goes to the caller.
   */
  commit(writes: Write[], patch: Partial<Job>): Promise<void>;
}

/** How a run ended: finished (succeeded, or failed with an error), or to be continued by another run. */
export type WorkOutcome =
  | { status: 'succeeded'; patch?: Partial<Job> }
  | { status: 'failed'; error: JobError; patch?: Partial<Job> }
  | { status: 'continue'; patch?: Partial<Job> };

export type JobWork = (deps: Deps, run: JobRun) => Promise<WorkOutcome>;

/** Writes a job's batch may hold besides the job itself (DynamoDB's transaction holds 100). */
export const MAX_JOB_WRITES = 99;
/** Unexpected failures before a job is given up as failed. */
const MAX_FAILURES = 5;
/** A queued job untouched this long, or a running one past its lease, is queued again by the sweep. */
const STUCK_AFTER_MS = 5 * 60_000;
/** A lease outlasts the run's deadline by this much, so a run finishing its last batch keeps it. */
const LEASE_MARGIN_MS = 60_000;

/** Another run took the job (its version moved): this run stops quietly. */
export class LostJob extends Error {
  override readonly name = 'LostJob';
}

export type RunOutcome = 'finished' | 'continue' | 'skipped';

/**
 * Runs a job until it finishes or `deadline`: `continue` means queue it again. An unexpected
 * error releases the job and is thrown (the queue retries); after a few the job fails.
 */
export async function runJob(deps: Deps, jobId: string, works: Record<Job['input']['kind'], JobWork>, options: { deadline: number }): Promise<RunOutcome> {
  const stored = await deps.store.get({ type: 'job', id: jobId });
  if (!stored || stored.status === 'succeeded' || stored.status === 'failed') return 'skipped';
  const now = deps.clock().getTime();
  if (stored.status === 'running' && stored.leaseUntil && Date.parse(stored.leaseUntil) > now) return 'skipped';
  // Deadlines are real time (how long this process may work); leases are stored, so on the clock.
  const leaseUntil = new Date(now + Math.max(0, options.deadline - Date.now()) + LEASE_MARGIN_MS).toISOString();
  let job: Job = { ...stored, status: 'running', leaseUntil, version: stored.version + 1, updatedAt: isoNow(deps) };
  try {
    await deps.store.commit([{ kind: 'put', entity: job, expect: stored.version }]);
  } catch (error) {
    if (error instanceof CommitConflict) return 'skipped';
    throw error;
  }

  const save = async (writes: Write[], patch: Partial<Job>) => {
    const next: Job = { ...job, ...patch, version: job.version + 1, updatedAt: isoNow(deps) };
    try {
      await deps.store.commit([...writes, { kind: 'put', entity: next, expect: job.version }]);
    } catch (error) {
      if (error instanceof CommitConflict && error.failedWrites.includes(writes.length)) throw new LostJob(`Job ${job.id} was taken by another run.`);
      throw error;
    }
    job = next;
  };

  let outcome: WorkOutcome;
  try {
    outcome = await works[job.input.kind](deps, {
      get job() {
        return job;
      },
      deadline: options.deadline,
      commit: save,
    });
  } catch (error) {
    if (error instanceof LostJob) return 'skipped';
    if (error instanceof DomainError) outcome = { status: 'failed', error: jobError(error) };
    else {
      const failures = job.failures + 1;
      const gaveUp = failures >= MAX_FAILURES;
      await save([], {
        status: gaveUp ? 'failed' : 'queued',
        failures,
        leaseUntil: undefined,
        ...(gaveUp ? { error: { error: 'Internal', message: 'The job failed repeatedly; see the job-runner logs.' }, finishedAt: isoNow(deps) } : {}),
      }).catch(() => undefined);
      if (gaveUp) return 'finished';
      throw error;
    }
  }
  try {
    if (outcome.status === 'continue') {
      await save([], { ...outcome.patch, status: 'queued', leaseUntil: undefined });
      return 'continue';
    }
    const error = outcome.status === 'failed' ? outcome.error : undefined;
    await save([], { ...outcome.patch, status: outcome.status, leaseUntil: undefined, finishedAt: isoNow(deps), ...(error ? { error } : {}) });
    return 'finished';
  } catch (error) {
    if (error instanceof LostJob) return 'skipped';
    throw error;
  }
}

export const jobError = (error: DomainError): JobError => ({ error: error.name, message: error.message, ...(error.details !== undefined ? { details: error.details } : {}) });

/** Queues again every unfinished job whose run died: queued and untouched for a while, or running past its lease. Returns how many. */
export async function sweepJobs(deps: Deps, queue: JobQueue): Promise<number> {
  const now = deps.clock().getTime();
  let queued = 0;
  for (const job of await deps.store.listAll({ of: 'pending-jobs' })) {
    const stuck = job.status === 'queued' ? now - Date.parse(job.updatedAt) >= STUCK_AFTER_MS : !job.leaseUntil || Date.parse(job.leaseUntil) <= now;
    if (!stuck) continue;
    await queue.enqueue(job.id);
    queued++;
  }
  return queued;
}

/** Every unfinished job, so a restarted local stack picks them up. */
export async function pendingJobIds(deps: Deps): Promise<string[]> {
  return (await deps.store.listAll({ of: 'pending-jobs' })).map((job) => job.id);
}

/** A new queued job (its first write; the caller commits it with whatever starts it). */
export function newJob(deps: Deps, fields: Pick<Job, 'id' | 'orgId' | 'projectId' | 'envId' | 'input' | 'actor'>): Job {
  const at = isoNow(deps);
  return { type: 'job', ...fields, status: 'queued', progress: { done: 0, total: null }, failures: 0, createdAt: at, updatedAt: at, version: 1 };
}

/**
 * Queues a committed job. The job is already safe in the table: if queueing fails (or the process
 * dies first), the sweep queues it again a few minutes later, so the caller's answer stands.
 */
export async function startJob(deps: Deps, jobId: string): Promise<void> {
  try {
    await deps.jobs?.enqueue(jobId);
  } catch {
    // Picked up by sweepJobs.
  }
}
