/**
 * Issue 12, items 2 to 6: input that the schemas used to let through and DynamoDB (or the
 * stack) then refused with a 500, or silently changed. Each case is a request a client can send;
 * each must get a clear 4xx with nothing stored, or work and round-trip.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sortedKeys } from '../../functions/domain/flagsmith-document.js';
import { routes } from '../../functions/http/routes.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

/** Some cases write and read megabytes through DynamoDB Local: room for a busy machine. */
const HEAVY = 180_000;

let api: TestApi;
let projectId: string;
let envId: string;
let clientKey: string;
let serverKey: string;

beforeAll(async () => {
  // This file hunts 5xx answers to hostile input on the admin API as Lambda runs it: the AWS SDK client (the other files use the sdk-api's lean client).
  api = await startTestApi({ awsSdkDynamoDb: true });
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Hostile' } })).body.id;
  const env = await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } });
  envId = env.body.environment.id;
  clientKey = env.body.clientKey;
  serverKey = (await api.call('POST', `/admin/v1/environments/${envId}/server-keys`, { body: { name: 'sdk' } })).body.key;
}, 60_000);
afterAll(() => api?.close());

const sdk = (method: string, path: string, body?: unknown, key = clientKey) =>
  api.call(method, path, { token: undefined, headers: { 'x-environment-key': key }, ...(body !== undefined ? { body } : {}) });
const raw = (method: string, path: string, text: string, headers: Record<string, string> = {}) =>
  api.call(method, path, { rawBody: text, headers: { 'content-type': 'application/json', ...headers } });
const feature = (body: object) => api.call('POST', `/admin/v1/projects/${projectId}/features`, { body });
const fsPath = (name: string) => `/admin/v1/environments/${envId}/feature-states/${name}`;
const audit = async () => (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?limit=1000`)).body.items as any[];
const nested = (depth: number, leaf: unknown = 1): unknown => (depth === 0 ? leaf : [nested(depth - 1, leaf)]);

/**
 * The audit records from the newest one's instant on (any record written later sorts there or
 * after): a handful, where the whole log holds this file's megabyte-sized images.
 */
async function auditTail(): Promise<string[]> {
  const [newest] = (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?limit=1`)).body.items as { at: string }[];
  if (!newest) return [];
  const tail = await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?from=${encodeURIComponent(newest.at)}&limit=1000`);
  return tail.body.items.map((record: { id: string }) => record.id);
}

/** A refused request leaves nothing behind: no audit record after it. */
async function refusedWithNothingStored(request: () => Promise<{ status: number; body: any }>, status: number | RegExp = /^4/) {
  const before = await auditTail();
  const reply = await request();
  if (typeof status === 'number') expect(reply.status, JSON.stringify(reply.body).slice(0, 300)).toBe(status);
  else expect(String(reply.status), JSON.stringify(reply.body).slice(0, 300)).toMatch(status);
  expect(reply.body).toMatchObject({ statusCode: reply.status, message: expect.any(String) });
  expect(await auditTail()).toEqual(before);
  return reply;
}

describe('item 2: keys never outgrow DynamoDB', { timeout: HEAVY }, () => {
  it('keeps identities whose identifiers are up to 2,000 characters or 8,000 bytes, and finds them again', async () => {
    const identifiers = ['a'.repeat(1025), 'b'.repeat(2000), '€'.repeat(400), '🚩'.repeat(1000), `${'c'.repeat(511)}€`];
    await feature({ name: 'banner', initialValue: 'off' });
    for (const identifier of identifiers) {
      const posted = await sdk('POST', '/api/v1/identities/', { identifier, traits: [{ trait_key: 'plan', trait_value: 'pro' }] });
      expect(posted.status, identifier.slice(0, 10)).toBe(200);
      expect(posted.body.identifier).toBe(identifier);
      const read = await api.call('GET', `/admin/v1/environments/${envId}/identities/${encodeURIComponent(identifier)}`);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({ identifier, traits: { plan: 'pro' } });
      const override = await api.call('PUT', `/admin/v1/environments/${envId}/identities/${encodeURIComponent(identifier)}/overrides/banner`, { body: { enabled: true, value: 'on' } });
      expect(override.status).toBe(200);
    }
    const again = await sdk('GET', `/api/v1/identities/?identifier=${encodeURIComponent(identifiers[1] as string)}`);
    expect(again.body.flags.find((flag: { feature: { name: string } }) => flag.feature.name === 'banner')).toMatchObject({ enabled: true, feature_state_value: 'on' });
    const document = await sdk('GET', '/api/v1/environment-document/', undefined, serverKey);
    expect(document.body.identity_overrides.map((identity: { identifier: string }) => identity.identifier)).toEqual(expect.arrayContaining(identifiers));
    // Two identifiers that share their first 512 bytes are still two identities.
    const twin = `${'b'.repeat(1999)}c`;
    await sdk('POST', '/api/v1/identities/', { identifier: twin, traits: [{ trait_key: 'plan', trait_value: 'free' }] });
    expect((await api.call('GET', `/admin/v1/environments/${envId}/identities/${twin}`)).body.traits).toEqual({ plan: 'free' });
    expect((await api.call('GET', `/admin/v1/environments/${envId}/identities/${identifiers[1]}`)).body.traits).toEqual({ plan: 'pro' });
  });

  it('refuses identifiers beyond 2,000 characters with a 400', async () => {
    await refusedWithNothingStored(() => sdk('POST', '/api/v1/identities/', { identifier: 'x'.repeat(2001) }), 400);
  });

  it('answers every route with a 4xx when a path parameter is 3,000 characters, or 700 multi-byte ones', async () => {
    for (const long of ['a'.repeat(3000), '€'.repeat(700)]) {
      for (const route of routes) {
        if (!route.path.includes('{')) continue;
        const path = route.path.replace(/\{[^}]+\}/g, encodeURIComponent(long));
        const key = route.access.credential === 'environment-key' ? (route.access.server ? serverKey : clientKey) : undefined;
        const body = route.method === 'GET' ? {} : { body: {} };
        const reply = key ? await api.call(route.method, path, { token: undefined, headers: { 'x-environment-key': key }, ...body }) : await api.call(route.method, path, body);
        expect(String(reply.status), `${route.method} ${route.path}: ${JSON.stringify(reply.body)}`).toMatch(/^4/);
      }
    }
  });

  it('refuses a feature name of 5,000 characters and tenant ids beyond 512 bytes', async () => {
    await refusedWithNothingStored(() => feature({ name: 'f'.repeat(5000) }), 422);
    await feature({ name: 'tenanted', initialValue: 1 });
    await refusedWithNothingStored(() => api.call('PUT', `${fsPath('tenanted')}/tenant-overrides/${encodeURIComponent('€'.repeat(200))}`, { body: { enabled: true } }), 422);
    const fits = await api.call('PUT', `${fsPath('tenanted')}/tenant-overrides/${encodeURIComponent('€'.repeat(170))}`, { body: { enabled: true } });
    expect(fits.status).toBe(200);
  });
});

describe('item 3: any trait name round-trips', { timeout: HEAVY }, () => {
  const names = ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf', '__defineGetter__'];

  it('through POST identities/ of the Flagsmith SDK API, and the management API', async () => {
    const traits = names.map((trait_key, i) => ({ trait_key, trait_value: `v${i}` }));
    const posted = await sdk('POST', '/api/v1/identities/', { identifier: 'proto-user', traits });
    expect(posted.status).toBe(200);
    expect(posted.body.traits).toEqual(expect.arrayContaining(traits));
    const again = await sdk('GET', '/api/v1/identities/?identifier=proto-user');
    expect(again.body.traits).toEqual(expect.arrayContaining(traits));
    const admin = await api.call('GET', `/admin/v1/environments/${envId}/identities/proto-user`);
    expect(Object.keys(admin.body.traits).sort()).toEqual([...names].sort());

    const put = await raw('PUT', `/admin/v1/environments/${envId}/identities/proto-admin`, JSON.stringify({ traits: Object.fromEntries(names.map((name) => [name, name.length])) }));
    expect(put.status).toBe(200);
    const read = await api.call('GET', `/admin/v1/environments/${envId}/identities/proto-admin`);
    expect(read.body.traits).toEqual(Object.fromEntries(names.map((name) => [name, name.length])));
    // Removing one with null, as Flagsmith does, removes that one only.
    await sdk('POST', '/api/v1/identities/', { identifier: 'proto-user', traits: [{ trait_key: '__proto__', trait_value: null }] });
    const after = await api.call('GET', `/admin/v1/environments/${envId}/identities/proto-user`);
    expect(Object.keys(after.body.traits).sort()).toEqual(names.filter((name) => name !== '__proto__').sort());
  });

  it('through the engine: segments match on those traits, over the SDK API and OFREP', async () => {
    await feature({ name: 'proto_flag', initialValue: 'plain' });
    const segment = await api.call('POST', `/admin/v1/projects/${projectId}/segments`, {
      body: { name: 'proto', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: '__proto__', value: 'yes' }, { operator: 'EQUAL', property: 'constructor', value: 'yes' }] }] },
    });
    expect((await api.call('PUT', `${fsPath('proto_flag')}/segment-overrides/${segment.body.id}`, { body: { enabled: true, value: 'matched' } })).status).toBe(200);
    const traits = [
      { trait_key: '__proto__', trait_value: 'yes' },
      { trait_key: 'constructor', trait_value: 'yes' },
    ];
    const flagsOf = (reply: { body: { flags: { feature: { name: string }; feature_state_value: unknown }[] } }) =>
      reply.body.flags.find((flag) => flag.feature.name === 'proto_flag')?.feature_state_value;
    expect(flagsOf(await sdk('POST', '/api/v1/identities/', { identifier: 'proto-match', traits, transient: true }))).toBe('matched');
    expect(flagsOf(await sdk('POST', '/api/v1/identities/', { identifier: 'proto-miss', traits: [traits[0]], transient: true }))).toBe('plain');
    const ofrep = await api.call('POST', '/ofrep/v1/evaluate/flags/proto_flag', {
      token: undefined,
      headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
      rawBody: '{"context":{"targetingKey":"proto-ofrep","__proto__":"yes","constructor":"yes"}}',
    });
    expect(ofrep.body).toMatchObject({ key: 'proto_flag', value: 'matched', reason: 'TARGETING_MATCH' });
  });

  it('tenant ids such as constructor and __proto__ are tenants like any other', async () => {
    await feature({ name: 'tenant_flag', initialValue: 'everyone' });
    for (const tenant of ['constructor', '__proto__', 'toString']) {
      expect((await api.call('PUT', `${fsPath('tenant_flag')}/tenant-overrides/${tenant}`, { body: { enabled: true, value: `for ${tenant}` } })).status).toBe(200);
    }
    for (const tenant of ['constructor', '__proto__', 'toString']) {
      const reply = await sdk('POST', '/api/v1/identities/', { identifier: `member-${tenant}`, traits: [{ trait_key: 'tenant', trait_value: tenant }], transient: true });
      expect(reply.status).toBe(200);
      expect(reply.body.flags.find((flag: { feature: { name: string } }) => flag.feature.name === 'tenant_flag').feature_state_value).toBe(`for ${tenant}`);
    }
    expect((await sdk('GET', '/api/v1/flags/')).status).toBe(200);
    expect((await sdk('GET', '/api/v1/environment-document/', undefined, serverKey)).status).toBe(200);
  });

  it('JSON values keep their __proto__, constructor and empty keys', async () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"constructor":{"name":"String"},"":1,"\\ue000x":2}');
    const created = await raw('POST', `/admin/v1/projects/${projectId}/features`, JSON.stringify({ name: 'proto_json', initialValue: value }));
    expect(created.status).toBe(201);
    const read = await api.call('GET', `/admin/v1/projects/${projectId}/features/proto_json`);
    // Key order is not kept (DynamoDB maps have none); every key and value is.
    const same = (a: unknown) => JSON.stringify(sortedKeys(a));
    expect(same(read.body.initialValue)).toBe(same(value));
    expect(Object.keys(read.body.initialValue).sort()).toEqual(['', '__proto__', 'constructor', '\ue000x']);
    const flags = await sdk('GET', '/api/v1/flags/');
    expect(same(JSON.parse(flags.body.find((flag: { feature: { name: string } }) => flag.feature.name === 'proto_json').feature_state_value))).toBe(same(value));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses __proto__ where keys must be ids (weights, roles), naming it', async () => {
    await feature({ name: 'split', type: 'MULTIVARIATE', initialValue: 'a', options: [{ value: 'b', defaultWeight: 10 }] });
    const weights = await refusedWithNothingStored(() => raw('PATCH', fsPath('split'), '{"weights":{"__proto__":50}}'), 422);
    expect(JSON.stringify(weights.body.details)).toContain('__proto__');
    const token = await refusedWithNothingStored(
      () => raw('POST', `/admin/v1/organisations/${api.organisationId}/tokens`, `{"name":"t","roles":{"projects":{"__proto__":"admin","${projectId}":"viewer"}}}`),
      422,
    );
    expect(JSON.stringify(token.body.details)).toContain('__proto__');
  });
});

describe('item 4: nesting has a limit, and no depth overflows the stack', { timeout: HEAVY }, () => {
  it('refuses values nested beyond 16 levels (40 before was a 500) and keeps 16', async () => {
    await refusedWithNothingStored(() => feature({ name: 'deep40', initialValue: nested(40) }), 422);
    await refusedWithNothingStored(() => feature({ name: 'deep17', initialValue: nested(17) }), 422);
    const sixteen = await feature({ name: 'deep16', initialValue: nested(16) });
    expect(sixteen.status).toBe(201);
    expect((await api.call('PATCH', fsPath('deep16'), { body: { value: nested(16, 'x') } })).status).toBe(200);
  });

  it('refuses numbers DynamoDB cannot hold (1e126 was a 500) and keeps the largest it can', async () => {
    await refusedWithNothingStored(() => feature({ name: 'huge', initialValue: 1e126 }), 422);
    await refusedWithNothingStored(() => feature({ name: 'tiny', initialValue: [1e-131] }), 422);
    const largest = await feature({ name: 'largest-number', initialValue: { n: -9.999999999999998e125 } });
    expect(largest.status).toBe(201);
    expect(largest.body.initialValue).toEqual({ n: -9.999999999999998e125 });
  });

  it('refuses segment rules nested beyond 8 levels (20 before was a 500)', async () => {
    let rule: object = { type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] };
    for (let i = 0; i < 19; i++) rule = { type: 'ANY', rules: [rule] };
    await refusedWithNothingStored(() => api.call('POST', `/admin/v1/projects/${projectId}/segments`, { body: { name: 'deep', rules: [rule] } }), 422);
  });

  it('answers 10,000 levels of nesting with a 400 on every route that takes a body', async () => {
    const bodies = ['['.repeat(10_000) + ']'.repeat(10_000), `{"name":"x","initialValue":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)];
    // Routes that read a body (the others ignore it, and some of them would rotate or delete the fixture).
    for (const route of routes.filter((candidate) => candidate.body || (candidate.function === 'sdk-api' && candidate.method === 'POST'))) {
      const path = route.path.replace('{orgId}', api.organisationId).replace('{projectId}', projectId).replace('{envId}', envId).replace(/\{[^}]+\}/g, 'x');
      for (const text of bodies) {
        const headers: Record<string, string> = route.access.credential === 'admin-token' ? {} : { 'x-environment-key': clientKey };
        const reply = await api.call(route.method, path, { rawBody: text, headers: { 'content-type': 'application/json', ...headers }, ...(route.access.credential === 'admin-token' ? {} : { token: undefined }) });
        expect(String(reply.status), `${route.method} ${route.path}: ${JSON.stringify(reply.body)}`).toMatch(/^4/);
      }
    }
  });
});

describe('item 5: everything created can be changed and deleted', { timeout: HEAVY }, () => {
  it('refuses a 250 KB value at creation, with nothing stored', async () => {
    await refusedWithNothingStored(() => feature({ name: 'huge', initialValue: 'x'.repeat(250_000) }));
  });

  it('refuses a state growing from 200 KB to 250 KB, and a 70 KB value, with nothing stored', async () => {
    await feature({ name: 'grows', initialValue: 'x' });
    await refusedWithNothingStored(() => api.call('PATCH', fsPath('grows'), { body: { value: 'x'.repeat(200_000) } }), 422);
    await refusedWithNothingStored(() => api.call('PATCH', fsPath('grows'), { body: { value: 'y'.repeat(70_000) } }), 422);
    expect((await api.call('PATCH', fsPath('grows'), { body: { value: 'z'.repeat(60_000) } })).status).toBe(200);
  });

  it('changes and deletes the largest feature it accepts; events keep a digest of an image that does not fit', async () => {
    const options = Array.from({ length: 3 }, (_, i) => ({ value: String(i).repeat(60_000), defaultWeight: 10 }));
    const created = await feature({ name: 'largest', type: 'MULTIVARIATE', initialValue: 'i'.repeat(60_000), options, description: 'd'.repeat(2000) });
    expect(created.status).toBe(201);
    const updated = await api.call('PATCH', `/admin/v1/projects/${projectId}/features/largest`, { body: { initialValue: 'j'.repeat(60_000) } });
    expect(updated.status).toBe(200);
    expect((await api.call('PATCH', fsPath('largest'), { body: { value: 'k'.repeat(60_000), enabled: true } })).status).toBe(200);
    expect((await api.call('PATCH', fsPath('largest'), { body: { value: 'l'.repeat(60_000) } })).status).toBe(200);
    expect((await api.call('DELETE', `/admin/v1/projects/${projectId}/features/largest`)).status).toBe(204);

    const events = (await audit()).filter((event) => event.subject.featureName === 'largest' && event.subject.kind === 'feature');
    const [deleted, update, create] = events;
    expect(create).toMatchObject({ action: 'created', before: null, after: { initialValue: 'i'.repeat(60_000) } });
    // Both images (~250 KB each) do not fit one item: the update keeps its after image and the before's digest,
    // which is the digest of the created event's after image.
    expect(update).toMatchObject({ action: 'updated', before: null, after: { initialValue: 'j'.repeat(60_000) }, omittedImages: { before: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } } });
    expect(deleted).toMatchObject({ action: 'deleted', before: { initialValue: 'j'.repeat(60_000) }, after: null });
    const { imageDigest } = await import('../../functions/domain/image-digest.js');
    expect(update.omittedImages.before).toEqual(imageDigest(create.after));
  });

  it('takes comments until the change request is full (413), then still approves, applies and closes it', async () => {
    await feature({ name: 'reviewed', initialValue: 1 });
    const cr = `/admin/v1/environments/${envId}/change-requests`;
    const request = (await api.call('POST', cr, { body: { title: 'Long talk', changes: [{ featureName: 'reviewed', value: 2 }] } })).body;
    // 5,000-byte comments until three in a row are refused (96 KiB hold 19): each refusal reads the
    // full request back, and a third one shows as well as twenty would that a full request stays full.
    const statuses: number[] = [];
    for (let i = 0; i < 41 && statuses.filter((status) => status === 413).length < 3; i++) {
      statuses.push((await api.call('POST', `${cr}/${request.id}/comments`, { body: { text: `${i}`.padEnd(5000, '.') } })).status);
    }
    expect(statuses.filter((status) => status === 201).length).toBeGreaterThanOrEqual(15);
    expect(statuses.slice(statuses.indexOf(413))).toEqual([413, 413, 413]);
    const reviewer = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/tokens`, { body: { name: 'reviewer', roles: { projects: { [projectId]: 'editor' } } } })).body.token;
    expect((await api.call('POST', `${cr}/${request.id}/approve`, { token: reviewer, body: {} })).status).toBe(200);
    expect((await api.call('POST', `${cr}/${request.id}/apply`, { body: {} })).status).toBe(200);
    expect((await api.call('GET', fsPath('reviewed'))).body.value).toBe(2);

    const second = (await api.call('POST', cr, { body: { title: 'Closed', changes: [{ featureName: 'reviewed', value: 3 }] } })).body;
    // Filled with multi-byte comments (15,000 bytes each): full at the first refusal.
    const filled: number[] = [];
    for (let i = 0; i < 41 && !filled.includes(413); i++) filled.push((await api.call('POST', `${cr}/${second.id}/comments`, { body: { text: '€'.repeat(5000) } })).status);
    expect(filled.at(-1)).toBe(413);
    expect((await api.call('POST', `${cr}/${second.id}/close`, { body: {} })).status).toBe(200);
  });

  it('refuses an identity two 120 KB traits, twice, with a 400 and nothing stored', async () => {
    for (let i = 0; i < 2; i++) {
      const big = [{ trait_key: 'a', trait_value: `${i}`.repeat(120_000) }, { trait_key: 'b', trait_value: `${i}`.repeat(120_000) }];
      await refusedWithNothingStored(() => sdk('POST', '/api/v1/identities/', { identifier: 'big-traits', traits: big }), 400);
    }
    expect((await api.call('GET', `/admin/v1/environments/${envId}/identities/big-traits`)).status).toBe(404);
    // The most an identity keeps: 500 traits of 2,000 characters... within 64 KiB together.
    const many = Array.from({ length: 30 }, (_, i) => ({ trait_key: `t${i}`, trait_value: '€'.repeat(600) }));
    expect((await sdk('POST', '/api/v1/identities/', { identifier: 'many-traits', traits: many })).status).toBe(200);
    expect((await sdk('POST', '/api/v1/identities/', { identifier: 'many-traits', traits: [{ trait_key: 't0', trait_value: 'short' }] })).status).toBe(200);
    expect((await api.call('DELETE', `/admin/v1/environments/${envId}/identities/many-traits`)).status).toBe(204);
  });

  it('refuses a change set whose values exceed its budget, and one identity override too many', async () => {
    for (let i = 0; i < 4; i++) await feature({ name: `budget${i}`, initialValue: 'a' });
    const changes = Array.from({ length: 4 }, (_, i) => ({ featureName: `budget${i}`, value: 'v'.repeat(60_000) }));
    await refusedWithNothingStored(() => api.call('POST', `/admin/v1/environments/${envId}/change-requests`, { body: { title: 'too much', changes } }), 422);
    for (let i = 0; i < 4; i++) await feature({ name: `ov${i}`, initialValue: 'x' });
    await api.call('PUT', `/admin/v1/environments/${envId}/identities/overridden`, { body: { traits: {} } });
    const put = (i: number) => api.call('PUT', `/admin/v1/environments/${envId}/identities/overridden/overrides/ov${i}`, { body: { enabled: true, value: String(i).repeat(60_000) } });
    for (let i = 0; i < 4; i++) expect((await put(i)).status).toBe(200);
    await feature({ name: 'ov4', initialValue: 'x' });
    await refusedWithNothingStored(() => put(4), 413);
  });
});

describe('item 5: the environment document keeps inside one Lambda answer', { timeout: HEAVY }, () => {
  it('refuses (413) the feature that would take the document past 4 MiB, and still changes and deletes the rest', async () => {
    const project = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Heavy' } })).body.id;
    const env = (await api.call('POST', `/admin/v1/projects/${project}/environments`, { body: { name: 'heavy' } })).body;
    const key = (await api.call('POST', `/admin/v1/environments/${env.environment.id}/server-keys`, { body: { name: 'sdk' } })).body.key;
    const heavy = (i: number) => ({
      name: `heavy${i}`,
      type: 'MULTIVARIATE',
      initialValue: `${i}`.repeat(60_000),
      options: [1, 2, 3].map((n) => ({ value: `${n}`.repeat(60_000), defaultWeight: 10 })),
    });
    const statuses: number[] = [];
    for (let i = 0; i < 12 && !statuses.includes(413); i++) statuses.push((await api.call('POST', `/admin/v1/projects/${project}/features`, { body: heavy(i) })).status);
    expect(statuses.at(-1)).toBe(413);
    expect(statuses.slice(0, -1).every((status) => status === 201)).toBe(true);
    const document = await api.call('GET', '/api/v1/environment-document/', { token: undefined, headers: { 'x-environment-key': key } });
    expect(document.status).toBe(200);
    expect(Buffer.byteLength(JSON.stringify(document.body))).toBeLessThan(4 * 1024 * 1024 + 64 * 1024);
    // Shrinking and deleting never need room.
    const fs = `/admin/v1/environments/${env.environment.id}/feature-states/heavy0`;
    expect((await api.call('PATCH', fs, { body: { value: 'small' } })).status).toBe(200);
    expect((await api.call('DELETE', `/admin/v1/projects/${project}/features/heavy1`)).status).toBe(204);
  });
});

describe('item 6: forged cursors and pages answer 400', { timeout: HEAVY }, () => {
  const forged = (cursor: unknown) => encodeURIComponent(Buffer.from(JSON.stringify(cursor)).toString('base64url'));
  const lists = () =>
    routes
      // Tenant-token routes (/tenant/v1) are forged at in tenant-self-service.test.ts, with a tenant's token.
      .filter((route) => route.access.credential !== 'tenant-token')
      .filter((route) => route.method === 'GET' && route.query && 'shape' in route.query && 'cursor' in (route.query as unknown as { shape: object }).shape)
      .map((route) => route.path.replace('{orgId}', api.organisationId).replace('{projectId}', projectId).replace('{envId}', envId).replace('{featureName}', 'banner').replace(/\{[^}]+\}/g, 'whk_missing'));

  it('on every list route, whatever keys the cursor names', async () => {
    const cursors = [
      { shard: 0, key: { sk: 'ORG#x' } },
      { shard: 0, key: { gsi1sk: 'x' } },
      { shard: 0, key: { sk: 'zzz' } },
      { of: 'features', shard: 0, key: { sk: 'SEGMENT#x' } },
      { of: 'identities', shard: 0, key: { gsi1sk: 'x', pk: 'IDENTITY#x#y' } },
      { of: 'audit', shard: 0, key: { sk: '0' } },
      { of: 'identities', shard: 9, key: {} },
      { of: 'features', shard: 0, key: { sk: 'FEATURE#'.padEnd(3000, 'x') } },
      ['not', 'an', 'object'],
    ];
    const paths = lists();
    expect(paths.length).toBeGreaterThanOrEqual(10);
    for (const path of paths) {
      for (const cursor of cursors) {
        const reply = await api.call('GET', `${path}?cursor=${forged(cursor)}`);
        expect([400, 404], `${path} ${JSON.stringify(cursor)}: ${reply.status} ${JSON.stringify(reply.body)}`).toContain(reply.status);
      }
    }
  });

  it('refuses a cursor from another listing, and follows its own', async () => {
    for (let i = 0; i < 3; i++) await api.call('PUT', `/admin/v1/environments/${envId}/identities/pager-${i}`, { body: { traits: {} } });
    const features = await api.call('GET', `/admin/v1/projects/${projectId}/features?limit=1`);
    expect(features.body.cursor).toEqual(expect.any(String));
    expect((await api.call('GET', `/admin/v1/projects/${projectId}/segments?cursor=${encodeURIComponent(features.body.cursor)}`)).status).toBe(400);
    expect((await api.call('GET', `/admin/v1/environments/${envId}/identities?cursor=${encodeURIComponent(features.body.cursor)}`)).status).toBe(400);
    expect((await api.call('GET', `/admin/v1/projects/${projectId}/features?limit=1&cursor=${encodeURIComponent(features.body.cursor)}`)).status).toBe(200);
  });

  it("on the environment document's page", async () => {
    const page = (token: unknown) => sdk('GET', `/api/v1/environment-document/?page=${forged(token)}`, undefined, serverKey);
    for (const token of [
      { cursor: Buffer.from(JSON.stringify({ shard: 0, key: { sk: 'x' } })).toString('base64url'), skip: '' },
      { cursor: Buffer.from(JSON.stringify({ of: 'environment-identity-overrides', shard: 0, key: { gsi1sk: 'x' } })).toString('base64url'), skip: '' },
      { cursor: 'x'.repeat(5000), skip: '' },
      { cursor: '', skip: 'y'.repeat(100) },
      'just a string',
    ]) {
      const reply = await page(token);
      expect(reply.status, JSON.stringify(token).slice(0, 100)).toBe(400);
    }
  });
});
