/**
 * Imports are jobs: start one over HTTP as a user would, then follow its status until it is done.
 */
import type { Reply, TestApi } from './test-api.js';

export interface ImportJobView {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  dryRun: boolean;
  progress: { done: number; total: number | null };
  summary?: { created: Record<string, number>; updated: Record<string, number>; unchanged: number; dryRun: boolean; refused?: string };
  error?: { error: string; message: string; details?: any };
  location: string;
}

/** Polls an import's status until it finished, waiting on the in-process job queue (never on a timer). */
export async function waitForImport(api: TestApi, location: string, token?: string): Promise<ImportJobView> {
  for (let polls = 0; polls < 10_000; polls++) {
    const reply = await api.call<ImportJobView>('GET', location, token ? { token } : {});
    if (reply.status !== 200) throw new Error(`GET ${location}: ${reply.status} ${JSON.stringify(reply.body)}`);
    if (reply.body.status === 'succeeded' || reply.body.status === 'failed') return reply.body;
    await api.jobs.idle();
  }
  throw new Error(`Import ${location} never finished`);
}

/** Starts an import (202 and its status) and, when it started, waits for its end. */
export async function importJob(api: TestApi, envId: string, document: unknown, options: { dryRun?: boolean; token?: string } = {}): Promise<{ started: Reply; job?: ImportJobView }> {
  const started = await api.call('POST', `/admin/v1/environments/${envId}/import${options.dryRun ? '?dryRun=true' : ''}`, {
    body: document,
    ...(options.token ? { token: options.token } : {}),
  });
  if (started.status !== 202) return { started };
  return { started, job: await waitForImport(api, started.body.location, options.token) };
}
