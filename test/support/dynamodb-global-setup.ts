/**
 * vitest globalSetup for the integration projects: one in-memory DynamoDB Local per test worker,
 * each file using its worker's (test/support/dynamodb.ts; files isolate themselves with their own
 * table names). DynamoDB Local answers every request through one SQLite thread: shared by all
 * workers, that thread was the suite's bottleneck (busy ~23 of 34 minutes while the machine idled).
 *
 * Both integration projects (`integration` and `integration-openfeature`) name this setup, and
 * vitest runs it once per project in its own process: they share one set of emulators (kept on
 * globalThis, counted), stopped when the last project's teardown runs. A JVM costs ~3 s of CPU to
 * start and more to warm up; the OpenFeature project's two files need no set of their own.
 */
import type { TestProject } from 'vitest/node';
import { type DynamoDbLocalInstance, startDynamoDbLocal } from '../../functions/local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** One endpoint per worker: worker N (VITEST_POOL_ID, 1-based) uses entry N - 1. */
    dynamoEndpoints: string[];
  }
}

interface SharedEmulators {
  projects: number;
  emulators: Promise<DynamoDbLocalInstance[]>;
}

const KEY = Symbol.for('vexilla.test.dynamodb-local');
const shared = globalThis as { [KEY]?: SharedEmulators };

/** Starts them all, or none: the ones that started are stopped if another failed. */
async function startEmulators(count: number): Promise<DynamoDbLocalInstance[]> {
  const results = await Promise.allSettled(Array.from({ length: count }, () => startDynamoDbLocal({ inMemory: true })));
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(started.map((emulator) => emulator.stop()));
    throw failure.reason;
  }
  return started;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const workers = Math.max(1, Number(project.globalConfig.maxWorkers) || 1);
  const state = (shared[KEY] ??= {
    projects: 0,
    emulators: startEmulators(workers),
  });
  state.projects++;
  let emulators: DynamoDbLocalInstance[];
  try {
    emulators = await state.emulators;
  } catch (error) {
    // Let a later run of this setup try again rather than inherit the failure.
    if (--state.projects === 0) delete shared[KEY];
    throw error;
  }
  project.provide(
    'dynamoEndpoints',
    emulators.map((emulator) => emulator.endpoint),
  );
  return async () => {
    if (--state.projects > 0) return;
    delete shared[KEY];
    await Promise.all(emulators.map((emulator) => emulator.stop()));
  };
}
