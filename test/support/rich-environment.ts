/**
 * A multivariate- and segment-rich environment, built through the management API the way a
 * team would: toggles, typed values, JSON, multivariate splits, segments with every kind of
 * condition, a tenant override and identity overrides.
 */
import type { TestApi } from './test-api.js';

export interface RichEnvironment {
  projectId: string;
  envId: string;
  clientKey: string;
  serverKey: string;
}

export async function buildRichEnvironment(api: TestApi, name = 'Rich'): Promise<RichEnvironment> {
  const call = async (method: string, path: string, body?: unknown) => {
    const reply = await api.call(method, path, body === undefined ? {} : { body });
    if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body;
  };
  const projectId = (await call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { name })).id;
  const created = await call('POST', `/admin/v1/projects/${projectId}/environments`, { name: 'production' });
  const envId = created.environment.id;
  const serverKey = (await call('POST', `/admin/v1/environments/${envId}/server-keys`, { name: 'backend' })).key;
  const feature = (body: object) => call('POST', `/admin/v1/projects/${projectId}/features`, body);
  const state = (featureName: string, body: object) => call('PATCH', `/admin/v1/environments/${envId}/feature-states/${featureName}`, body);

  await feature({ name: 'dark_mode', defaultEnabled: true });
  await feature({ name: 'banner', initialValue: 'hello', defaultEnabled: true });
  await feature({ name: 'max_items', initialValue: 10, defaultEnabled: true });
  await feature({ name: 'ratio', initialValue: 0.25, defaultEnabled: true });
  await feature({ name: 'config', initialValue: { theme: 'light', columns: 3 }, defaultEnabled: true });
  await feature({ name: 'beta_access', initialValue: false, defaultEnabled: false });
  await feature({
    name: 'checkout',
    type: 'MULTIVARIATE',
    initialValue: 'control',
    defaultEnabled: true,
    options: [
      { value: 'one_page', defaultWeight: 30 },
      { value: 'wizard', defaultWeight: 40 },
    ],
  });
  await feature({
    name: 'button_color',
    type: 'MULTIVARIATE',
    initialValue: 'grey',
    defaultEnabled: true,
    options: [
      { value: 'red', defaultWeight: 50 },
      { value: 'blue', defaultWeight: 25 },
      { value: 'green', defaultWeight: 25 },
    ],
  });
  for (let i = 0; i < 12; i++) await feature({ name: `filler_${i}`, initialValue: `v${i}`, defaultEnabled: i % 2 === 0 });
  await state('beta_access', { enabled: true, value: true });

  const segment = (segmentName: string, rules: object[]) => call('POST', `/admin/v1/projects/${projectId}/segments`, { name: segmentName, rules });
  const pro = await segment('pro users', [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }]);
  const tenPercent = await segment('ten percent', [{ type: 'ALL', conditions: [{ operator: 'PERCENTAGE_SPLIT', property: '', value: '10' }] }]);
  const europeanAdults = await segment('european adults', [
    {
      type: 'ALL',
      conditions: [
        { operator: 'GREATER_THAN_INCLUSIVE', property: 'age', value: '18' },
        { operator: 'IN', property: 'country', value: 'FR,DE,ES,IT' },
      ],
    },
  ]);
  const staff = await segment('staff', [
    { type: 'ANY', conditions: [{ operator: 'REGEX', property: 'email', value: '.*@vexilla\\.dev$' }, { operator: 'CONTAINS', property: 'email', value: '+staff' }] },
  ]);
  const evenAccounts = await segment('even accounts', [
    { type: 'ALL', conditions: [{ operator: 'MODULO', property: 'account', value: '2|0' }], rules: [{ type: 'NONE', conditions: [{ operator: 'IS_SET', property: 'banned', value: '' }] }] },
  ]);
  const newApp = await segment('new app', [{ type: 'ALL', conditions: [{ operator: 'GREATER_THAN', property: 'app_version', value: '2.0.0:semver' }] }]);

  const override = (featureName: string, segmentId: string, body: object) =>
    call('PUT', `/admin/v1/environments/${envId}/feature-states/${featureName}/segment-overrides/${segmentId}`, body);
  await override('banner', pro.id, { enabled: true, value: 'welcome, pro', priority: 1 });
  await override('banner', staff.id, { enabled: true, value: 'hi colleague', priority: 0 });
  // Which identities fall in the ten percent depends on the environment's hashing key, random per
  // run: no test may expect dark_mode on (or off) for a fixed identity (the environment's own
  // state, without an identity, is deterministic).
  await override('dark_mode', tenPercent.id, { enabled: false, priority: 0 });
  await override('max_items', europeanAdults.id, { enabled: true, value: 50, priority: 2 });
  await override('checkout', evenAccounts.id, { enabled: true, value: 'express', priority: 3 });
  await override('config', newApp.id, { enabled: true, value: { theme: 'dark', columns: 4 }, priority: 0 });
  await call('PUT', `/admin/v1/environments/${envId}/feature-states/max_items/tenant-overrides/acme`, { enabled: true, value: 99 });
  for (const id of ['user-7', 'user-42']) {
    await call('PUT', `/admin/v1/environments/${envId}/identities/${id}`, { traits: {} });
    await call('PUT', `/admin/v1/environments/${envId}/identities/${id}/overrides/banner`, { enabled: false, value: `just for ${id}` });
  }
  return { projectId, envId, clientKey: created.clientKey, serverKey };
}

/** Deterministic, varied traits for identity `i`. */
export function traitsFor(i: number): Record<string, string | number | boolean> {
  const countries = ['FR', 'DE', 'US', 'ES', 'JP', 'IT', 'BR'];
  const traits: Record<string, string | number | boolean> = {
    plan: ['free', 'pro', 'team'][i % 3] as string,
    age: 12 + ((i * 7) % 60),
    country: countries[i % countries.length] as string,
    email: i % 11 === 0 ? `person${i}@vexilla.dev` : i % 13 === 0 ? `person+staff${i}@example.com` : `person${i}@example.com`,
    account: 1000 + i,
    app_version: `${1 + (i % 3)}.${i % 5}.0`,
  };
  if (i % 9 === 0) traits.banned = true;
  if (i % 17 === 0) traits.tenant = 'acme';
  return traits;
}
