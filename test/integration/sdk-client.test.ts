/**
 * The Vexilla SDK against the local stack, in every mode: the same answers everywhere, change
 * notifications, last-known-good values through an outage, offline bootstrap, and a clean close.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { build } from 'esbuild';
import { createClient, type EvaluationDetails, memoryStorage } from '../../sdk/index.js';
import { buildRichEnvironment, type RichEnvironment, traitsFor } from '../support/rich-environment.js';
import { countingFetch, fakeIntervals, tick, tickUntil, until } from '../support/sdk-timers.js';
import { okCall, projectWithEnvironment, startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let env: RichEnvironment;

beforeAll(async () => {
  api = await startTestApi();
  env = await buildRichEnvironment(api);
});
afterAll(() => api?.close());

// Requests that must succeed get all the time a busy machine needs (the SDK's default is 5 s);
// requests that must fail fail at once (a closed server, a fetch that rejects), never by a timeout.
const requestTimeoutMs = 120_000;
/** The network is down: every request fails at once. */
const offline: typeof fetch = () => Promise.reject(new TypeError('fetch failed (network down)'));

describe('the Vexilla SDK', () => {
  // Refreshes and flushes happen when a test moves the intervals on (support/sdk-timers.ts).
  beforeEach(fakeIntervals);
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads typed values and never throws: unknown flags and wrong types answer the default with a reason', async () => {
    const errors: unknown[] = [];
    const client = createClient({ environmentKey: env.clientKey, apiUrl: api.url, requestTimeoutMs, onError: (error) => errors.push(error), analytics: false });
    const flags = await client.getFlags({ identifier: 'sdk-1', traits: { plan: 'pro', age: 30, country: 'DE' } });
    expect(flags.getString('banner', 'x')).toBe('welcome, pro');
    expect(flags.getNumber('max_items', 0)).toBe(50);
    expect(flags.getJSON('config', {})).toEqual({ theme: 'light', columns: 3 });
    // beta_access is on for everyone here (dark_mode depends on the environment key's random hash).
    expect(flags.isEnabled('beta_access')).toBe(true);
    expect(flags.details('banner', 'x', 'string')).toMatchObject({ value: 'welcome, pro', reason: 'TARGETING_MATCH' });
    const missing: EvaluationDetails<boolean> = flags.details('nope', true, 'boolean');
    expect(missing).toMatchObject({ value: true, reason: 'DEFAULT', errorCode: 'FLAG_NOT_FOUND' });
    expect(flags.details('banner', 7, 'number')).toMatchObject({ value: 7, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(errors).toHaveLength(2);
    expect(await client.getNumber('max_items', { identifier: 'acme-1', traits: { tenant: 'acme' } }, 0)).toBe(99);
    await client.close();
  });

  it('gives the same flags for 500 identities in remote, local and edge modes', async () => {
    const remote = createClient({ environmentKey: env.clientKey, apiUrl: api.url, requestTimeoutMs, analytics: false, persistTraits: false });
    const local = createClient({ environmentKey: env.serverKey, apiUrl: api.url, requestTimeoutMs, mode: 'local', analytics: false });
    const edge = createClient({ environmentKey: env.serverKey, apiUrl: api.url, requestTimeoutMs, mode: 'edge', analytics: false });
    const differences: string[] = [];
    const compare = async (i: number) => {
      const context = { identifier: i % 100 === 7 ? 'user-7' : `sdk-user-${i}`, traits: traitsFor(i) };
      const [a, b, c] = await Promise.all([remote.getFlags(context), local.getFlags(context), edge.getFlags(context)]);
      for (const [name, flag] of Object.entries(a.values)) {
        for (const [mode, other] of [['local', b], ['edge', c]] as const) {
          const o = other.values[name];
          if (o?.enabled !== flag.enabled || JSON.stringify(o?.value) !== JSON.stringify(flag.value) || (o?.variant ?? null) !== (flag.variant ?? null)) {
            differences.push(`${context.identifier} ${name} ${mode}`);
          }
        }
      }
    };
    // Ten identities at a time, as concurrent callers would (remote mode asks the API for each).
    for (let first = 0; first < 500; first += 10) await Promise.all(Array.from({ length: 10 }, (_, offset) => compare(first + offset)));
    expect(differences).toEqual([]);
    await Promise.all([remote.close(), local.close(), edge.close()]);
  });

  it('reports changed flags within the refresh interval, fetching the document again only when it changed', async () => {
    const statuses: number[] = [];
    const requests = countingFetch(async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).includes('environment-document')) statuses.push(response.status);
      return response;
    });
    const changes: string[][] = [];
    const client = createClient({ environmentKey: env.serverKey, apiUrl: api.url, mode: 'local', refreshIntervalMs: 150, requestTimeoutMs, onChange: (names) => changes.push(names), analytics: false, fetch: requests.fetch });
    await client.ready();
    expect(statuses).toEqual([200]);
    // Nothing happens before the refresh interval has passed; then the refresh of the unchanged document is a 304.
    await tick(149, requests);
    expect(statuses).toEqual([200]);
    await tick(1, requests);
    expect(statuses).toEqual([200, 304]);
    await api.call('PATCH', `/admin/v1/environments/${env.envId}/feature-states/filler_5`, { body: { enabled: true, value: 'changed' } });
    // Refresh (one at a time) until the change arrives: no assumption about when the API serves it.
    await tickUntil(() => changes.length > 0, 150, requests, 'the change');
    expect(changes).toEqual([['filler_5']]);
    expect((await client.getFlags()).getString('filler_5', 'x')).toBe('changed');
    await client.close();
  });

  it('never starts a refresh while one is still waiting for its answer', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let documents = 0;
    let first = true;
    const requests = countingFetch(async (input, init) => {
      if (String(input).includes('environment-document')) {
        documents++;
        // The first refresh after ready() hangs until the test lets it answer.
        if (!first) await held;
      }
      return fetch(input, init);
    });
    const client = createClient({ environmentKey: env.serverKey, apiUrl: api.url, mode: 'local', refreshIntervalMs: 100, requestTimeoutMs, analytics: false, fetch: requests.fetch });
    await client.ready();
    first = false;
    expect(documents).toBe(1);
    // Five intervals pass while the second request waits: no new request joins it.
    vi.advanceTimersByTime(500);
    await until(() => documents >= 2, 'the held refresh to start');
    expect(documents).toBe(2);
    expect(requests.started - requests.settled).toBe(1);
    release();
    await until(() => requests.settled === requests.started, 'the held refresh to answer');
    expect(documents).toBe(2);
    // The next interval refreshes again.
    await tick(100, requests);
    expect(documents).toBe(3);
    await client.close();
  });

  it('keeps answering last-known-good values, marked STALE, when the service goes away', async () => {
    // A stack of its own, to take away; one banner with the pro override is all it needs to serve.
    const own = await startTestApi();
    const ownEnv = await projectWithEnvironment(own, 'Outage');
    await okCall(own, 'POST', `${ownEnv.P}/features`, { name: 'banner', initialValue: 'hello', defaultEnabled: true });
    const pro = await okCall(own, 'POST', `${ownEnv.P}/segments`, { name: 'pro users', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }] });
    await okCall(own, 'PUT', `/admin/v1/environments/${ownEnv.envId}/feature-states/banner/segment-overrides/${pro.id}`, { enabled: true, value: 'welcome, pro', priority: 1 });
    const errors: unknown[] = [];
    const storage = memoryStorage();
    const requests = countingFetch();
    const client = createClient({ environmentKey: ownEnv.serverKey, apiUrl: own.url, mode: 'local', refreshIntervalMs: 100, retries: 0, requestTimeoutMs, storage, analytics: false, onError: (e) => errors.push(e), fetch: requests.fetch });
    expect((await client.getFlags({ identifier: 'u', traits: { plan: 'pro' } })).details('banner', 'x', 'string')).toMatchObject({ value: 'welcome, pro', reason: 'TARGETING_MATCH' });
    expect(errors).toEqual([]);
    await own.close();
    // The next refresh fails (connection refused).
    await tick(100, requests);
    await until(() => errors.length > 0, 'the failed refresh reported');
    const during = await client.getFlags({ identifier: 'u', traits: { plan: 'pro' } });
    expect(during.details('banner', 'x', 'string')).toMatchObject({ value: 'welcome, pro', reason: 'STALE' });
    expect(errors.length).toBeGreaterThan(0);
    await client.close();

    // A new process with the same storage starts from the saved flags, even with the service down.
    const restarted = createClient({ environmentKey: ownEnv.serverKey, apiUrl: own.url, mode: 'local', retries: 0, storage, analytics: false });
    expect((await restarted.getFlags()).details('banner', 'x', 'string')).toMatchObject({ value: 'hello', reason: 'STALE' });
    await restarted.close();
  });

  it('works offline from bootstrap values alone', async () => {
    const client = createClient({
      environmentKey: 'any',
      apiUrl: 'http://127.0.0.1:9',
      fetch: offline,
      analytics: false,
      bootstrap: { banner: { enabled: true, value: 'from bootstrap' } },
    });
    const flags = await client.getFlags();
    expect(flags.getString('banner', 'x')).toBe('from bootstrap');
    expect(flags.isEnabled('banner')).toBe(true);
    expect(flags.getString('other', 'fallback')).toBe('fallback');
    await client.close();
  });

  it('counts evaluations and flushes them on close, after which it makes no more requests', async () => {
    const requests = countingFetch();
    const client = createClient({ environmentKey: env.clientKey, apiUrl: api.url, mode: 'edge', refreshIntervalMs: 50, requestTimeoutMs, fetch: requests.fetch });
    const flags = await client.getFlags();
    flags.isEnabled('filler_7');
    flags.getValue('filler_7');
    // Its refresh and flush timers run until close.
    expect(vi.getTimerCount()).toBe(2);
    await client.close();
    const day = new Date().toISOString().slice(0, 10);
    expect((await api.deps.store.getEvaluations(env.envId, day)).filler_7).toBe(2);
    // No timer survives close: many refresh and flush intervals later, no request was made.
    expect(vi.getTimerCount()).toBe(0);
    const after = requests.started;
    vi.advanceTimersByTime(60_000);
    expect(requests.started).toBe(after);
  });

  it('bundles for browsers and edge runtimes with no Node built-ins', async () => {
    const result = await build({ entryPoints: ['sdk/index.ts'], bundle: true, platform: 'neutral', format: 'esm', mainFields: ['module', 'main'], write: false, minify: true, logLevel: 'silent', metafile: true });
    const code = result.outputFiles[0]?.text ?? '';
    expect(code).not.toMatch(/\brequire\(|from\s*["']node:/);
    expect(Object.keys(result.metafile.inputs).some((input) => input.includes('functions/engine/'))).toBe(true);
  });
});
