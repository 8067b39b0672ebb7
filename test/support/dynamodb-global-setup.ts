/**
 * vitest globalSetup for the integration projects: one in-memory DynamoDB Local for the whole run,
 * shared by every worker (test/support/dynamodb.ts; files isolate themselves with tables of their
 * own). A JVM costs ~2 s of CPU to start and as much again to warm up (its compiler): on this
 * 2-core machine, three files on three workers took 56 CPU-s with one emulator per worker and 44
 * with one shared; both integration projects 299.5 and 276.8 (one pair, 2 December). A shared
 * emulator once lost a local stack's first publication: DynamoDB Local numbers stream records
 * across tables, which functions/local/event-pipeline.ts now allows for.
 * Tables have a stream only where a test reads it (test-api.ts): DynamoDB Local's cost per write
 * to a stream table grows with every stream record it keeps.
 * VEXILLA_TEST_DYNAMODB_LOCALS=N starts N (worker W uses emulator W mod N).
 *
 * Both integration projects (`integration` and `integration-openfeature`) name this setup, and
 * vitest runs it once per project in its one process: they share the emulators (kept on
 * globalThis, counted), stopped when the last project's teardown runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { type DynamoDbLocalInstance, prepareDynamoDbLocal, startDynamoDbLocal } from '../../functions/local/dynamodb-local.js';
import { settleInto } from './background-setup.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /**
     * Where the emulators' endpoints are written once they answer (background-setup.ts): worker W
     * (VITEST_POOL_ID, 1-based) uses entry (W - 1) mod length (test/support/dynamodb.ts).
     */
    dynamoEndpointsFile: string;
  }
}

interface SharedEmulators {
  projects: number;
  /** The emulators once the endpoints file is written; none if the start failed (never rejects). */
  emulators: Promise<DynamoDbLocalInstance[]>;
  /** Holds the endpoints file; removed with the emulators. */
  dir: string;
  file: string;
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

/**
 * Starts the emulators in the background (the run's first files need none): see background-setup.ts.
 * What every start in the run shares is made first, waited for: the emulator's download and its
 * class archive (a first run's only: on a fresh clone the README run's, the story's, the signal
 * tests' and the journeys' `npm run dev` start with this one, and each downloaded the emulator and
 * started without the archive). A failure there is left to the starts, which report it.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await prepareDynamoDbLocal().catch(() => undefined);
  const workers = Math.max(1, Number(project.globalConfig.maxWorkers) || 1);
  const wanted = Number(process.env.VEXILLA_TEST_DYNAMODB_LOCALS ?? 1);
  const count = Math.min(workers, Number.isInteger(wanted) && wanted > 0 ? wanted : 1);
  const state = (shared[KEY] ??= (() => {
    const dir = mkdtempSync(join(tmpdir(), 'vexilla-test-dynamodb-'));
    const file = join(dir, 'endpoints.json');
    const emulators = startEmulators(count);
    const settled = settleInto(file, emulators.then((started) => started.map((emulator) => emulator.endpoint)));
    // A failed start stopped what it had started and wrote why to the file.
    return { projects: 0, emulators: settled.then(() => emulators).catch(() => []), dir, file };
  })());
  state.projects++;
  project.provide('dynamoEndpointsFile', state.file);
  return async () => {
    if (--state.projects > 0) return;
    delete shared[KEY];
    const emulators = await state.emulators;
    await Promise.all(emulators.map((emulator) => emulator.stop()));
    rmSync(state.dir, { recursive: true, force: true });
  };
}
