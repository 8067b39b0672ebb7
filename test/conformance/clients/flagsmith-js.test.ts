/**
 * The unmodified `flagsmith` JavaScript client (the one browsers and React Native use), run in
 * Node with its isomorphic entry and Node's fetch, against the local stack.
 */
import { createFlagsmithInstance } from 'flagsmith/isomorphic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRichEnvironment, type RichEnvironment } from '../../support/rich-environment.js';
import { startTestApi, type TestApi } from '../../support/test-api.js';

let api: TestApi;
let env: RichEnvironment;

beforeAll(async () => {
  api = await startTestApi();
  env = await buildRichEnvironment(api);
});
afterAll(() => api?.close());

describe('flagsmith (JS client)', () => {
  it('initialises, identifies with traits and reads values and features', async () => {
    const flagsmith = createFlagsmithInstance();
    await flagsmith.init({ environmentID: env.clientKey, api: `${api.url}/api/v1/`, fetch: globalThis.fetch, cacheFlags: false, enableAnalytics: false });
    expect(flagsmith.hasFeature('dark_mode')).toBe(true);
    expect(flagsmith.getValue('banner')).toBe('hello');
    expect(flagsmith.getValue('max_items')).toBe(10);

    await flagsmith.identify('js-user', { plan: 'pro', age: 40, country: 'DE' });
    expect(flagsmith.getValue('banner')).toBe('welcome, pro');
    expect(flagsmith.getValue('max_items')).toBe(50);
    expect(flagsmith.getTrait('plan')).toBe('pro');

    await flagsmith.identify('user-42');
    expect(flagsmith.hasFeature('banner')).toBe(false);
    expect(flagsmith.getValue('banner')).toBe('just for user-42');
    flagsmith.stopListening();
  });
});
