/**
 * Setup file of the `integration` project (vitest.config.ts). That project runs with
 * `isolate: false`: a worker runs its test files one after another in one process, sharing loaded
 * modules and process-wide state, so each file must leave the worker as it found it. This checks
 * what a file could leave behind for the next one, and fails the file that did (after putting
 * things back, so the failure stays with the file that caused it):
 * - environment variables (a Lambda entry's test sets TABLE_NAME, AWS_ENDPOINT_URL_DYNAMODB, …:
 *   `vi.stubEnv` them and `vi.unstubAllEnvs()` in `afterAll`);
 * - fake timers (`vi.useRealTimers()` when done);
 * - listening servers and child processes (close and stop what the file started, and wait for it);
 * - OpenFeature's APIs (one per process): providers still bound, an evaluation context or hooks
 *   still set (`clearProviders()`, `clearContext()`, `clearHooks()` in `afterAll`).
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

/**
 * OpenFeature's server and web APIs, as their packages keep them on globalThis (present once a file
 * loaded the package). Bound providers are read from the APIs' own map (protected in the types;
 * the packages are pinned exactly): the public API names only the default provider.
 */
const OPENFEATURE_APIS = { server: Symbol.for('@openfeature/js-sdk/api'), web: Symbol.for('@openfeature/web-sdk/api') };
const NO_OP_PROVIDER = 'No-op Provider';
interface OpenFeatureApi {
  getProviderMetadata(): { name: string };
  getContext(): object;
  setContext(context: object): unknown;
  getHooks(): unknown[];
  clearHooks(): unknown;
  clearProviders(): Promise<void>;
  readonly _domainScopedProviders?: Map<string, unknown>;
  readonly _domainScopedContext?: Map<string, unknown>;
}

/** What a file left set on OpenFeature's APIs, after putting each API back as a fresh process has it. */
async function openFeatureLeftovers(): Promise<string[]> {
  const problems: string[] = [];
  for (const [kind, symbol] of Object.entries(OPENFEATURE_APIS)) {
    const api = (globalThis as Record<symbol, OpenFeatureApi | undefined>)[symbol];
    if (!api) continue;
    const left: string[] = [];
    const defaultProvider = api.getProviderMetadata().name;
    if (defaultProvider !== NO_OP_PROVIDER) left.push(`default provider "${defaultProvider}"`);
    const domains = [...(api._domainScopedProviders?.keys() ?? [])];
    if (domains.length > 0) left.push(`providers of domains ${domains.join(', ')}`);
    if (Object.keys(api.getContext()).length > 0 || (api._domainScopedContext?.size ?? 0) > 0) left.push('an evaluation context');
    if (api.getHooks().length > 0) left.push('hooks');
    if (left.length === 0) continue;
    // clearProviders closes and unbinds every provider (and, on the web API, the domains' contexts).
    await api.clearProviders();
    api._domainScopedContext?.clear();
    await api.setContext({});
    api.clearHooks();
    problems.push(`OpenFeature's ${kind} API still has ${left.join(', ')}`);
  }
  return problems;
}

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

  problems.push(...(await openFeatureLeftovers()));

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
