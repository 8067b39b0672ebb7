/**
 * `vexilla` against the local stack (the whole pipeline, so `--wait` means served), driven the way
 * a person types it. Most calls run the CLI's `main` in this process (the same code as the bin,
 * without a process start per call); the last block runs the real bin for what only a process
 * shows: the environment's precedence over local.json, exit codes, completion in bash.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessCli } from '../support/in-process-cli.js';
import { main } from '../../cli/main.js';
import { ensureTable } from '../../functions/data/create-table.js';
import { bootstrapOrganisation } from '../../functions/domain/use-cases/organisation.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { type LocalStack, startLocalStack } from '../../functions/local/stack.js';
import { quietEnv, REPO_ROOT } from '../support/dev-process.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';

let stack: LocalStack;
let token: string;
let dir: string;

beforeAll(async () => {
  const tableName = `vexilla-test-${randomUUID().slice(0, 8)}`;
  const raw = new DynamoDBClient(localDynamoClientConfig(testDynamoEndpoint()));
  await ensureTable(raw, tableName);
  raw.destroy();
  stack = await startLocalStack({ endpoint: testDynamoEndpoint(), tableName, schedulerIntervalMs: 0, webhookSweepIntervalMs: 0 });
  token = (await bootstrapOrganisation(stack.deps, { name: 'CLI organisation' })).secret;
  dir = await mkdtemp(join(tmpdir(), 'vexilla-cli-'));
});
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The CLI in this process against the test API: what it printed and its exit code. */
const vexilla = inProcessCli(() => ({ url: stack.url, token }));
const json = async (...args: string[]) => {
  const run = await vexilla(...args, '--json');
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
};

/** The bin, as a person runs it, in `cwd` with `env`. */
function bin(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, 'cli/vexilla.mjs'), ...args], { cwd: options.cwd ?? dir, env: options.env ?? quietEnv }, (error, stdout, stderr) =>
      resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr }),
    );
  });
}

let clientKey: string;

describe('vexilla, names through the API', () => {
  it('starts from nothing: a project and environments, by name', async () => {
    expect((await vexilla('features', 'list')).stderr).toContain('The organisation has no project yet: create one with `vexilla projects create <name>`');
    expect((await json('projects', 'create', 'Web shop')).name).toBe('Web shop');
    const staging = await json('environments', 'create', 'staging');
    clientKey = staging.clientKey;
    await json('environments', 'create', 'production', '--project', 'Web shop');
    expect((await json('environments', 'list')).map((e: { name: string }) => e.name)).toEqual(['staging', 'production']);
    const whoami = await vexilla('whoami');
    expect(whoami.stdout).toContain(`API:          ${stack.url}`);
    expect(whoami.stdout).toContain('Credentials:  --api-url and --token');
    expect(whoami.stdout).toMatch(/Organisation: CLI organisation \(org_\w+\)/);
  });

  it('creates, toggles and sets values of features in a new environment named as typed', async () => {
    expect((await vexilla('features', 'create', 'new_search', '--value', '"v1"')).stdout).toContain('Created feature new_search (string) in project "Web shop"');
    expect(await json('features', 'toggle', 'new_search', '--environment', 'staging', '--on')).toMatchObject({ enabled: true, value: 'v1', version: 1 });
    expect((await vexilla('features', 'set-value', 'new_search', 'v2', '-e', 'staging')).stdout).toContain('new_search: on, value "v2" (version 2) in staging');
    expect((await vexilla('features', 'list', '-e', 'staging')).stdout).toMatch(/new_search\s+STANDARD\s+string\s+on\s+"v2"/);
  });

  it('names the mistake: an unknown environment with a suggestion, an ambiguous project', async () => {
    const typo = await vexilla('features', 'list', '-e', 'stagin');
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('No environment in project "Web shop" named "stagin". Did you mean "staging"?');
    await json('projects', 'create', 'Mobile');
    const which = await vexilla('features', 'list');
    expect(which.code).toBe(2);
    expect(which.stderr).toContain('Which project? Pass --project (or set VEXILLA_PROJECT) to one of: Web shop, Mobile.');
    const command = await vexilla('feature', 'lst');
    expect(command.code).toBe(2);
    expect(command.stderr).toContain('(Did you mean list?)');
  });

  it('--wait returns once the change is served: the next evaluation shows it, every time', async () => {
    for (const on of [false, true, false]) {
      await json('features', 'toggle', 'new_search', '-e', 'staging', '--project', 'Web shop', on ? '--on' : '--off', '--wait');
      const evaluation = await fetch(`${stack.url}/ofrep/v1/evaluate/flags/new_search`, {
        method: 'POST',
        headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ context: { targetingKey: 'ana' } }),
      });
      expect((await evaluation.json()).metadata.enabled).toBe(on);
      const flags = (await (await fetch(`${stack.url}/api/v1/flags/`, { headers: { 'x-environment-key': clientKey } })).json()) as { feature: { name: string }; enabled: boolean }[];
      expect(flags.find((flag) => flag.feature.name === 'new_search')?.enabled).toBe(on);
    }
    expect((await vexilla('environments', 'status', 'staging', '--project', 'Web shop')).stdout).toContain('staging: served as it is now');
  });
});

describe('vexilla export, diff and import', () => {
  it('an export diffs as no change against its own environment; a change is named field by field', async () => {
    const p = ['--project', 'Web shop'];
    await json('features', 'create', 'theme', '--value', '{"dark":false}', '--enabled', ...p);
    await json('features', 'create', 'plan_page', '--value', '"control"', '--option', 'annual=30', '--option', 'monthly=30', ...p);
    const exported = await vexilla('export', '-e', 'staging', ...p);
    expect(exported.code).toBe(0);
    const file = join(dir, 'staging.json');
    await writeFile(file, exported.stdout);
    const same = await vexilla('diff', file, '-e', 'staging', '--exit-code', ...p);
    expect([same.code, same.stdout.trim()]).toEqual([0, `No changes: environment "staging" already matches ${file}.`]);
    expect((await json('diff', file, '-e', 'staging', ...p)).changes).toEqual([]);
    // Importing the export changes nothing either (JSON values and default splits survive).
    expect(await json('import', 'flagsmith', file, '-e', 'staging', '--dry-run', ...p)).toMatchObject({ created: {}, updated: {} });

    const document = JSON.parse(exported.stdout);
    const state = (name: string) => document.feature_states.find((s: { feature: { name: string } }) => s.feature.name === name);
    state('new_search').enabled = true;
    state('theme').feature_state_value = '{"dark":true}';
    await writeFile(file, JSON.stringify(document));
    const plan = await vexilla('diff', file, '-e', 'staging', '--exit-code', ...p);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(`Importing ${file} into environment "staging" would:`);
    expect(plan.stdout).toContain('  ~ feature new_search\n      enabled: false → true');
    expect(plan.stdout).toContain('  ~ feature theme\n      value: "{\\"dark\\":false}" → "{\\"dark\\":true}"');
    expect(plan.stdout).toContain('Plan: 0 to create, 2 to change.');
    const structured = await json('diff', file, '-e', 'staging', ...p);
    expect(structured.changes).toContainEqual({ action: 'update', kind: 'feature-state', environment: 'staging', feature: 'new_search', fields: [{ field: 'enabled', old: false, new: true }] });
  });

  it('imports the sample Flagsmith document into an environment named as typed; then it diffs as no change', async () => {
    const sample = join(REPO_ROOT, 'examples/flagsmith-environment.json');
    const p = ['--project', 'Mobile'];
    await json('environments', 'create', 'imported', ...p);
    const dry = await vexilla('import', 'flagsmith', sample, '--environment', 'imported', '--dry-run', ...p);
    expect(dry.stdout).toContain('Dry run: nothing was changed in imported.');
    const done = await json('import', 'flagsmith', sample, '--environment', 'imported', ...p);
    expect(done.created.features).toBeGreaterThan(2);
    expect((await vexilla('diff', sample, '-e', 'imported', ...p)).stdout).toContain('No changes: environment "imported" already matches');
  });

  it('follows an import job to its end: a job that fails exits 1 with its error, and its status can be read again', async () => {
    const sample = join(REPO_ROOT, 'examples/flagsmith-environment.json');
    const p = ['--project', 'Mobile'];
    await json('environments', 'create', 'governed', ...p);
    await json('environments', 'update', 'governed', '--required-approvals', '1', ...p);
    // The document is valid, so the API accepts it (202) and the job finds governance refusing it.
    const failed = await vexilla('import', 'flagsmith', sample, '--environment', 'governed', ...p);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Import (imp_\S+) failed: .*approv/);
    const jobId = /Import (imp_\S+) failed/.exec(failed.stderr)?.[1] as string;
    const status = await vexilla('import', 'status', jobId, '--environment', 'governed', '--json', ...p);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: jobId, status: 'failed', error: { error: 'Conflict' } });
    // Nothing of it was written: the environment still differs from the document.
    expect((await vexilla('diff', sample, '-e', 'governed', '--exit-code', ...p)).code).toBe(1);
    const unknown = await vexilla('import', 'status', 'imp_missing', '--environment', 'imported', ...p);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('No import imp_missing in this environment.')]);
  });
});

describe('vexilla, every resource', () => {
  const p = ['--project', 'Web shop'];

  it('keys and tokens: shown once, revoked by name, and a token with too little role is told so', async () => {
    const key = await json('keys', 'create', 'backend', '-e', 'production', ...p);
    expect(key.key).toMatch(/^ser\./);
    expect((await vexilla('keys', 'list', '-e', 'production', ...p)).stdout).toContain('backend');
    const refused = await vexilla('keys', 'revoke', 'backend', '-e', 'production', ...p);
    expect([refused.code, refused.stderr]).toEqual([2, expect.stringContaining('pass --yes to confirm (there is no terminal to ask)')]);
    expect((await vexilla('keys', 'revoke', 'backend', '-e', 'production', '--yes', ...p)).stdout).toContain('Revoked server key "backend".');
    expect((await json('keys', 'rotate-client-key', '-e', 'production', '--yes', ...p)).key).toBeTruthy();
    // A key scoped to one tenant (its per-tenant environment document), listed with its tenant.
    await vexilla('tenants', 'set', 'cli-tenant', 'plan=pro', ...p);
    const scoped = await vexilla('keys', 'create', 'tenant backend', '--tenant', 'cli-tenant', '-e', 'production', ...p);
    expect(scoped.stdout).toMatch(/scoped to tenant cli-tenant .*\n\s+ser\./);
    expect((await vexilla('keys', 'list', '-e', 'production', ...p)).stdout).toMatch(/tenant backend.*cli-tenant/);
    const unknownTenant = await vexilla('keys', 'create', 'nobody', '--tenant', 'no-such-tenant', '-e', 'production', ...p);
    expect([unknownTenant.code, unknownTenant.stderr]).toEqual([1, expect.stringContaining('no tenant no-such-tenant in this project')]);

    const viewer = await json('tokens', 'create', 'reader', '--role', 'project:Web shop:viewer');
    const asViewer = await main(['--api-url', stack.url, '--token', viewer.token, 'features', 'toggle', 'new_search', '-e', 'staging', ...p], {
      out: () => undefined,
      err: (text) => expect(text).toContain('The token lacks the role this needs'),
      write: () => undefined,
      interactive: false,
      progress: false,
    });
    expect(asViewer).toBe(1);
    expect((await vexilla('tokens', 'revoke', 'reader', '--yes')).code).toBe(0);
    const unknown = await main(['--api-url', stack.url, '--token', viewer.token, 'whoami'], {
      out: () => undefined,
      err: (text) => expect(text).toContain('does not know this token'),
      write: () => undefined,
      interactive: false,
      progress: false,
    });
    expect(unknown).toBe(1);
  });

  it('segments and overrides for a segment, a tenant and an identity; identities', async () => {
    const rules = JSON.stringify([{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }]);
    await json('segments', 'create', 'pros', '--rules', rules, ...p);
    expect(await json('overrides', 'set', 'new_search', '--segment', 'pros', '--on', '--value', '"pro"', '-e', 'staging', ...p)).toMatchObject({ enabled: true, value: 'pro' });
    await json('overrides', 'set', 'new_search', '--tenant', 'acme', '--off', '-e', 'staging', ...p);
    // An identity's override needs the identity: the CLI says how to create it.
    const early = await vexilla('overrides', 'set', 'new_search', '--identity', 'ana', '--on', '-e', 'staging', ...p);
    expect([early.code, early.stderr]).toEqual([1, expect.stringContaining('create it first with `vexilla identities set-traits ana <key=value...> --environment staging`')]);
    await json('identities', 'set-traits', 'ana', 'plan=pro', 'age=40', '-e', 'staging', ...p);
    await json('overrides', 'set', 'new_search', '--identity', 'ana', '--on', '--value', '"ana"', '-e', 'staging', ...p);
    const listed = await json('overrides', 'list', 'new_search', '-e', 'staging', ...p);
    expect([listed.segmentOverrides.length, listed.tenantOverrides.length]).toEqual([1, 1]);
    expect((await vexilla('identities', 'get', 'ana', '-e', 'staging', ...p)).stdout).toContain('override new_search: on "ana"');
    expect((await vexilla('overrides', 'remove', 'new_search', '--identity', 'ana', '-e', 'staging', '--yes', ...p)).code).toBe(0);
    expect((await vexilla('segments', 'delete', 'pros', '--yes', ...p)).code).toBe(0);
  });

  it("why an identity gets each value, an environment's overrides, evaluations per day", async () => {
    const rules = JSON.stringify([{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'beta' }] }]);
    await json('segments', 'create', 'beta testers', '--rules', rules, ...p);
    await json('features', 'create', 'dark_mode', '--value', '"light"', ...p);
    await json('overrides', 'set', 'dark_mode', '--segment', 'beta testers', '--on', '--value', '"dark"', '-e', 'staging', ...p);
    await json('identities', 'set-traits', 'bea', 'plan=beta', '-e', 'staging', ...p);
    await json('overrides', 'set', 'new_search', '--identity', 'bea', '--off', '-e', 'staging', ...p);

    const explained = await json('identities', 'explain', 'bea', '-e', 'staging', ...p);
    const byName = Object.fromEntries(explained.flags.map((flag: { featureName: string }) => [flag.featureName, flag]));
    expect(byName.dark_mode).toMatchObject({ enabled: true, value: 'dark', reason: { kind: 'segment-override', segmentName: 'beta testers' } });
    expect(byName.new_search).toMatchObject({ enabled: false, reason: { kind: 'identity-override' } });
    const why = await vexilla('identities', 'explain', 'bea', '-e', 'staging', '--feature', 'dark_mode', ...p);
    expect(why.stdout).toContain('bea in staging\n  traits: plan="beta"\n  segments: beta testers');
    expect(why.stdout).toMatch(/dark_mode\s+on\s+"dark"\s+segment override: "beta testers"/);
    expect(why.stdout).not.toContain('new_search');
    expect((await vexilla('identities', 'explain', 'nobody', '-e', 'staging', ...p)).stdout).toContain('nobody in staging: not stored, so evaluated without traits');
    const typo = await vexilla('identities', 'explain', 'bea', '-e', 'staging', '--feature', 'dark_mod', ...p);
    expect([typo.code, typo.stderr]).toEqual([1, expect.stringContaining('No feature named "dark_mod" in staging')]);

    // Every override of the environment (the tenant override of the test before is one), or one feature's.
    const all = await json('overrides', 'list', '-e', 'staging', ...p);
    expect(all.segmentOverrides.map((o: { featureName: string }) => o.featureName)).toEqual(['dark_mode']);
    expect(all.tenantOverrides.map((o: { featureName: string; tenantId: string }) => [o.featureName, o.tenantId])).toEqual([['new_search', 'acme']]);
    expect(all.identityOverrides.map((o: { featureName: string; identifier: string }) => [o.featureName, o.identifier])).toEqual([['new_search', 'bea']]);
    const listed = (await vexilla('overrides', 'list', '-e', 'staging', ...p)).stdout;
    expect(listed).toMatch(/dark_mode\s+segment\s+beta testers\s+0\s+on\s+"dark"/);
    expect(listed).toMatch(/new_search\s+identity\s+bea\s+off/);
    const one = await json('overrides', 'list', 'new_search', '-e', 'staging', ...p);
    expect([one.segmentOverrides.length, one.tenantOverrides.length, one.identityOverrides.length]).toEqual([0, 1, 1]);
    const unknown = await vexilla('overrides', 'list', 'no_such_flag', '-e', 'staging', ...p);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('No feature no_such_flag')]);

    // What SDKs report (Flagsmith's analytics endpoint), per flag per day, busiest first.
    for (const counts of [{ dark_mode: 5, new_search: 1 }, { dark_mode: 2 }]) {
      const posted = await fetch(`${stack.url}/api/v1/analytics/flags/`, { method: 'POST', headers: { 'x-environment-key': clientKey, 'content-type': 'application/json' }, body: JSON.stringify(counts) });
      expect(posted.status).toBeLessThan(300);
    }
    const analytics = await json('analytics', '-e', 'staging', '--days', '3', ...p);
    expect([analytics.days.length, analytics.totals]).toEqual([3, { dark_mode: 7, new_search: 1 }]);
    const chart = (await vexilla('analytics', '-e', 'staging', '--days', '3', ...p)).stdout.split('\n');
    expect(chart[0]).toMatch(/^Evaluations in staging, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2} \(UTC\)$/);
    expect(chart.slice(1, 4)).toEqual([expect.stringMatching(/^FEATURE\s+TOTAL\s+PER DAY$/), expect.stringMatching(/^dark_mode\s+7\s+ *█$/), expect.stringMatching(/^new_search\s+1\s+ *█$/)]);
    expect((await vexilla('analytics', '-e', 'staging', '--feature', 'dark_mode', '--days', '2', ...p)).stdout).toMatch(/dark_mode: 7\nDAY\s+EVALUATIONS\n\d{4}-\d{2}-\d{2}\s+\d+\n\d{4}-\d{2}-\d{2}\s+\d+/);
    const tooLong = await vexilla('analytics', '-e', 'staging', '--days', '91', ...p);
    expect([tooLong.code, tooLong.stderr]).toEqual([2, expect.stringContaining('--days must be a whole number from 1 to 90')]);
  });

  it('history and restore, percentage splits, stale features', async () => {
    const history = await json('features', 'history', 'new_search', '-e', 'staging', ...p);
    expect(history.length).toBeGreaterThan(3);
    const restored = await json('features', 'restore', 'new_search', '2', '-e', 'staging', '--yes', ...p);
    expect(restored.value).toBe('v2');
    const split = await json('features', 'set-weights', 'plan_page', 'annual=50', 'monthly=10', '-e', 'staging', ...p);
    expect(Object.values(split.weights).sort()).toEqual([10, 50]);
    expect(Array.isArray(await json('features', 'stale', '--days', '1', ...p))).toBe(true);
  });

  it('webhooks: created with its secret once, deliveries listed', async () => {
    const webhook = await json('webhooks', 'create', 'http://127.0.0.1:9/hook', '-e', 'staging', '--events', 'feature-state.changed', ...p);
    expect([webhook.id, webhook.secret]).toEqual([expect.stringMatching(/^whk_/), expect.stringMatching(/^whsec_/)]);
    expect((await vexilla('webhooks', 'update', webhook.id, '--disable', '-e', 'staging', ...p)).stdout).toContain('Updated webhook');
    expect(await json('webhooks', 'deliveries', 'http://127.0.0.1:9/hook', '-e', 'staging', ...p)).toEqual([]);
    expect((await json('webhooks', 'rotate-secret', webhook.id, '--yes', '-e', 'staging', ...p)).secret).toMatch(/^whsec_/);
    expect((await vexilla('webhooks', 'delete', webhook.id, '--yes', '-e', 'staging', ...p)).code).toBe(0);
  });

  it('change requests on a governed environment, and scheduled changes', async () => {
    await json('environments', 'update', 'production', '--required-approvals', '1', ...p);
    const refused = await vexilla('features', 'toggle', 'new_search', '-e', 'production', ...p);
    expect(refused.code).toBe(1);
    const cr = await json('change-requests', 'create', 'Launch search', '--change', 'new_search:on="launched"', '-e', 'production', ...p);
    const approver = await json('tokens', 'create', 'approver', '--role', 'project:Web shop:editor');
    const approved = await main(['--api-url', stack.url, '--token', approver.token, 'change-requests', 'approve', 'Launch search', '-e', 'production', ...p], {
      out: () => undefined,
      err: () => undefined,
      write: () => undefined,
      interactive: false,
      progress: false,
    });
    expect(approved).toBe(0);
    expect((await vexilla('change-requests', 'apply', cr.id, '--yes', '-e', 'production', ...p)).stdout).toContain('Applied change request');
    expect(await json('features', 'get', 'new_search', '-e', 'production', ...p)).toMatchObject({ state: { enabled: true, value: 'launched' } });

    const scheduled = await json('scheduled-changes', 'create', '--at', '+1d', '--change', 'new_search:off', '-e', 'staging', ...p);
    expect((await vexilla('scheduled-changes', 'list', '-e', 'staging', ...p)).stdout).toContain(scheduled.id);
    expect((await json('scheduled-changes', 'cancel', scheduled.id, '--yes', '-e', 'staging', ...p)).status).toBe('cancelled');
    expect((await vexilla('audit', 'tail', '--feature', 'new_search', '--limit', '3')).stdout.trim().split('\n')).toHaveLength(3);
  });
});

// Each run starts a process (tsx compiles the CLI): slow on a busy machine, so a long timeout.
describe('the vexilla bin', () => {
  it('prints its version, and exits 2 on usage mistakes with a suggestion', async () => {
    const { version } = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect((await bin(['--version'])).stdout.trim()).toBe(version);
    const typo = await bin(['featrues', 'list']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("error: unknown command 'featrues'\n(Did you mean features?)");
  });

  it('lets VEXILLA_API_URL and VEXILLA_TOKEN beat .vexilla/local.json, and says so', async () => {
    const cwd = join(dir, 'project', 'sub');
    await mkdir(join(dir, 'project', '.vexilla'), { recursive: true });
    await mkdir(cwd, { recursive: true });
    await writeFile(join(dir, 'project', '.vexilla', 'local.json'), JSON.stringify({ apiUrl: 'http://127.0.0.1:9', adminToken: 'vxa_elsewhere' }));
    // local.json is found from a subdirectory, as git finds .git: it names a dead API.
    const local = await bin(['whoami'], { cwd });
    expect(local.code).toBe(1);
    expect(local.stderr).toContain(`Could not reach http://127.0.0.1:9`);
    const explicit = await bin(['whoami'], { cwd, env: { ...quietEnv, VEXILLA_API_URL: stack.url, VEXILLA_TOKEN: token } });
    expect(explicit.stdout).toContain('Credentials:  VEXILLA_API_URL and VEXILLA_TOKEN');
    const half = await bin(['whoami'], { cwd, env: { ...quietEnv, VEXILLA_API_URL: stack.url } });
    expect(half.stderr).toContain('VEXILLA_API_URL is set');
  });

  it('completes commands in bash', async () => {
    const script = (await bin(['completion', 'bash'])).stdout;
    await writeFile(join(dir, 'completion.bash'), script);
    const complete = (words: string) =>
      new Promise<string>((resolve, reject) =>
        execFile('bash', ['-c', `source ${join(dir, 'completion.bash')}; COMP_WORDS=(${words}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _vexilla; echo "\${COMPREPLY[*]}"`], (error, stdout) =>
          error ? reject(error) : resolve(stdout.trim()),
        ),
      );
    expect(await complete('vexilla fea')).toBe('features feature');
    expect(await complete('vexilla features tog')).toBe('toggle');
    expect(await complete("vexilla features toggle x --wa")).toBe('--wait');
  });
});

describe('vexilla members, invitations and group rules', () => {
  it('invites by email with a role named as typed, lists and revokes invitations', async () => {
    const created = await vexilla('invitations', 'create', 'Pat@Example.com', '--role', 'project:Web shop:editor', '--days', '3');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^Invited pat@example.com as editor of project prj_\w+, until \d{4}-/);
    const [invitation, ...others] = await json('invitations', 'list');
    expect(others).toEqual([]);
    expect(invitation.email).toBe('pat@example.com');
    expect(Object.values(invitation.roles.projects)).toEqual(['editor']);
    expect((await vexilla('invitations', 'revoke', 'pat@example.com', '--yes')).stdout).toContain('Revoked the invitation of pat@example.com');
    expect(await json('invitations', 'list')).toEqual([]);
    const noRole = await vexilla('invitations', 'create', 'pat@example.com');
    expect(noRole.code).toBe(2);
  });

  it('lists members, changes their roles and removes them', async () => {
    // A member, as signing in would make one (test/integration/sign-in.test.ts covers the flow).
    const { addMember } = await import('../../functions/domain/use-cases/people.js');
    const organisation = await stack.deps.store.get({ type: 'organisation', id: (await json('organisations', 'get')).id });
    const [tokenEntity] = await stack.deps.store.listAll({ of: 'tokens', orgId: organisation?.id ?? '' });
    if (!organisation || !tokenEntity) throw new Error('fixture missing');
    await addMember(stack.deps, tokenEntity, organisation, { issuer: 'https://idp.example.com', subject: 'quinn', email: 'quinn@example.com', name: 'Quinn' }, { organisation: 'admin' });

    expect((await vexilla('members', 'list')).stdout).toMatch(/quinn@example.com\s+usr_\w+\s+organisation admin/);
    const promoted = await vexilla('members', 'set-role', 'quinn@example.com', '--role', 'environment:production:admin', '--project', 'Web shop');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(promoted.stdout).toMatch(/^quinn@example.com: admin of environment env_\w+\.$/m);
    const typo = await vexilla('members', 'remove', 'quin@example.com', '--yes');
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('No member named "quin@example.com". Did you mean "quinn@example.com"?');
    expect((await vexilla('members', 'remove', 'quinn@example.com', '--yes')).stdout).toContain('Removed quinn@example.com');
    expect(await json('members', 'list')).toEqual([]);
  });

  it('sets and removes group rules, and says who the credentials are', async () => {
    expect((await vexilla('group-rules', 'set', 'flag-editors', '--role', 'project:Web shop:editor')).stdout).toMatch(/^Everyone in "flag-editors" is editor of project prj_\w+\./);
    expect((await json('group-rules', 'list')).map((rule: { group: string }) => rule.group)).toEqual(['flag-editors']);
    expect((await vexilla('group-rules', 'delete', 'flag-editors', '--yes')).stdout).toContain('Removed the rule of group "flag-editors"');
    expect((await vexilla('me')).stdout).toMatch(/^Admin token "bootstrap admin" \(tok_\w+\)\n  CLI organisation \(org_\w+\): organisation admin/);
    expect((await json('sign-in-config')).enabled).toBe(false);
  });
});
