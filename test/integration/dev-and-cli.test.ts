/**
 * The developer entry points: `vexilla bootstrap`, the demo seed, and `npm run dev` end to end
 * (start, serve, sign in at its OpenID provider, Ctrl-C, no Java left behind).
 */

/** Signs the demo user in at the dev stack's OpenID provider, as its banner says, and returns the ID token. */
async function signInAsDemo(config: LocalConfig): Promise<string> {
  const signIn = config.signIn;
  if (!signIn) throw new Error('no sign-in in local.json');
  const { idToken } = await signInWithCode({ issuer: signIn.issuer, clientId: signIn.clientId, redirectUri: `${config.apiUrl}/auth/callback`, email: signIn.demoEmail });
  return idToken;
}
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../functions/data/create-table.js';
import { DynamoStore } from '../../functions/data/dynamo-store.js';
import { type Deps, hashSecret } from '../../functions/domain/use-cases/support.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { loadSnapshot } from '../../functions/domain/environment-snapshot.js';
import { readIdentity, retentionOf } from '../../functions/domain/identities.js';
import { ensureDemo, type LocalConfig } from '../../functions/local/seed.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { type DevProcess, freePort, isRunning, processGroup, quietEnv, REPO_ROOT, startDev as startDevProcess } from '../support/dev-process.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';
import { signInWithCode } from '../support/oidc-flow.js';

const execFileAsync = promisify(execFile);

let endpoint: string;
let tableName: string;
let deps: Deps;

beforeAll(async () => {
  endpoint = testDynamoEndpoint();
  tableName = `vexilla-test-${randomUUID().slice(0, 8)}`;
  const raw = new DynamoDBClient(localDynamoClientConfig(endpoint));
  try {
    await ensureTable(raw, tableName);
  } finally {
    raw.destroy();
  }
  deps = { store: new DynamoStore(documentClient(localDynamoClientConfig(endpoint)), tableName), clock: () => new Date() };
});

describe('vexilla bootstrap', () => {
  it('creates an organisation and prints an admin token that authenticates', async () => {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['cli/vexilla.mjs', 'bootstrap', '--table', tableName, '--endpoint', endpoint, '--json'],
      { cwd: REPO_ROOT, env: quietEnv },
    );
    const printed = JSON.parse(stdout) as { organisationId: string; token: string };
    expect(printed.token).toMatch(/^vxa_/);
    const token = await deps.store.get({ type: 'token', hash: hashSecret(printed.token) });
    expect(token?.roles.organisation).toBe('admin');
    expect(token?.orgId).toBe(printed.organisationId);
    expect(await deps.store.get({ type: 'organisation', id: printed.organisationId })).toBeDefined();
  });

  it('refuses a second organisation unless --force, and then says it made another', async () => {
    const again = await execFileAsync(process.execPath, ['cli/vexilla.mjs', 'bootstrap', '--table', tableName, '--endpoint', endpoint], { cwd: REPO_ROOT, env: quietEnv }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(again?.code).toBe(1);
    expect(again?.stderr).toMatch(new RegExp(`Table ${tableName} already has an organisation \\("Default organisation" org_\\w+\\)`));
    expect(again?.stderr).toContain('pass --force to create another organisation');
    const forced = await execFileAsync(process.execPath, ['cli/vexilla.mjs', 'bootstrap', '--table', tableName, '--endpoint', endpoint, '--name', 'Second', '--force'], { cwd: REPO_ROOT, env: quietEnv });
    expect(forced.stdout).toMatch(/Created ANOTHER organisation "Second" \(org_\w+\) in table .* \(it already had 1\)\./);
  });

  it('fails with exit code 1 and a message when the table does not exist', async () => {
    const failed = await execFileAsync(
      process.execPath,
      ['cli/vexilla.mjs', 'bootstrap', '--table', `missing-${randomUUID().slice(0, 8)}`, '--endpoint', endpoint],
      { cwd: REPO_ROOT, env: quietEnv },
    ).then(
      () => undefined,
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stdout).toBe('');
    expect(failed?.stderr).toMatch(/Table "missing-[^"]+" was not found/);
  });

  it('answers an unknown command with the usage and exit code 2', async () => {
    const failed = await execFileAsync(process.execPath, ['cli/vexilla.mjs', 'frobnicate'], { cwd: REPO_ROOT, env: quietEnv }).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(2);
    expect(failed?.stderr).toContain("error: unknown command 'frobnicate'");
  });
});

describe('ensureDemo', () => {
  const projectsOf = async (orgId: string) => deps.store.listAll({ of: 'projects', orgId });

  it('creates a demo whose secrets all authenticate', async () => {
    const demo = await ensureDemo(deps);
    expect(demo.environments.map((environment) => environment.name)).toEqual(['development', 'production']);
    expect((await deps.store.get({ type: 'token', hash: hashSecret(demo.adminToken) }))?.roles.organisation).toBe('admin');
    for (const environment of demo.environments) {
      const client = await deps.store.get({ type: 'api-key', hash: hashSecret(environment.clientKey) });
      const server = await deps.store.get({ type: 'api-key', hash: hashSecret(environment.serverKey) });
      expect([client?.kind, client?.envId]).toEqual(['client', environment.id]);
      expect([server?.kind, server?.envId]).toEqual(['server', environment.id]);
    }
  });

  it('seeds flags a newcomer can evaluate: values, a split, segments, tenant and identity overrides', async () => {
    const demo = await ensureDemo(deps);
    const environment = demo.environments[0] as { id: string };
    const snapshot = await loadSnapshot(deps.store, environment.id);
    expect(snapshot?.features.map((feature) => feature.name).sort()).toEqual(['max_upload_mb', 'new_checkout', 'pricing_page', 'theme', 'welcome_banner']);
    const pro = snapshot?.evaluator.evaluate({ identifier: 'someone', traits: { plan: 'pro', tenant: 'acme' } }).flags;
    expect(pro?.max_upload_mb?.value).toBe(100);
    expect(pro?.welcome_banner?.value).toBe('Welcome, Acme!');
    const { overrides } = await readIdentity(deps.store, environment.id, 'demo-user', retentionOf(deps));
    expect(overrides.map((override) => [override.featureName, override.enabled])).toEqual([['new_checkout', true]]);
  });

  it('reuses a still-valid config unchanged and creates nothing', async () => {
    const first = await ensureDemo(deps);
    const second = await ensureDemo(deps, first);
    expect(second).toEqual(first);
    expect(await projectsOf(first.organisationId)).toHaveLength(1);
    expect(await deps.store.listAll({ of: 'environments', projectId: first.projectId })).toHaveLength(2);
    expect(await deps.store.listAll({ of: 'tokens', orgId: first.organisationId })).toHaveLength(1);
  });

  it('creates a fresh demo when the saved token no longer authenticates', async () => {
    const first = await ensureDemo(deps);
    const stale: LocalConfig = { ...first, adminToken: 'vxa_not-a-token-this-store-knows' };
    const fresh = await ensureDemo(deps, stale);
    expect(fresh.organisationId).not.toBe(first.organisationId);
    expect(fresh.adminToken).not.toBe(stale.adminToken);
    expect(await deps.store.get({ type: 'token', hash: hashSecret(fresh.adminToken) })).toBeDefined();
    expect(await projectsOf(fresh.organisationId)).toHaveLength(1);
    expect(await projectsOf(first.organisationId)).toHaveLength(1);
  });
});

describe('npm run dev', () => {
  let current: DevProcess | undefined;
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'vexilla-dev-'));
  });
  afterAll(async () => {
    // Only if the test failed midway: take down the whole group, Java included.
    current?.kill();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function startDev(port: number, args: string[]) {
    current = await startDevProcess({ port, stateDir, args });
    return current;
  }

  /** What a newcomer reads in the banner works as printed: the API, an evaluation, sign-in, the request log. */
  async function expectServesTheDemo(dev: DevProcess, port: number) {
    const { config } = dev;
    expect(config.apiUrl).toBe(`http://localhost:${port}`);
    expect(dev.output()).toContain(config.adminToken);
    expect(dev.output()).toContain(`curl -H "Authorization: Bearer ${config.adminToken}" http://localhost:${port}/admin/v1/projects/${config.projectId}/features`);
    // The banner's evaluation line works as printed.
    const printed = /curl -X POST (\S+) -H "Authorization: Bearer (\S+)"/.exec(dev.output());
    expect(printed?.[2]).toBe(config.environments[0]?.clientKey);
    const evaluation = await fetch(printed?.[1] ?? '', {
      method: 'POST',
      headers: { authorization: `Bearer ${printed?.[2]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ context: { targetingKey: 'ana' } }),
    });
    expect(evaluation.status).toBe(200);
    expect(await evaluation.json()).toMatchObject({ key: 'new_checkout', value: expect.any(Boolean) });

    const response = await fetch(`${config.apiUrl}/admin/v1/organisations`, { headers: { authorization: `Bearer ${config.adminToken}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { items: { id: string; name: string }[] };
    expect(body.items).toEqual([expect.objectContaining({ id: config.organisationId, name: 'Demo organisation' })]);

    // Sign-in, as the banner prints it: the demo user at the loopback OpenID provider, an organisation admin.
    expect(config.signIn?.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(dev.output()).toContain(`as ${config.signIn?.demoEmail} (organisation admin; no password)`);
    expect(dev.output()).toContain(`at the local OpenID provider ${config.signIn?.issuer} (client vexilla-dashboard, code + PKCE)`);
    const published = (await (await fetch(`${config.apiUrl}/admin/v1/auth/config`)).json()) as { issuer: string; clientId: string };
    expect(published).toMatchObject({ issuer: config.signIn?.issuer, clientId: config.signIn?.clientId });
    const me = await fetch(`${config.apiUrl}/admin/v1/me`, { headers: { authorization: `Bearer ${await signInAsDemo(config)}` } });
    expect(await me.json()).toMatchObject({ type: 'user', email: 'demo@example.com', organisations: [{ id: config.organisationId, roles: { organisation: 'admin' } }] });

    // The request log line, from the Powertools logger.
    await expect.poll(() => dev.output()).toMatch(/"message":"request".*"method":"GET","path":"\/admin\/v1\/organisations","status":200/);
  }

  // One stack started twice (each start is seconds of CPU: Java, the table, the demo): the first
  // run is checked as a newcomer sees it, then stopped and started again on the same data.
  it('serves the demo, exits 0 on SIGINT without leaving DynamoDB Local behind, and keeps its data across a restart', async () => {
    await rm(stateDir, { recursive: true, force: true });
    const port = await freePort();
    const first = await startDev(port, []);
    await expectServesTheDemo(first, port);
    const headers = { authorization: `Bearer ${first.config.adminToken}`, 'content-type': 'application/json' };
    const created = await fetch(`${first.config.apiUrl}/admin/v1/projects/${first.config.projectId}/features`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'survives_restart', initialValue: 'yes' }),
    });
    expect(created.status).toBe(201);
    const idToken = await signInAsDemo(first.config);
    expect(await isRunning(first.javaPid)).toBe(true);
    expect(await first.stop(), first.output()).toEqual({ code: 0, signal: null });
    // Java is stopped before dev.ts exits; give `ps` nothing to race against but the reaping.
    await expect.poll(async () => (await processGroup(first.pgid)).map((member) => member.args)).toEqual([]);
    await expect.poll(() => isRunning(first.javaPid)).toBe(false);

    const second = await startDev(port, []);
    // The same demo and secrets; only DynamoDB Local's random port moves.
    expect({ ...second.config, dynamoEndpoint: undefined }).toEqual({ ...first.config, dynamoEndpoint: undefined });
    // The sign-in provider kept its port and keys: a token from before the restart still works.
    const me = await fetch(`${second.config.apiUrl}/admin/v1/me`, { headers: { authorization: `Bearer ${idToken}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { organisations: { id: string }[] }).organisations.map((o) => o.id)).toEqual([second.config.organisationId]);
    const feature = await fetch(`${second.config.apiUrl}/admin/v1/projects/${second.config.projectId}/features/survives_restart`, { headers });
    expect(feature.status).toBe(200);
    expect(await second.stop(), second.output()).toEqual({ code: 0, signal: null });
  });
});
