/**
 * A queue of timers, as the local stack's stand-in for SQS: every message runs on its own timer,
 * and a handler that throws has its message received again after `retryDelayMs`, up to
 * `maxReceives` times. The local delivery and job queues are built on it.
 */
export interface TimerQueueOptions<T> {
  /** Handles one message; throwing receives it again later. */
  handle: (message: T) => Promise<unknown>;
  retryDelayMs: number;
  maxReceives: number;
  /** Called when a message failed its last receive. @default ignore */
  onError?: ((message: T, error: unknown) => void) | undefined;
}

export interface TimerQueue<T> {
  /** Runs `message` after `delayMs`. */
  schedule(message: T, delayMs: number): void;
  /** Resolves once no message is waiting or running. */
  idle(): Promise<void>;
  /** Drops waiting messages; running ones finish. */
  stop(): void;
}

export function createTimerQueue<T>(options: TimerQueueOptions<T>): TimerQueue<T> {
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  const waiters = new Set<() => void>();

  const settle = () => {
    if (timers.size > 0 || running.size > 0) return;
    for (const wake of waiters) wake();
    waiters.clear();
  };

  const schedule = (message: T, delayMs: number, receives: number) => {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      const run = (async () => {
        try {
          await options.handle(message);
        } catch (error) {
          if (receives + 1 < options.maxReceives) schedule(message, options.retryDelayMs, receives + 1);
          else options.onError?.(message, error);
        }
      })();
      running.add(run);
      void run.finally(() => {
        running.delete(run);
        settle();
      });
    }, delayMs);
    timers.add(timer);
  };

  return {
    schedule: (message, delayMs) => schedule(message, delayMs, 0),
    async idle() {
      while (timers.size > 0 || running.size > 0) await new Promise<void>((resolve) => waiters.add(resolve));
    },
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      settle();
    },
  };
}
