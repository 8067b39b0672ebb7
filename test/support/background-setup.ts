/**
 * A global setup's shared resource (an emulator, a stack) started in the background. Vitest runs
 * every project's global setup, one after another, before it starts any file: setups that awaited
 * their DynamoDB Local and dashboard stack held every worker idle for them, the files that need
 * neither included (the README run waited ~25 s of a busy start for them). Such a setup provides
 * a file's path at once and writes what it made there when the start settles, or the start's
 * error; the project's setup file waits for it (`setupValue(…).wait()`) before each of its files
 * runs, so the files read it synchronously (`get()`).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { until } from './until.js';

type Settled<T> = { value: T } | { error: string };

/** Writes the start's value (JSON), or its error, to `file` once it settles; never rejects. */
export function settleInto<T>(file: string, start: Promise<T>): Promise<void> {
  const write = async (settled: Settled<T>) => {
    // Whole or absent: a reader never sees half a file.
    await writeFile(`${file}.tmp`, JSON.stringify(settled));
    await rename(`${file}.tmp`, file);
  };
  return start.then(
    (value) => write({ value }),
    (error: unknown) => write({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
}

/** What the setup made, once it is there; the setup's own error if its start failed. */
export async function awaitSetup<T>(file: string, what: string): Promise<T> {
  let text: string | undefined;
  // A bound on a hang only (as everywhere in the suite): a busy machine starts a stack slowly.
  await until(async () => (text = await readFile(file, 'utf8').catch(() => undefined)) !== undefined, what, 300_000);
  const settled = JSON.parse(text as string) as Settled<T>;
  if ('error' in settled) throw new Error(`${what} did not start:\n${settled.error}`);
  return settled.value;
}

/**
 * A background setup's value in a test worker, read from the file `file()` names (called in the
 * worker: vitest's inject): the project's setup file calls `wait()` before each file; the file
 * then reads it with `get()`, which says `where` it can be read when it is not there.
 */
export function setupValue<T>(file: () => string, what: string, where: string): { wait(): Promise<T>; get(): T } {
  let value: T | undefined;
  return {
    async wait() {
      value ??= await awaitSetup<T>(file(), what);
      return value;
    },
    get() {
      if (value === undefined) throw new Error(`${what} is not ready here: ${where}`);
      return value;
    },
  };
}
