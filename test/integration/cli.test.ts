/**
 * `npx vexilla` against the API over real HTTP: what a person types, what they read back.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let projectId: string;
let envId: string;

/** Runs the CLI without blocking: the API it talks to runs in this process. */
function vexilla(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['functions/cli/vexilla.mjs', ...args],
      { env: { ...process.env, VEXILLA_API_URL: api.url, VEXILLA_TOKEN: api.adminToken } },
      (error, stdout, stderr) => resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  api = await startTestApi();
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'CLI' } })).body.id;
  envId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } })).body.environment.id;
});
afterAll(() => api?.close());

describe('vexilla CLI', () => {
  it('creates, lists, toggles and sets the value of features', async () => {
    expect((await vexilla('features', 'create', 'new_nav', '--project', projectId, '--value', '"v1"')).stdout).toContain('Created feature new_nav (string)');
    const toggled = await vexilla('features', 'toggle', 'new_nav', '--environment', envId, '--json');
    expect(toggled.code).toBe(0);
    expect(JSON.parse(toggled.stdout)).toMatchObject({ enabled: true, version: 1 });
    const set = await vexilla('features', 'set-value', 'new_nav', 'v2', '--environment', envId);
    expect(set.stdout).toContain('new_nav: on, value "v2" (version 2)');
    const listed = await vexilla('features', 'list', '--project', projectId, '--environment', envId);
    expect(listed.stdout).toMatch(/new_nav\s+STANDARD\s+on\s+"v2"/);
    const missing = await vexilla('features', 'toggle', 'nope', '--environment', envId);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('404');
  });

  it('creates and lists segments, shows identities and tails the audit log', async () => {
    const rules = JSON.stringify([{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }]);
    expect((await vexilla('segments', 'create', 'pros', '--rules', rules, '--project', projectId)).code).toBe(0);
    expect((await vexilla('segments', 'list', '--project', projectId)).stdout).toContain('pros');
    await api.call('PUT', `/admin/v1/environments/${envId}/identities/ana`, { body: { traits: { plan: 'pro' } } });
    expect((await vexilla('identities', 'get', 'ana', '--environment', envId)).stdout).toContain('trait plan = "pro"');
    const audit = await vexilla('audit', 'tail', '--limit', '3');
    expect(audit.stdout.trim().split('\n')).toHaveLength(3);
    expect(audit.stdout).toContain('identity.changed created');
  });

  it('exports deterministically and diffs a document against an environment', async () => {
    const exported = await vexilla('export', '--environment', envId);
    expect(exported.code).toBe(0);
    expect((await vexilla('export', '--environment', envId)).stdout).toBe(exported.stdout);
    const file = join(mkdtempSync(join(tmpdir(), 'vexilla-diff-')), 'env.json');
    writeFileSync(file, exported.stdout);
    const same = await vexilla('diff', file, '--environment', envId);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('would create: nothing');
    const document = JSON.parse(exported.stdout);
    document.feature_states[0].enabled = !document.feature_states[0].enabled;
    writeFileSync(file, JSON.stringify(document));
    const changed = await vexilla('diff', file, '--environment', envId, '--json');
    expect(changed.code).toBe(1);
    expect(JSON.parse(changed.stdout).updated).toEqual({ featureStates: 1 });
  });

  it('prints TypeScript types for the flags of a project', async () => {
    const types = await vexilla('types', '--project', projectId);
    expect(types.code).toBe(0);
    expect(types.stdout).toContain('export interface VexillaFlags {');
    expect(types.stdout).toContain('"new_nav": string | null;');
  });

  it('explains usage mistakes with exit code 2', async () => {
    const bad = await vexilla('features', 'fly');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown action "fly"');
  });
});

describe('vexilla members and invitations', () => {
  // Each CLI run starts Node and tsx: seconds apiece on a busy machine.
  it('invites by email with a role, lists and revokes invitations', { timeout: 180_000 }, async () => {
    const created = await vexilla('invitations', 'create', 'Pat@Example.com', '--project', projectId, '--role', 'editor', '--days', '3');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^Invited pat@example.com as editor of project prj_\w+, until \d{4}-/);
    const listed = await vexilla('invitations', 'list', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ email: 'pat@example.com', roles: { projects: { [projectId]: 'editor' } } })]);
    expect((await vexilla('invitations', 'revoke', 'pat@example.com')).stdout).toContain('Revoked the invitation of pat@example.com');
    expect((await vexilla('invitations', 'list')).stdout.trim()).toBe('(no pending invitations)');
    const noRole = await vexilla('invitations', 'create', 'pat@example.com');
    expect(noRole.code).toBe(2);
    expect(noRole.stderr).toContain('Give the roles one way');
  });

  it('lists members, changes their roles and removes them only when confirmed', { timeout: 180_000 }, async () => {
    // A member, as signing in would make one (the sign-in tests cover the flow itself).
    const { addMember } = await import('../../functions/domain/use-cases/people.js');
    const organisation = await api.deps.store.get({ type: 'organisation', id: api.organisationId });
    const token = (await api.deps.store.listAll({ of: 'tokens', orgId: api.organisationId }))[0];
    if (!organisation || !token) throw new Error('fixture missing');
    await addMember(api.deps, token, organisation, { issuer: 'https://idp.example', subject: 'quinn', email: 'quinn@example.com', name: 'Quinn' }, { projects: { [projectId]: 'viewer' } });

    expect((await vexilla('members', 'list')).stdout).toMatch(/quinn@example.com\s+usr_\w+\s+viewer of project/);
    const promoted = await vexilla('members', 'set-role', 'quinn@example.com', '--environment', envId, '--role', 'admin');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toBe(`quinn@example.com: admin of environment ${envId}\n`);
    const unconfirmed = await vexilla('members', 'remove', 'quinn@example.com');
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('pass --yes');
    expect((await vexilla('members', 'remove', 'quinn@example.com', '--yes')).stdout).toContain('Removed quinn@example.com');
    expect((await vexilla('members', 'list', '--json')).stdout.trim()).toBe('[]');
  });
});
