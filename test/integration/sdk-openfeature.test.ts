/**
 * The OpenFeature providers (server and web) against the local stack: typed resolution with
 * reasons, variants and metadata; the caller's default with an error code; context changes;
 * READY, CONFIGURATION_CHANGED, STALE and ERROR events; and a clean close.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode, OpenFeature, ProviderEvents, ProviderStatus, type EventDetails } from '@openfeature/server-sdk';
import { OpenFeature as WebOpenFeature, ProviderEvents as WebProviderEvents, ProviderStatus as WebProviderStatus } from '@openfeature/web-sdk';
import { createClient } from '../../sdk/index.js';
import { VexillaServerProvider } from '../../sdk/openfeature-server.js';
import { VexillaWebProvider } from '../../sdk/openfeature-web.js';
import { buildRichEnvironment, type RichEnvironment } from '../support/rich-environment.js';
import { countingFetch, fakeIntervals, tickUntil, until } from '../support/sdk-timers.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let env: RichEnvironment;

beforeAll(async () => {
  api = await startTestApi();
  env = await buildRichEnvironment(api);
  // The clients' refreshes (and the providers' rechecks) happen when a test moves the intervals
  // on, one refresh at a time (support/sdk-timers.ts).
  fakeIntervals();
});
afterAll(async () => {
  vi.useRealTimers();
  // Closing every provider closes their clients; unbinding them (and their contexts) leaves
  // OpenFeature's one-per-process API as the next file in this worker expects it.
  await Promise.all([OpenFeature.clearProviders(), WebOpenFeature.clearProviders()]);
  await api?.close();
});

// Requests that must succeed get all the time a busy machine needs (the SDK's default is 5 s);
// requests that must fail fail at once (a closed server, a fetch that rejects), never by a timeout.
const requestTimeoutMs = 120_000;
/** The network is down: every request fails at once. */
const offline: typeof fetch = () => Promise.reject(new TypeError('fetch failed (network down)'));
const patch = async (name: string, body: object) => {
  const reply = await api.call('PATCH', `/admin/v1/environments/${env.envId}/feature-states/${name}`, { body });
  expect(reply.status).toBeLessThan(300);
};

describe('the OpenFeature server provider', () => {
  it('is READY after initialize and resolves typed values with reasons, variants and metadata', async () => {
    const client = OpenFeature.getClient('typed');
    const ready: EventDetails[] = [];
    client.addHandler(ProviderEvents.Ready, (details) => void ready.push(details as EventDetails));
    await OpenFeature.setProviderAndWait('typed', new VexillaServerProvider({ environmentKey: env.serverKey, apiUrl: api.url, mode: 'local', requestTimeoutMs, analytics: false }));
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(ready).toHaveLength(1);
    expect(ready[0]).toMatchObject({ providerName: 'Vexilla', domain: 'typed' });

    const pro = { targetingKey: 'of-1', plan: 'pro' };
    expect(await client.getStringDetails('banner', 'x', pro)).toMatchObject({ value: 'welcome, pro', reason: 'TARGETING_MATCH', flagMetadata: { enabled: true } });
    expect(await client.getBooleanDetails('beta_access', false, pro)).toMatchObject({ value: true, reason: 'DEFAULT', flagMetadata: { enabled: true } });
    // Booleans read the on/off state: a disabled flag is false, with reason DISABLED.
    expect(await client.getBooleanDetails('filler_1', true, pro)).toMatchObject({ value: false, reason: 'DISABLED', flagMetadata: { enabled: false } });
    expect(await client.getNumberDetails('max_items', 0, { targetingKey: 'acme-1', tenant: 'acme' })).toMatchObject({ value: 99, reason: 'TENANT_OVERRIDE' });
    expect(await client.getNumberValue('max_items', 0, { targetingKey: 'eu-1', age: 30, country: 'DE' })).toBe(50);
    expect(await client.getNumberDetails('ratio', 0, pro)).toMatchObject({ value: 0.25, reason: 'DEFAULT' });
    // Objects parse the JSON strings Flagsmith's formats carry.
    expect(await client.getObjectDetails('config', {}, pro)).toMatchObject({ value: { theme: 'light', columns: 3 }, reason: 'DEFAULT' });
    expect(await client.getObjectValue('config', {}, { targetingKey: 'of-2', app_version: '2.5.0' })).toEqual({ theme: 'dark', columns: 4 });
    // Multivariate flags split identities across their options, with reason SPLIT. (Local mode has
    // no variant keys: the environment document does not carry them; remote and edge modes do.)
    const colors = await Promise.all(Array.from({ length: 40 }, (_, i) => client.getStringDetails('button_color', 'none', { targetingKey: `mv-${i}` })));
    expect(new Set(colors.map((c) => c.value))).toEqual(new Set(['red', 'blue', 'green']));
    for (const color of colors) expect(color).toMatchObject({ reason: 'SPLIT', flagMetadata: { enabled: true, engineReason: expect.stringMatching(/^SPLIT/) } });
  });

  it('answers the caller default with an error code for unknown flags and type mismatches', async () => {
    const client = OpenFeature.getClient('typed');
    const context = { targetingKey: 'of-3', plan: 'pro' };
    expect(await client.getBooleanDetails('nope', true, context)).toMatchObject({ value: true, reason: 'ERROR', errorCode: ErrorCode.FLAG_NOT_FOUND });
    expect(await client.getStringDetails('nope', 'fallback', context)).toMatchObject({ value: 'fallback', errorCode: ErrorCode.FLAG_NOT_FOUND });
    expect(await client.getNumberDetails('banner', 7, context)).toMatchObject({ value: 7, reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH });
    expect(await client.getStringDetails('max_items', 's', context)).toMatchObject({ value: 's', errorCode: ErrorCode.TYPE_MISMATCH });
    // Not JSON, and JSON that is not an object.
    expect(await client.getObjectDetails('banner', { d: 1 }, context)).toMatchObject({ value: { d: 1 }, errorCode: ErrorCode.TYPE_MISMATCH });
    expect(await client.getObjectDetails('max_items', [], context)).toMatchObject({ value: [], errorCode: ErrorCode.TYPE_MISMATCH });
  });

  it('evaluates each evaluation context on its own: identity, traits, identity overrides', async () => {
    const client = OpenFeature.getClient('typed');
    expect(await client.getStringValue('banner', 'x', { targetingKey: 'ctx-1', plan: 'pro' })).toBe('welcome, pro');
    expect(await client.getStringValue('banner', 'x', { targetingKey: 'ctx-1', plan: 'free' })).toBe('hello');
    expect(await client.getStringValue('banner', 'x', { targetingKey: 'ctx-2', email: 'ada@vexilla.dev' })).toBe('hi colleague');
    // Non-primitive attributes are not traits and are ignored.
    expect(await client.getStringValue('banner', 'x', { targetingKey: 'ctx-3', plan: 'pro', nested: { a: 1 }, list: [1] })).toBe('welcome, pro');
    // An identity override that also disables the flag.
    expect(await client.getStringDetails('banner', 'x', { targetingKey: 'user-7' })).toMatchObject({ value: 'just for user-7', reason: 'DISABLED', flagMetadata: { enabled: false } });
    expect(await client.getBooleanValue('banner', true, { targetingKey: 'user-7' })).toBe(false);
    // Without a targeting key: the environment's values.
    expect(await client.getStringValue('banner', 'x', {})).toBe('hello');
  });

  it('emits CONFIGURATION_CHANGED with the changed flags when a flag changes on the server', async () => {
    const client = OpenFeature.getClient('changes');
    const changes: string[][] = [];
    client.addHandler(ProviderEvents.ConfigurationChanged, (details) => void changes.push(details?.flagsChanged ?? []));
    const requests = countingFetch();
    await OpenFeature.setProviderAndWait('changes', new VexillaServerProvider({ environmentKey: env.serverKey, apiUrl: api.url, mode: 'local', refreshIntervalMs: 150, requestTimeoutMs, analytics: false, fetch: requests.fetch }));
    expect(await client.getStringValue('filler_4', 'x', { targetingKey: 'c-1' })).toBe('v4');
    await patch('filler_4', { enabled: true, value: 'changed for OpenFeature' });
    await tickUntil(() => changes.length > 0, 150, requests, 'CONFIGURATION_CHANGED');
    expect(changes).toEqual([['filler_4']]);
    expect(await client.getStringValue('filler_4', 'x', { targetingKey: 'c-1' })).toBe('changed for OpenFeature');
  });

  it('goes STALE and keeps last-known-good values when the service goes away', async () => {
    const own = await startTestApi();
    const ownEnv = await buildRichEnvironment(own, 'Outage');
    const client = OpenFeature.getClient('outage');
    const events: string[] = [];
    for (const event of [ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.Error]) client.addHandler(event, () => void events.push(event));
    const requests = countingFetch();
    await OpenFeature.setProviderAndWait('outage', new VexillaServerProvider({ environmentKey: ownEnv.serverKey, apiUrl: own.url, mode: 'local', refreshIntervalMs: 100, retries: 0, requestTimeoutMs, analytics: false, fetch: requests.fetch }));
    const context = { targetingKey: 'u', plan: 'pro' };
    expect(await client.getStringDetails('banner', 'x', context)).toMatchObject({ value: 'welcome, pro', reason: 'TARGETING_MATCH' });
    await own.close();
    // Refreshes now fail (connection refused).
    await tickUntil(() => events.includes(ProviderEvents.Stale), 100, requests, 'STALE');
    expect(client.providerStatus).toBe(ProviderStatus.STALE);
    expect(await client.getStringDetails('banner', 'x', context)).toMatchObject({ value: 'welcome, pro', reason: 'STALE' });
    expect(await client.getStringDetails('nope', 'x', context)).toMatchObject({ value: 'x', errorCode: ErrorCode.FLAG_NOT_FOUND });
    expect(events).toEqual([ProviderEvents.Ready, ProviderEvents.Stale]);
  });

  it('recovers from STALE to READY once the service answers again', async () => {
    let down = false;
    const requests = countingFetch((input, init) => (down ? offline(input, init) : fetch(input, init)));
    const client = OpenFeature.getClient('flaky');
    const events: string[] = [];
    for (const event of [ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.Error]) client.addHandler(event, () => void events.push(event));
    await OpenFeature.setProviderAndWait('flaky', new VexillaServerProvider({ environmentKey: env.serverKey, apiUrl: api.url, mode: 'local', refreshIntervalMs: 100, retries: 0, requestTimeoutMs, analytics: false, fetch: requests.fetch }));
    down = true;
    await tickUntil(() => events.includes(ProviderEvents.Stale), 100, requests, 'STALE');
    expect(await client.getStringDetails('banner', 'x', { targetingKey: 'r-1', plan: 'pro' })).toMatchObject({ value: 'welcome, pro', reason: 'STALE' });
    down = false;
    // A refresh succeeds; the provider's next recheck reports READY.
    await tickUntil(() => events.filter((e) => e === ProviderEvents.Ready).length === 2, 100, requests, 'READY again');
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(await client.getStringDetails('banner', 'x', { targetingKey: 'r-1', plan: 'pro' })).toMatchObject({ value: 'welcome, pro', reason: 'TARGETING_MATCH' });
    expect(events).toEqual([ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.Ready]);
  });

  it('reports ERROR when no flags can be loaded, answering defaults with PROVIDER_NOT_READY; bootstrap values start STALE', async () => {
    const unreachable = { environmentKey: 'ser.nothing', apiUrl: 'http://127.0.0.1:9', fetch: offline, mode: 'local' as const, retries: 0, analytics: false as const };
    const client = OpenFeature.getClient('offline');
    const errors: string[] = [];
    client.addHandler(ProviderEvents.Error, (details) => void errors.push(details?.message ?? ''));
    await expect(OpenFeature.setProviderAndWait('offline', new VexillaServerProvider(unreachable))).rejects.toThrow(/could not load any flags/);
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);
    expect(errors).toHaveLength(1);
    expect(await client.getBooleanDetails('dark_mode', true, { targetingKey: 'o-1' })).toMatchObject({ value: true, reason: 'ERROR', errorCode: ErrorCode.PROVIDER_NOT_READY });

    const bootstrapped = OpenFeature.getClient('bootstrapped');
    const events: string[] = [];
    for (const event of [ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.Error]) bootstrapped.addHandler(event, () => void events.push(event));
    await OpenFeature.setProviderAndWait('bootstrapped', new VexillaServerProvider({ ...unreachable, bootstrap: { banner: { enabled: true, value: 'from bootstrap' } } }));
    await until(() => events.length === 2, 'READY and STALE');
    expect(events).toEqual([ProviderEvents.Ready, ProviderEvents.Stale]);
    expect(await bootstrapped.getStringDetails('banner', 'x')).toMatchObject({ value: 'from bootstrap', reason: 'STALE' });
  });
  it('adopts an existing client, which stays the caller\'s to close', async () => {
    const existing = createClient({ environmentKey: env.serverKey, apiUrl: api.url, mode: 'local', requestTimeoutMs, analytics: false });
    const provider = new VexillaServerProvider({ client: existing });
    await OpenFeature.setProviderAndWait('adopted', provider);
    expect(provider.client).toBe(existing);
    expect(await OpenFeature.getClient('adopted').getStringValue('banner', 'x', { targetingKey: 'a-1', plan: 'pro' })).toBe('welcome, pro');
    await provider.onClose();
    expect((await existing.getFlags({ identifier: 'a-1', traits: { plan: 'pro' } })).getString('banner', 'x')).toBe('welcome, pro');
    await existing.close();
  });
});

describe('the OpenFeature web provider', () => {
  /** The requests of the `web` domain's provider (its tests build on each other). */
  const webRequests = countingFetch();

  it('resolves synchronously for the current context, and a new context changes the answers', async () => {
    const provider = new VexillaWebProvider({ environmentKey: env.clientKey, apiUrl: api.url, mode: 'edge', refreshIntervalMs: 150, cacheTtlMs: 0, persistTraits: false, requestTimeoutMs, analytics: false, fetch: webRequests.fetch });
    const client = WebOpenFeature.getClient('web');
    const events: string[] = [];
    for (const event of [WebProviderEvents.Ready, WebProviderEvents.ContextChanged, WebProviderEvents.Reconciling]) client.addHandler(event, () => void events.push(event));
    await WebOpenFeature.setProviderAndWait('web', provider, { targetingKey: 'web-1', plan: 'pro', age: 30, country: 'DE' });
    expect(client.providerStatus).toBe(WebProviderStatus.READY);
    expect(events).toEqual([WebProviderEvents.Ready]);

    expect(client.getStringDetails('banner', 'x')).toMatchObject({ value: 'welcome, pro', reason: 'TARGETING_MATCH', flagMetadata: { enabled: true } });
    expect(client.getNumberDetails('max_items', 0)).toMatchObject({ value: 50, reason: 'TARGETING_MATCH' });
    expect(client.getBooleanDetails('beta_access', false)).toMatchObject({ value: true, reason: 'DEFAULT' });
    expect(client.getBooleanValue('filler_1', true)).toBe(false);
    expect(client.getObjectValue('config', {})).toEqual({ theme: 'light', columns: 3 });
    expect(client.getStringDetails('button_color', 'none')).toMatchObject({ reason: 'SPLIT', variant: expect.any(String) });
    expect(client.getBooleanDetails('nope', true)).toMatchObject({ value: true, reason: 'ERROR', errorCode: 'FLAG_NOT_FOUND' });
    expect(client.getNumberDetails('banner', 1)).toMatchObject({ value: 1, reason: 'ERROR', errorCode: 'TYPE_MISMATCH' });

    await WebOpenFeature.setContext('web', { targetingKey: 'web-1', plan: 'free', tenant: 'acme' });
    expect(events).toEqual([WebProviderEvents.Ready, WebProviderEvents.Reconciling, WebProviderEvents.ContextChanged]);
    expect(client.getStringValue('banner', 'x')).toBe('hello');
    expect(client.getNumberValue('max_items', 0)).toBe(99);
    expect(client.providerStatus).toBe(WebProviderStatus.READY);
  });

  it('emits CONFIGURATION_CHANGED after a flag changes on the server, with the new value resolvable', async () => {
    const client = WebOpenFeature.getClient('web');
    const changes: string[][] = [];
    client.addHandler(WebProviderEvents.ConfigurationChanged, (details) => void changes.push(details?.flagsChanged ?? []));
    expect(client.getStringValue('filler_6', 'x')).toBe('v6');
    await patch('filler_6', { enabled: true, value: 'changed for the web' });
    await tickUntil(() => changes.length > 0, 150, webRequests, 'CONFIGURATION_CHANGED');
    expect(changes).toEqual([['filler_6']]);
    expect(client.getStringValue('filler_6', 'x')).toBe('changed for the web');
  });

  it('goes STALE with last-known-good values when the service goes away', async () => {
    const own = await startTestApi();
    const ownEnv = await buildRichEnvironment(own, 'Web outage');
    const requests = countingFetch();
    const provider = new VexillaWebProvider({ environmentKey: ownEnv.clientKey, apiUrl: own.url, mode: 'edge', refreshIntervalMs: 100, retries: 0, requestTimeoutMs, analytics: false, fetch: requests.fetch });
    const client = WebOpenFeature.getClient('web-outage');
    const events: string[] = [];
    for (const event of [WebProviderEvents.Ready, WebProviderEvents.Stale, WebProviderEvents.Error]) client.addHandler(event, () => void events.push(event));
    await WebOpenFeature.setProviderAndWait('web-outage', provider, { targetingKey: 'w', plan: 'pro' });
    expect(client.getStringDetails('banner', 'x')).toMatchObject({ value: 'welcome, pro', reason: 'TARGETING_MATCH' });
    await own.close();
    // Refreshes now fail (connection refused).
    await tickUntil(() => events.includes(WebProviderEvents.Stale), 100, requests, 'STALE');
    expect(client.providerStatus).toBe(WebProviderStatus.STALE);
    // The context's last-known-good flags stay, marked STALE; a new context falls back to the environment's.
    expect(client.getStringDetails('banner', 'x')).toMatchObject({ value: 'welcome, pro', reason: 'STALE' });
    await WebOpenFeature.setContext('web-outage', { targetingKey: 'w2', plan: 'pro' });
    expect(client.getStringDetails('banner', 'x')).toMatchObject({ value: 'hello', reason: 'STALE' });
    await until(() => client.providerStatus === WebProviderStatus.STALE, 'STALE for the new context');
    expect(events.filter((e) => e === WebProviderEvents.Error)).toEqual([]);
  });
});
