/**
 * Setup file of the `integration` project (vitest.config.ts). That project runs with
 * `isolate: false`: a worker runs its test files one after another in one process, sharing loaded
 * modules and process-wide state, so each file must leave the worker as it found it. This checks
 * what a file could leave behind for the next one, and fails the file that did (after putting
 * things back, so the failure stays with the file that caused it):
 * - environment variables (a Lambda entry's test sets TABLE_NAME, AWS_ENDPOINT_URL_DYNAMODB, …:
 *   `vi.stubEnv` them and `vi.unstubAllEnvs()` in `afterAll`);
 * - fake timers (`vi.useRealTimers()` when done);
 * - listening servers and child processes (close and stop what the file started, and wait for it).
 */
import { afterAll, beforeAll, vi } from 'vitest';

/** Handles that outlive a file only when the file forgot to close them: servers and child processes. */
const LEAKABLE = ['TCPServerWrap', 'ProcessWrap'] as const;

function handleCounts(): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(LEAKABLE.map((type) => [type, 0]));
  for (const type of process.getActiveResourcesInfo()) if (type in counts) counts[type]! += 1;
  return counts;
}

const grown = (before: Record<string, number>, after: Record<string, number>) =>
  LEAKABLE.filter((type) => after[type]! > before[type]!).map((type) => `${after[type]! - before[type]!} ${type}`);

let envAtStart: Record<string, string | undefined> = {};
let handlesAtStart: Record<string, number> = {};

beforeAll(() => {
  envAtStart = { ...process.env };
  handlesAtStart = handleCounts();
});

afterAll(async () => {
  const problems: string[] = [];

  const names = new Set([...Object.keys(envAtStart), ...Object.keys(process.env)]);
  const changed = [...names].filter((name) => process.env[name] !== envAtStart[name]).sort();
  for (const name of changed) {
    if (envAtStart[name] === undefined) delete process.env[name];
    else process.env[name] = envAtStart[name];
  }
  if (changed.length > 0) problems.push(`environment variables changed and not restored: ${changed.join(', ')}`);

  if (vi.isFakeTimers()) {
    vi.useRealTimers();
    problems.push('fake timers still installed');
  }

  // A closed server or a killed child lets go of its handle once its close/exit event has run:
  // wait for that (a few turns of the event loop), bounded only against a real leak.
  let leaked = grown(handlesAtStart, handleCounts());
  for (let turns = 0; leaked.length > 0 && turns < 1000; turns++) {
    await new Promise((resolve) => setImmediate(resolve));
    leaked = grown(handlesAtStart, handleCounts());
  }
  if (leaked.length > 0) problems.push(`still running after the file's last hook: ${leaked.join(', ')} (close what the file started)`);

  if (problems.length > 0) {
    throw new Error(
      `This file left its worker changed; the integration project shares a worker's process between files (isolate: false), so the next file would inherit it: ${problems.join('; ')}`,
    );
  }
});
