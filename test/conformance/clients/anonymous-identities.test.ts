/**
 * Anonymous identities, as Flagsmith's own clients send them: an identity with no identifier
 * (absent, null or "") is evaluated as a transient identity with a generated identifier, as
 * Flagsmith's API does. Proven with the unmodified `flagsmith` web client and `flagsmith-cli`
 * (whose `get KEY` always sends one, and printed `Error: [object Object]` when we answered 400:
 * the client wraps the parsed JSON error body in `new Error(body)`).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createFlagsmithInstance } from 'flagsmith/isomorphic';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymousIdentifier } from '../../../functions/http/sdk/flagsmith.js';
import { buildRichEnvironment, type RichEnvironment } from '../../support/rich-environment.js';
import { REPO_ROOT } from '../../support/dev-process.js';
import { startTestApi, type TestApi } from '../../support/test-api.js';

const execFileAsync = promisify(execFile);

let api: TestApi;
let env: RichEnvironment;
let dir: string;

beforeAll(async () => {
  api = await startTestApi();
  env = await buildRichEnvironment(api);
  dir = await mkdtemp(join(tmpdir(), 'vexilla-anonymous-'));
});
afterAll(async () => {
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

const identities = (body: unknown) =>
  api.call('POST', '/api/v1/identities/', { token: undefined, headers: { 'x-environment-key': env.clientKey }, body });

describe('anonymous identities', () => {
  it.each([
    ['absent', {}],
    ['null', { identifier: null }],
    ['empty', { identifier: '' }],
  ])('an %s identifier is evaluated as a transient identity with a generated identifier', async (_, identity) => {
    const reply = await identities({ ...identity, traits: [{ trait_key: 'plan', trait_value: 'pro' }] });
    expect(reply.status).toBe(200);
    // Flagsmith's rule: the SHA-256 of the traits, so the same traits get the same identifier.
    expect(reply.body.identifier).toBe(anonymousIdentifier([{ key: 'plan', value: 'pro', transient: false }]));
    expect(reply.body.identifier).toMatch(/^[0-9a-f]{64}$/);
    expect(reply.body.flags.find((flag: { feature: { name: string } }) => flag.feature.name === 'banner').feature_state_value).toBe('welcome, pro');
    // Transient: nothing was stored.
    expect((await api.call('GET', `/admin/v1/environments/${env.envId}/identities/${reply.body.identifier}`)).status).toBe(404);
  });

  it('gives an anonymous identity without traits a fresh identifier each time', async () => {
    const [first, second] = await Promise.all([identities({ traits: [] }), identities({ traits: [] })]);
    expect(first.status).toBe(200);
    expect(first.body.identifier).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.body.identifier).not.toBe(first.body.identifier);
  });

  it('the flagsmith web client evaluates an identity given only traits, and learns its identifier', async () => {
    const flagsmith = createFlagsmithInstance();
    await flagsmith.init({
      environmentID: env.clientKey,
      api: `${api.url}/api/v1/`,
      fetch: globalThis.fetch,
      cacheFlags: false,
      enableAnalytics: false,
      evaluationContext: { identity: { traits: { plan: 'pro' } } },
    });
    expect(flagsmith.getValue('banner')).toBe('welcome, pro');
    expect(flagsmith.getContext().identity?.identifier).toMatch(/^[0-9a-f]{64}$/);
    flagsmith.stopListening();
  });

  it('flagsmith-cli gets the environment flags and an identity\'s flags', async () => {
    const bin = join(REPO_ROOT, 'node_modules/flagsmith-cli/bin/run');
    const environmentFile = join(dir, 'environment.json');
    const run = await execFileAsync(process.execPath, [bin, 'get', env.clientKey, '-a', `${api.url}/api/v1/`, '-o', environmentFile], { cwd: dir });
    expect(run.stderr).not.toContain('Error');
    const state = JSON.parse(await readFile(environmentFile, 'utf8'));
    expect(state.flags.banner).toMatchObject({ enabled: true, value: 'hello' });
    expect(state.flags.max_items.value).toBe(10);

    const identityFile = join(dir, 'identity.json');
    await execFileAsync(process.execPath, [bin, 'get', env.clientKey, '-a', `${api.url}/api/v1/`, '-o', identityFile, '-i', 'cli-user', '-t', 'plan=pro'], { cwd: dir });
    const identity = JSON.parse(await readFile(identityFile, 'utf8'));
    expect(identity.flags.banner.value).toBe('welcome, pro');
  });
});
