/**
 * Requests that give up in time and retry sensibly: a timeout per attempt, exponential backoff
 * with full jitter between attempts, and no retry for answers that will not change (4xx).
 */

export interface HttpOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  retries: number;
  /** First backoff step; doubles each retry, randomised (full jitter). */
  backoffMs: number;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function request(url: string, init: RequestInit, options: HttpOptions): Promise<Response> {
  let lastError: unknown;
  for (let attempt = 0; attempt <= options.retries; attempt++) {
    if (attempt > 0) await sleep(Math.random() * options.backoffMs * 2 ** (attempt - 1));
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), options.timeoutMs);
    try {
      const response = await options.fetch(url, { ...init, signal: controller.signal });
      if (response.ok || response.status === 304) return response;
      lastError = new HttpError(response.status, `${init.method ?? 'GET'} ${url} answered ${response.status}`);
      // Client errors (bad key, bad request) will not get better by asking again.
      if (response.status < 500 && response.status !== 429) break;
    } catch (error) {
      lastError = error;
    } finally {
      clearTimeout(timer);
    }
  }
  throw lastError instanceof Error ? lastError : new Error(String(lastError));
}
