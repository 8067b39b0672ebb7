/**
 * OpenFeature's own OFREP providers, unmodified, against the local stack: the server SDK with
 * @openfeature/ofrep-provider and the web SDK with @openfeature/ofrep-web-provider.
 */
import { OFREPProvider } from '@openfeature/ofrep-provider';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';
import { OpenFeature as ServerFeature } from '@openfeature/server-sdk';
import { OpenFeature as WebFeature } from '@openfeature/web-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRichEnvironment, type RichEnvironment } from '../../support/rich-environment.js';
import { startTestApi, type TestApi } from '../../support/test-api.js';

let api: TestApi;
let env: RichEnvironment;

beforeAll(async () => {
  api = await startTestApi();
  env = await buildRichEnvironment(api);
});
afterAll(async () => {
  // OpenFeature's API is one per process, shared with the next file in this worker: close the
  // providers and unbind them, and drop the context this file set.
  await ServerFeature.clearProviders();
  await WebFeature.clearProviders();
  await WebFeature.clearContext();
  await api?.close();
});

describe('@openfeature/server-sdk with @openfeature/ofrep-provider', () => {
  it('resolves booleans, strings, numbers and objects with details', async () => {
    await ServerFeature.setProviderAndWait(new OFREPProvider({ baseUrl: api.url, headers: [['Authorization', `Bearer ${env.clientKey}`]] }));
    const client = ServerFeature.getClient();

    const beta = await client.getBooleanDetails('beta_access', false, { targetingKey: 'of-1' });
    expect(beta).toMatchObject({ flagKey: 'beta_access', value: true, reason: 'STATIC' });

    const banner = await client.getStringDetails('banner', 'fallback', { targetingKey: 'of-2', plan: 'pro' });
    expect(banner).toMatchObject({ value: 'welcome, pro', reason: 'TARGETING_MATCH' });
    expect(banner.flagMetadata.id).toEqual(expect.any(Number));

    const limit = await client.getNumberDetails('max_items', 0, { targetingKey: 'of-3', tenant: 'acme' });
    // A tenant override names its step of the evaluation order (README: the evaluation order).
    expect(limit).toMatchObject({ value: 99, reason: 'TENANT_OVERRIDE' });

    const config = await client.getObjectDetails('config', {}, { targetingKey: 'of-4', app_version: '3.1.0' });
    expect(config).toMatchObject({ value: { theme: 'dark', columns: 4 }, reason: 'TARGETING_MATCH' });

    const split = await client.getStringDetails('button_color', 'grey', { targetingKey: 'of-5' });
    expect(['red', 'blue', 'green']).toContain(split.value);
    expect(split.reason).toBe('SPLIT');
    expect(split.variant).toEqual(expect.stringMatching(/^\d+$/));

    const staticValue = await client.getStringDetails('filler_0', 'x', { targetingKey: 'of-6' });
    expect(staticValue).toMatchObject({ value: 'v0', reason: 'STATIC' });

    // A disabled valued flag keeps its value and says so; callers decide what disabled means.
    const disabled = await client.getStringDetails('filler_1', 'x', { targetingKey: 'of-6' });
    expect(disabled).toMatchObject({ value: 'v1', reason: 'DISABLED' });

    // The environment's toggle, read without a targetingKey: dark_mode is also off for a
    // ten-percent split of identities, and which ones depends on the environment's random hashing
    // key, so an identity's answer (any fixed targetingKey) stays DISABLED whatever the toggle
    // says in one run of ten.
    const toggle = () => client.getBooleanDetails('dark_mode', true, {});
    expect(await toggle()).toMatchObject({ value: true, reason: 'DEFAULT' });
    expect((await api.call('PATCH', `/admin/v1/environments/${env.envId}/feature-states/dark_mode`, { body: { enabled: false } })).status).toBe(200);
    // The test stack drops its snapshots on every write; wait for the change, not for a time.
    await expect.poll(async () => (await toggle()).value).toBe(false);
    expect(await toggle()).toMatchObject({ value: false, reason: 'DISABLED' });
    expect((await api.call('PATCH', `/admin/v1/environments/${env.envId}/feature-states/dark_mode`, { body: { enabled: true } })).status).toBe(200);
    await expect.poll(async () => (await toggle()).value).toBe(true);
    expect(await toggle()).toMatchObject({ value: true, reason: 'DEFAULT' });
  });

  it('answers the default with an error code for unknown flags and type mismatches', async () => {
    const client = ServerFeature.getClient();
    const missing = await client.getBooleanDetails('no_such_flag', true, { targetingKey: 'x' });
    expect(missing).toMatchObject({ value: true, errorCode: 'FLAG_NOT_FOUND', reason: 'ERROR' });
    const mismatch = await client.getNumberDetails('banner', 7, { targetingKey: 'x' });
    expect(mismatch).toMatchObject({ value: 7, errorCode: 'TYPE_MISMATCH' });
  });

  it('rejects an unknown key (the provider reports it and answers defaults)', async () => {
    const provider = new OFREPProvider({ baseUrl: api.url, headers: [['X-API-Key', 'not-a-key']] });
    await ServerFeature.setProviderAndWait('stranger', provider);
    const details = await ServerFeature.getClient('stranger').getBooleanDetails('dark_mode', false, { targetingKey: 'x' });
    expect(details).toMatchObject({ value: false, reason: 'ERROR' });
  });
});

describe('@openfeature/web-sdk with @openfeature/ofrep-web-provider', () => {
  it('evaluates in bulk, then polls with If-None-Match and gets 304 while nothing changed', async () => {
    const statuses: number[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      statuses.push(response.status);
      return response;
    };
    // The previous test's last change (dark_mode on again) is served before polling starts, so
    // polling sees nothing new: wait for that, not for a time (the environment's toggle, as there).
    await expect.poll(async () => (await ServerFeature.getClient().getBooleanDetails('dark_mode', false, {})).value).toBe(true);
    await WebFeature.setContext({ targetingKey: 'web-1', plan: 'pro' });
    await WebFeature.setProviderAndWait(
      new OFREPWebProvider({ baseUrl: api.url, headers: [['X-API-Key', env.clientKey]], pollInterval: 150, cacheMode: 'disabled', fetchImplementation: recordingFetch }),
    );
    const client = WebFeature.getClient();
    expect(client.getStringValue('banner', 'x')).toBe('welcome, pro');
    expect(client.getNumberValue('max_items', 0)).toBe(10);
    expect(client.getBooleanValue('dark_mode', false)).toEqual(expect.any(Boolean));
    // Polls of unchanged flags answer 304: wait for the first poll (not for a time).
    await expect.poll(() => statuses.slice(1)).toContain(304);
    expect(statuses[0]).toBe(200);
    expect(statuses.slice(1).every((status) => status === 304)).toBe(true);
  });
});
