/** Retry waits, shared by every loop that asks AWS (or DynamoDB Local) again. */

/** Resolves after `ms` milliseconds: the default of each retry loop's injectable sleep. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Exponential backoff with full jitter, as AWS advises: after failed attempt `attempt` (1 for the
 * first), a delay drawn evenly between 0 and `baseMs · 2^(attempt − 1)`, capped at `capMs`, so
 * callers that failed together do not retry together.
 */
export const fullJitterDelay = (attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number =>
  random() * Math.min(capMs, baseMs * 2 ** (attempt - 1));
