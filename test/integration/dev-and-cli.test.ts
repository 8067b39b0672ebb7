/**
 * The developer entry points: `vexilla bootstrap` and the demo seed. `npm run dev` itself (start,
 * serve, sign in at its OpenID provider, restart, Ctrl-C, no Java left behind) is started by
 * test/e2e/story.test.ts and dev-process-hygiene.test.ts only: each start costs seconds of CPU.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../functions/data/create-table.js';
import { DynamoStore } from '../../functions/data/dynamo-store.js';
import { type Deps, hashSecret } from '../../functions/domain/use-cases/support.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { loadSnapshot } from '../../functions/domain/environment-snapshot.js';
import { readIdentity, retentionOf } from '../../functions/domain/identities.js';
import { ensureDemo, type LocalConfig } from '../../functions/local/seed.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { quietEnv, REPO_ROOT } from '../support/dev-process.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';

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
  // One demo, read by each test (a seed is ~100 writes and reads): only the stale-token test makes another.
  let demo: LocalConfig;
  beforeAll(async () => {
    demo = await ensureDemo(deps);
  });

  it('creates a demo whose secrets all authenticate', async () => {
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
    const first = demo;
    const second = await ensureDemo(deps, first);
    expect(second).toEqual(first);
    expect(await projectsOf(first.organisationId)).toHaveLength(1);
    expect(await deps.store.listAll({ of: 'environments', projectId: first.projectId })).toHaveLength(2);
    expect(await deps.store.listAll({ of: 'tokens', orgId: first.organisationId })).toHaveLength(1);
  });

  it('creates a fresh demo when the saved token no longer authenticates', async () => {
    const first = demo;
    const stale: LocalConfig = { ...first, adminToken: 'vxa_not-a-token-this-store-knows' };
    const fresh = await ensureDemo(deps, stale);
    expect(fresh.organisationId).not.toBe(first.organisationId);
    expect(fresh.adminToken).not.toBe(stale.adminToken);
    expect(await deps.store.get({ type: 'token', hash: hashSecret(fresh.adminToken) })).toBeDefined();
    expect(await projectsOf(fresh.organisationId)).toHaveLength(1);
    expect(await projectsOf(first.organisationId)).toHaveLength(1);
  });
});
