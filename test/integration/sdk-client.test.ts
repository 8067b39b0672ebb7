/**
 * The Vexilla SDK against the local stack, in every mode: the same answers everywhere, change
 * notifications, last-known-good values through an outage, offline bootstrap, and a clean close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { createClient, type EvaluationDetails, memoryStorage } from '../../sdk/index.js';
import { buildRichEnvironment, type RichEnvironment, traitsFor } from '../support/rich-environment.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let env: RichEnvironment;

beforeAll(async () => {
  api = await startTestApi();
  env = await buildRichEnvironment(api);
});
afterAll(() => api?.close());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the Vexilla SDK', () => {
  it('reads typed values and never throws: unknown flags and wrong types answer the default with a reason', async () => {
    const errors: unknown[] = [];
    const client = createClient({ environmentKey: env.clientKey, apiUrl: api.url, onError: (error) => errors.push(error), analytics: false });
    const flags = await client.getFlags({ identifier: 'sdk-1', traits: { plan: 'pro', age: 30, country: 'DE' } });
    expect(flags.getString('banner', 'x')).toBe('welcome, pro');
    expect(flags.getNumber('max_items', 0)).toBe(50);
    expect(flags.getJSON('config', {})).toEqual({ theme: 'light', columns: 3 });
    expect(flags.isEnabled('dark_mode') === true || flags.isEnabled('dark_mode') === false).toBe(true);
    expect(flags.details('banner', 'x', 'string')).toMatchObject({ value: 'welcome, pro', reason: 'TARGETING_MATCH' });
    const missing: EvaluationDetails<boolean> = flags.details('nope', true, 'boolean');
    expect(missing).toMatchObject({ value: true, reason: 'DEFAULT', errorCode: 'FLAG_NOT_FOUND' });
    expect(flags.details('banner', 7, 'number')).toMatchObject({ value: 7, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });
    expect(errors).toHaveLength(2);
    expect(await client.getNumber('max_items', { identifier: 'acme-1', traits: { tenant: 'acme' } }, 0)).toBe(99);
    await client.close();
  });

  it('gives the same flags for 500 identities in remote, local and edge modes', async () => {
    const remote = createClient({ environmentKey: env.clientKey, apiUrl: api.url, analytics: false, persistTraits: false });
    const local = createClient({ environmentKey: env.serverKey, apiUrl: api.url, mode: 'local', analytics: false });
    const edge = createClient({ environmentKey: env.serverKey, apiUrl: api.url, mode: 'edge', analytics: false });
    const differences: string[] = [];
    for (let i = 0; i < 500; i++) {
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
    }
    expect(differences).toEqual([]);
    await Promise.all([remote.close(), local.close(), edge.close()]);
  });

  it('reports changed flags within the refresh interval, fetching the document again only when it changed', async () => {
    const statuses: number[] = [];
    const recording: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (String(input).includes('environment-document')) statuses.push(response.status);
      return response;
    };
    const changes: string[][] = [];
    const client = createClient({ environmentKey: env.serverKey, apiUrl: api.url, mode: 'local', refreshIntervalMs: 150, onChange: (names) => changes.push(names), analytics: false, fetch: recording });
    await client.ready();
    // The next refresh of an unchanged document is a 304: wait for it (not for a time).
    await expect.poll(() => statuses.slice(1), { timeout: 60_000 }).toContain(304);
    await api.call('PATCH', `/admin/v1/environments/${env.envId}/feature-states/filler_5`, { body: { enabled: true, value: 'changed' } });
    await expect.poll(() => changes.length, { timeout: 60_000 }).toBeGreaterThan(0);
    expect(changes).toEqual([['filler_5']]);
    expect((await client.getFlags()).getString('filler_5', 'x')).toBe('changed');
    await client.close();
  });

  it('keeps answering last-known-good values, marked STALE, when the service goes away', async () => {
    const own = await startTestApi();
    const ownEnv = await buildRichEnvironment(own, 'Outage');
    const errors: unknown[] = [];
    const storage = memoryStorage();
    const client = createClient({ environmentKey: ownEnv.serverKey, apiUrl: own.url, mode: 'local', refreshIntervalMs: 100, retries: 0, storage, analytics: false, onError: (e) => errors.push(e) });
    expect((await client.getFlags({ identifier: 'u', traits: { plan: 'pro' } })).details('banner', 'x', 'string')).toMatchObject({ value: 'welcome, pro', reason: 'TARGETING_MATCH' });
    await own.close();
    // A refresh after the close fails (connection refused): wait for that, not for a time.
    await expect.poll(() => errors.length, { timeout: 60_000 }).toBeGreaterThan(0);
    const during = await client.getFlags({ identifier: 'u', traits: { plan: 'pro' } });
    expect(during.details('banner', 'x', 'string')).toMatchObject({ value: 'welcome, pro', reason: 'STALE' });
    expect(errors.length).toBeGreaterThan(0);
    await client.close();

    // A new process with the same storage starts from the saved flags, even with the service down.
    const restarted = createClient({ environmentKey: ownEnv.serverKey, apiUrl: own.url, mode: 'local', retries: 0, requestTimeoutMs: 500, storage, analytics: false });
    expect((await restarted.getFlags()).details('banner', 'x', 'string')).toMatchObject({ value: 'hello', reason: 'STALE' });
    await restarted.close();
  });

  it('works offline from bootstrap values alone', async () => {
    const client = createClient({
      environmentKey: 'any',
      apiUrl: 'http://127.0.0.1:9',
      retries: 0,
      requestTimeoutMs: 200,
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
    let requests = 0;
    const counting: typeof fetch = (input, init) => {
      requests++;
      return fetch(input, init);
    };
    const client = createClient({ environmentKey: env.clientKey, apiUrl: api.url, mode: 'edge', refreshIntervalMs: 50, fetch: counting });
    const flags = await client.getFlags();
    flags.isEnabled('filler_7');
    flags.getValue('filler_7');
    await client.close();
    const day = new Date().toISOString().slice(0, 10);
    expect((await api.deps.store.getEvaluations(env.envId, day)).filler_7).toBe(2);
    const after = requests;
    // No timer survives close: several refresh intervals later, no request was made.
    await sleep(200);
    expect(requests).toBe(after);
  });

  it('bundles for browsers and edge runtimes with no Node built-ins', async () => {
    const result = await build({ entryPoints: ['sdk/index.ts'], bundle: true, platform: 'neutral', format: 'esm', mainFields: ['module', 'main'], write: false, minify: true, logLevel: 'silent', metafile: true });
    const code = result.outputFiles[0]?.text ?? '';
    expect(code).not.toMatch(/\brequire\(|from\s*["']node:/);
    expect(Object.keys(result.metafile.inputs).some((input) => input.includes('functions/engine/'))).toBe(true);
  });
});
