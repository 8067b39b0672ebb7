/**
 * The JobQueue port of the local stack: jobs run in this process, through the same `runJob` as
 * the job-runner function, in slices of `sliceMs` (a Lambda run ends at its deadline the same
 * way), queued again after each slice until they finish. A run that throws is received again
 * after `retryDelayMs`, like an SQS message, up to `maxReceives` times in a row.
 */
import type { JobQueue } from '../domain/ports.js';
import { runJob } from '../domain/use-cases/jobs.js';
import { jobWorks } from '../domain/use-cases/job-works.js';
import type { Deps } from '../domain/use-cases/support.js';
import { createTimerQueue } from './timer-queue.js';

export interface LocalJobQueueOptions {
  /** How long one run may work before handing the job back (planning is redone per run: not too short). @default 60000 */
  sliceMs?: number;
  /** @default 500 */
  retryDelayMs?: number;
  /** @default 5 */
  maxReceives?: number;
  /** Called when a job's run failed its last receive. @default ignore */
  onError?: (jobId: string, error: unknown) => void;
}

export interface LocalJobQueue extends JobQueue {
  /** Connects the queue to the dependencies the jobs run with (they hold the queue too). */
  process(deps: Deps): void;
  /** Resolves once no job is waiting or running (for tests and shutdown). */
  idle(): Promise<void>;
  /** Drops waiting runs; a running one finishes its slice. Unfinished jobs stay queued in the table. */
  stop(): void;
}

export function createLocalJobQueue(options: LocalJobQueueOptions = {}): LocalJobQueue {
  const sliceMs = options.sliceMs ?? 60_000;
  let deps: Deps | undefined;
  const queue = createTimerQueue<string>({
    handle: async (jobId) => {
      if (!deps) throw new Error('The local job queue is not connected to its dependencies');
      const outcome = await runJob(deps, jobId, jobWorks, { deadline: Date.now() + sliceMs });
      if (outcome === 'continue') queue.schedule(jobId, 0);
    },
    retryDelayMs: options.retryDelayMs ?? 500,
    maxReceives: options.maxReceives ?? 5,
    onError: options.onError,
  });
  return {
    async enqueue(jobId) {
      queue.schedule(jobId, 0);
    },
    process(next) {
      deps = next;
    },
    idle: () => queue.idle(),
    stop: () => queue.stop(),
  };
}
