/**
 * Issue 12, item 7: deleting anything deletes all of it, in as many transactions as needed, and
 * is safe to retry: a crash half-way leaves nothing that still applies, and a retry finishes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Environment, Project } from '../../functions/domain/entities.js';
import type { Store } from '../../functions/domain/ports.js';
import { createFeature } from '../../functions/domain/use-cases/features.js';
import { deleteIdentity, putIdentity, putIdentityOverride } from '../../functions/domain/use-cases/targeting.js';
import type { Actor, Deps } from '../../functions/domain/use-cases/support.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let project: Project;
let environment: Environment;
let clientKey: string;
let serverKey: string;
const actor: Actor = { id: 'test', name: 'test', orgId: '', roles: { organisation: 'admin' } };
const FEATURES = 150;
const featureNames = Array.from({ length: FEATURES }, (_, i) => `f_${String(i).padStart(3, '0')}`);

beforeAll(async () => {
  api = await startTestApi();
  actor.orgId = api.organisationId;
  const projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Cascades' } })).body.id;
  const created = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } })).body;
  clientKey = created.clientKey;
  serverKey = (await api.call('POST', `/admin/v1/environments/${created.environment.id}/server-keys`, { body: { name: 's' } })).body.key;
  project = (await api.call('GET', `/admin/v1/projects/${projectId}`)).body;
  environment = (await api.call('GET', `/admin/v1/environments/${created.environment.id}`)).body;
  for (const name of featureNames) await createFeature(api.deps, actor, project, { name, type: 'STANDARD', defaultEnabled: true, initialValue: 'default', options: [], tags: [], description: '', owner: null });
}, 300_000);
afterAll(() => api?.close());

/** The same dependencies, with a store whose commits fail after `commits` of them: a process killed mid-way. */
function crashingAfter(deps: Deps, commits: number): Deps {
  let left = commits;
  const store: Store = new Proxy(deps.store, {
    get(target, property, receiver) {
      if (property === 'commit') {
        return async (writes: Parameters<Store['commit']>[0]) => {
          if (left-- <= 0) throw new Error('killed');
          return target.commit(writes);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...deps, store };
}

async function identityWithOverrides(identifier: string) {
  await putIdentity(api.deps, actor, environment, identifier, { traits: { plan: 'pro' } });
  for (const name of featureNames) await putIdentityOverride(api.deps, actor, environment, project, identifier, name, { enabled: true, value: `for ${identifier}` });
}

/** What an SDK is served for the identity: the values of overridden flags. */
async function served(identifier: string): Promise<string[]> {
  const reply = await fetch(`${api.url}/api/v1/identities/`, {
    method: 'POST',
    headers: { 'x-environment-key': clientKey, 'content-type': 'application/json' },
    body: JSON.stringify({ identifier, traits: [] }),
  });
  const body = (await reply.json()) as { flags: { feature_state_value: string }[] };
  return body.flags.map((flag) => flag.feature_state_value).filter((value) => value !== 'default');
}

/** The identity overrides the environment document carries for the identity, across pages. */
async function documentOverrides(identifier: string): Promise<number> {
  let url: string | undefined = '/api/v1/environment-document/';
  let count = 0;
  while (url) {
    const page: Response = await fetch(`${api.url}${url}`, { headers: { 'x-environment-key': serverKey } });
    const document = (await page.json()) as { identity_overrides: { identifier: string; identity_features: unknown[] }[] };
    for (const identity of document.identity_overrides) if (identity.identifier === identifier) count += identity.identity_features.length;
    url = /<([^>]+)>;\s*rel="next"/.exec(page.headers.get('link') ?? '')?.[1];
  }
  return count;
}

const storedItems = (identifier: string) => api.deps.store.listAll({ of: 'identity-with-overrides', envId: environment.id, identifier });

describe('deleting an identity', () => {
  it(`deletes all ${FEATURES} of its overrides`, async () => {
    await identityWithOverrides('many');
    expect(await served('many')).toHaveLength(FEATURES);
    expect(await documentOverrides('many')).toBe(FEATURES);

    expect((await api.call('DELETE', `/admin/v1/environments/${environment.id}/identities/many`)).status).toBe(204);

    expect(await storedItems('many')).toEqual([]);
    expect(await served('many')).toEqual([]);
    expect(await documentOverrides('many')).toBe(0);
    expect((await api.call('GET', `/admin/v1/environments/${environment.id}/identities/many`)).status).toBe(404);
    const audit = (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${environment.id}&limit=5`)).body.items;
    expect(audit[0]).toMatchObject({ detailType: 'identity.changed', action: 'deleted', subject: { identifier: 'many' } });
  }, 300_000);

  it('killed half-way, leaves nothing that applies, and deleting again finishes', async () => {
    await identityWithOverrides('crash');
    // The mark, then one batch of overrides; the process dies before the rest.
    await expect(deleteIdentity(crashingAfter(api.deps, 2), actor, environment, 'crash')).rejects.toThrow('killed');
    const left = await storedItems('crash');
    expect(left.filter((item) => item.type === 'identity-override').length).toBe(FEATURES - 100);

    expect(await served('crash')).toEqual([]);
    expect(await documentOverrides('crash')).toBe(0);
    expect((await api.call('GET', `/admin/v1/environments/${environment.id}/identities/crash`)).status).toBe(404);
    const listed = (await api.call('GET', `/admin/v1/environments/${environment.id}/identities?limit=1000`)).body.items.map((i: { identifier: string }) => i.identifier);
    expect(listed).not.toContain('crash');
    expect((await api.call('PUT', `/admin/v1/environments/${environment.id}/identities/crash/overrides/f_000`, { body: { enabled: true } })).status).toBe(404);

    expect((await api.call('DELETE', `/admin/v1/environments/${environment.id}/identities/crash`)).status).toBe(204);
    expect(await storedItems('crash')).toEqual([]);
    expect((await api.call('DELETE', `/admin/v1/environments/${environment.id}/identities/crash`)).status).toBe(404);
  }, 300_000);

  it('creating the identity again while a deletion is half-done finishes the deletion first', async () => {
    await identityWithOverrides('again');
    await expect(deleteIdentity(crashingAfter(api.deps, 1), actor, environment, 'again')).rejects.toThrow('killed');
    const created = await api.call('PUT', `/admin/v1/environments/${environment.id}/identities/again`, { body: { traits: { plan: 'free' } } });
    expect(created.status).toBe(200);
    const items = await storedItems('again');
    expect(items).toEqual([expect.objectContaining({ type: 'identity', traits: { plan: 'free' } })]);
    expect(await served('again')).toEqual([]);
  }, 300_000);
});
