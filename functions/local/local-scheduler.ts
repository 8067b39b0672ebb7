/**
 * The SchedulerPort in process, for the local stack and tests, with EventBridge Scheduler's
 * semantics: one-time schedules by name (creating an existing name is a no-op), fired at or after
 * their instant by the injected clock, retried a few times on error, deleted after they fire.
 * `tick()` fires what is due (tests move the clock, then tick); `start()` ticks on a timer (dev).
 * It runs scheduled changes and rollout steps alike, each to its own target.
 */
import type { RolloutStepTarget, ScheduledChangeTarget, SchedulerPort } from '../domain/ports.js';
import { runRolloutStep } from '../domain/use-cases/rollouts.js';
import { applyScheduledChange } from '../domain/use-cases/scheduled-changes.js';
import type { Deps } from '../domain/use-cases/support.js';
import { scheduleName } from '../domain/rollout-plan.js';
import { logger } from '../shared/logger.js';
import { createLocalAlarms } from './local-alarms.js';

type Target = ScheduledChangeTarget | RolloutStepTarget;

export interface LocalScheduler<T extends object = Target> extends SchedulerPort<T> {
  /** Fires every schedule that is due by the clock, oldest first; resolves when they have run. */
  tick(): Promise<void>;
  /** The schedules still waiting, by name. */
  pending(): { name: string; at: Date; target: T }[];
  /** Ticks every `intervalMs` until stopped. */
  start(intervalMs?: number): void;
  /** Stops the timer and waits for a running tick. */
  stop(): Promise<void>;
}

export interface LocalSchedulerOptions<T extends object> {
  clock: () => Date;
  fire: (target: T) => Promise<unknown>;
  /** Fires per schedule before it is dropped (EventBridge's retry policy). @default 3 */
  maxAttempts?: number;
  /** Reports a failed fire. @default logs it */
  onError?: (error: unknown, name: string, attempts: number) => void;
}

const logFailure = (error: unknown, name: string, attempts: number) =>
  logger.error('Scheduled change failed to fire', { name, attempts, error: error as Error });

export function createLocalScheduler<T extends object = ScheduledChangeTarget>({ clock, fire, maxAttempts = 3, onError = logFailure }: LocalSchedulerOptions<T>): LocalScheduler<T> {
  const entries = new Map<string, { at: Date; target: T; attempts: number }>();
  let running: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;

  const run = async () => {
    const now = clock().getTime();
    const due = [...entries].filter(([, entry]) => entry.at.getTime() <= now).sort(([, a], [, b]) => a.at.getTime() - b.at.getTime());
    for (const [name, entry] of due) {
      // Deleted after completion, like ActionAfterCompletion: DELETE.
      entries.delete(name);
      try {
        await fire(entry.target);
      } catch (error) {
        entry.attempts++;
        onError(error, name, entry.attempts);
        if (entry.attempts < maxAttempts && !entries.has(name)) entries.set(name, entry);
      }
    }
  };

  return {
    async create(name, at, target) {
      if (!entries.has(name)) entries.set(name, { at, target, attempts: 0 });
    },
    async delete(name) {
      entries.delete(name);
    },
    tick() {
      running = running.then(run);
      return running;
    },
    pending: () => [...entries].map(([name, { at, target }]) => ({ name, at, target })),
    start(intervalMs = 1000) {
      timer ??= setInterval(() => void this.tick(), intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}

/**
 * A local scheduler firing {@link applyScheduledChange} and {@link runRolloutStep}, loaded with
 * every scheduled change and rollout step still waiting in the table (so a restarted dev stack
 * keeps them). Returns it with `deps` that carry it, and the local stack's simulated CloudWatch
 * alarms, for the admin API. `intervalMs: 0` leaves the timer off (tests call `tick()`).
 */
export async function startLocalScheduler(options: { deps: Deps; intervalMs?: number }): Promise<{ scheduler: LocalScheduler; deps: Deps }> {
  const scheduler: LocalScheduler = createLocalScheduler<Target>({
    clock: options.deps.clock,
    fire: (target) => ('rolloutId' in target ? runRolloutStep(deps, target) : applyScheduledChange(deps, target)),
  });
  const deps: Deps = { ...options.deps, scheduler, rolloutScheduler: scheduler, alarms: options.deps.alarms ?? createLocalAlarms({ clock: options.deps.clock, deps: () => deps }) };
  for (const pending of await deps.store.listAll({ of: 'pending-scheduled-changes' })) {
    await scheduler.create(pending.id, new Date(pending.runAt), { envId: pending.envId, scheduledChangeId: pending.id });
  }
  for (const rollout of await deps.store.listAll({ of: 'active-rollouts' })) {
    if (rollout.status !== 'running' || !rollout.nextStepAt) continue;
    const step = rollout.step + 1;
    await scheduler.create(scheduleName(rollout, step), new Date(rollout.nextStepAt), { envId: rollout.envId, rolloutId: rollout.id, step });
  }
  if (options.intervalMs !== 0) scheduler.start(options.intervalMs);
  return { scheduler, deps };
}
