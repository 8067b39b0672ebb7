/**
 * The unmodified flagsmith-nodejs SDK against the local stack: remote evaluation, local
 * evaluation from our environment document, and both agreeing for 500 identities.
 */
import { Flagsmith } from 'flagsmith-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRichEnvironment, type RichEnvironment, traitsFor } from '../../support/rich-environment.js';
import { startTestApi, type TestApi } from '../../support/test-api.js';

let api: TestApi;
let env: RichEnvironment;
const clients: Flagsmith[] = [];

// The SDK's 10 s default request timeout would make these tests depend on the machine's load.
const requestTimeoutSeconds = 300;

const remote = (key = env.clientKey) => {
  const client = new Flagsmith({ environmentKey: key, apiUrl: `${api.url}/api/v1/`, retries: 0, requestTimeoutSeconds });
  clients.push(client);
  return client;
};

beforeAll(async () => {
  api = await startTestApi();
  env = await buildRichEnvironment(api);
});
afterAll(async () => {
  for (const client of clients) await client.close();
  await api?.close();
});

describe('flagsmith-nodejs, remote evaluation', () => {
  it('reads environment flags with typed values', async () => {
    const flags = await remote().getEnvironmentFlags();
    expect(flags.isFeatureEnabled('dark_mode')).toBe(true);
    expect(flags.getFeatureValue('banner')).toBe('hello');
    expect(flags.getFeatureValue('max_items')).toBe(10);
    expect(flags.getFeatureValue('ratio')).toBe(0.25);
    expect(JSON.parse(String(flags.getFeatureValue('config')))).toEqual({ theme: 'light', columns: 3 });
    expect(flags.isFeatureEnabled('beta_access')).toBe(true);
    expect(flags.getFeatureValue('checkout')).toBe('control');
  });

  it('evaluates identities with traits: segments, tenant and identity overrides', async () => {
    const client = remote();
    const pro = await client.getIdentityFlags('pro-person', { plan: 'pro', email: 'p@example.com' });
    expect(pro.getFeatureValue('banner')).toBe('welcome, pro');
    const staff = await client.getIdentityFlags('staff-person', { plan: 'pro', email: 'someone@vexilla.dev' });
    expect(staff.getFeatureValue('banner')).toBe('hi colleague');
    const acme = await client.getIdentityFlags('acme-person', { tenant: 'acme', age: 30, country: 'FR' });
    expect(acme.getFeatureValue('max_items')).toBe(99);
    const european = await client.getIdentityFlags('eu-person', { age: 30, country: 'FR' });
    expect(european.getFeatureValue('max_items')).toBe(50);
    const overridden = await client.getIdentityFlags('user-7', { plan: 'pro' });
    expect(overridden.getFeatureValue('banner')).toBe('just for user-7');
    expect(overridden.isFeatureEnabled('banner')).toBe(false);
  });

  it('persists traits so later requests see them', async () => {
    const client = remote();
    await client.getIdentityFlags('remembered', { plan: 'pro' });
    const stored = await api.call('GET', `/admin/v1/environments/${env.envId}/identities/remembered`);
    expect(stored.body.traits).toEqual({ plan: 'pro' });
    const later = await client.getIdentityFlags('remembered', {});
    expect(later.getFeatureValue('banner')).toBe('welcome, pro');
  });
});

describe('flagsmith-nodejs, local evaluation of our environment document', () => {
  it('agrees with remote evaluation for 500 identities, flag by flag', async () => {
    const local = new Flagsmith({ environmentKey: env.serverKey, apiUrl: `${api.url}/api/v1/`, enableLocalEvaluation: true, retries: 0, requestTimeoutSeconds });
    clients.push(local);
    const server = remote();
    let compared = 0;
    const differences: string[] = [];
    const compare = async (i: number) => {
      const identifier = `user-${i}`;
      const traits = traitsFor(i);
      const [viaApi, viaDocument] = await Promise.all([server.getIdentityFlags(identifier, traits), local.getIdentityFlags(identifier, traits)]);
      for (const flag of viaApi.allFlags()) {
        const other = viaDocument.getFlag(flag.featureName);
        compared++;
        // The SDK turns a null value from the API into undefined and one from the document into null.
        if (other.enabled !== flag.enabled || (other.value ?? null) !== (flag.value ?? null)) {
          differences.push(`${identifier} ${flag.featureName}: api ${flag.enabled}/${flag.value} document ${other.enabled}/${other.value}`);
        }
      }
    };
    // Ten identities at a time, as concurrent clients would: each one is a write to the table.
    for (let first = 0; first < 500; first += 10) await Promise.all(Array.from({ length: 10 }, (_, offset) => compare(first + offset)));
    expect(differences).toEqual([]);
    expect(compared).toBe(500 * 20);
  });

  it('buckets multivariate splits and percentage segments across identities', async () => {
    const server = remote();
    const seen = new Set<unknown>();
    let darkOff = 0;
    for (let first = 0; first < 200; first += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, offset) => server.getIdentityFlags(`bucket-${first + offset}`, {})));
      for (const flags of batch) {
        seen.add(flags.getFeatureValue('button_color'));
        if (!flags.isFeatureEnabled('dark_mode')) darkOff++;
      }
    }
    expect(seen).toEqual(new Set(['red', 'blue', 'green']));
    expect(darkOff).toBeGreaterThan(5);
    expect(darkOff).toBeLessThan(45);
  });
});

describe('flagsmith-nodejs analytics', () => {
  it('reports evaluations, counted per feature per day', async () => {
    const client = new Flagsmith({ environmentKey: env.clientKey, apiUrl: `${api.url}/api/v1/`, enableAnalytics: true, retries: 0, requestTimeoutSeconds });
    clients.push(client);
    const flags = await client.getEnvironmentFlags();
    flags.isFeatureEnabled('banner');
    flags.isFeatureEnabled('banner');
    flags.getFeatureValue('max_items');
    // The SDK flushes on a timer; its processor is private, so flush it directly rather than wait.
    await (client as unknown as { analyticsProcessor?: { flush(): Promise<void> } }).analyticsProcessor?.flush();
    const day = new Date().toISOString().slice(0, 10);
    const counts = await api.deps.store.getEvaluations(env.envId, day);
    expect(counts).toMatchObject({ banner: 2, max_items: 1 });
  });
});
