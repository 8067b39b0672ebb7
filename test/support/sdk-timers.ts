/**
 * The SDK's timers under the test's control. Its refresh, flush and recheck loops run on
 * `setInterval`; the tests fake that one function (timeouts, I/O and `Date` stay real), so a
 * refresh happens when the test says, one at a time, and waits for its answer: never because the
 * machine happened to be fast or slow. (A real 100 ms interval on a busy machine piles up
 * refreshes whose answers arrive in any order.)
 */
import { vi } from 'vitest';
import { until } from './until.js';

export { until };

/** Fakes `setInterval`/`clearInterval` until `vi.useRealTimers()`. */
export function fakeIntervals(): void {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'], shouldClearNativeTimers: true });
}

export interface CountingFetch {
  fetch: typeof fetch;
  /** Requests made, and requests answered or failed. */
  started: number;
  settled: number;
}

/** A fetch (the real one by default) that counts its requests and their outcomes. */
export function countingFetch(inner: typeof fetch = (input, init) => fetch(input, init)): CountingFetch {
  const counts: CountingFetch = {
    started: 0,
    settled: 0,
    fetch: (input, init) => {
      counts.started++;
      return inner(input, init).finally(() => counts.settled++);
    },
  };
  return counts;
}

/** Moves the faked intervals on by `ms` (each due one fires once) and waits for every request they made to settle. */
export async function tick(ms: number, requests: CountingFetch): Promise<void> {
  vi.advanceTimersByTime(ms);
  const made = requests.started;
  await until(() => requests.settled >= made, 'the requests of a refresh');
}

/** Refreshes, one refresh at a time, until the condition holds. */
export async function tickUntil(condition: () => boolean, ms: number, requests: CountingFetch, what = 'the condition', timeoutMs = 120_000): Promise<void> {
  for (const start = Date.now(); !condition(); ) {
    if (Date.now() - start > timeoutMs) throw new Error(`Still waiting for ${what} after ${timeoutMs} ms of refreshes`);
    await tick(ms, requests);
    // Let what the answer set off (parsing, callbacks) run before looking again.
    await new Promise((resolve) => setImmediate(resolve));
  }
}
