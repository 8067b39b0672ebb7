/**
 * Migrating from Flagsmith: a Flagsmith environment document imported into an empty Vexilla
 * environment evaluates, identity by identity, exactly as Flagsmith's own SDK evaluates the
 * source document; and importing twice changes nothing.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Flagsmith, LocalFileHandler } from 'flagsmith-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRichEnvironment, traitsFor } from '../support/rich-environment.js';
import { importJob } from '../support/imports.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['cli/vexilla.mjs', ...args], { env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr }),
    );
  });
}

let api: TestApi;
let source: Record<string, any>;
let target: { envId: string; clientKey: string };

beforeAll(async () => {
  api = await startTestApi();
  // A Flagsmith-format document: our own export of a rich environment, then made to look like
  // one from Flagsmith itself, with a different environment key and integer feature-state ids.
  const origin = await buildRichEnvironment(api, 'Origin');
  const response = await fetch(`${api.url}/api/v1/environment-document/`, { headers: { 'x-environment-key': origin.serverKey } });
  source = await response.json();
  source.api_key = 'FlagsmithEnvKey123456';
  source.feature_states.forEach((state: Record<string, unknown>, i: number) => {
    if (i % 2 === 0) state.django_id = 900_000 + i;
  });
  const project = await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Migrated' } });
  const environment = await api.call('POST', `/admin/v1/projects/${project.body.id}/environments`, { body: { name: 'production' } });
  target = { envId: environment.body.environment.id, clientKey: environment.body.clientKey };
}, 120_000);
afterAll(() => api?.close());

describe('import from Flagsmith', () => {
  it('plans, then imports features, values, splits, segments, overrides and identity overrides', async () => {
    const plan = await importJob(api, target.envId, source, { dryRun: true });
    expect(plan.started.status).toBe(202);
    expect(plan.started.headers.get('location')).toBe(plan.started.body.location);
    expect(plan.job).toMatchObject({ status: 'succeeded', dryRun: true, summary: { dryRun: true, created: { features: 20, segments: 6 } } });
    expect((await api.call('GET', `/admin/v1/environments/${target.envId}/feature-states`)).body.items).toHaveLength(0);

    const imported = await importJob(api, target.envId, source);
    expect(imported.started.body).toMatchObject({ status: 'queued', dryRun: false, progress: { done: 0, total: null } });
    expect(imported.job).toMatchObject({ status: 'succeeded', progress: { done: expect.any(Number), total: expect.any(Number) } });
    expect(imported.job?.progress.done).toBe(imported.job?.progress.total);
    expect(imported.job?.summary?.created).toMatchObject({ features: 20, segments: 6, segmentOverrides: 6, tenantOverrides: 1, identityOverrides: 2, identities: 2 });
    const environment = await api.call('GET', `/admin/v1/environments/${target.envId}`);
    expect(environment.body.hashKey).toBe('FlagsmithEnvKey123456');
    // Imported identity overrides come with their identities, kept while they have overrides.
    expect((await api.call('GET', `/admin/v1/environments/${target.envId}/identities/user-7`)).body.overrides).toHaveLength(1);
  });

  it('keeps every identity in its bucket: 300 identities evaluate as Flagsmith evaluates the source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vexilla-import-'));
    const file = join(dir, 'environment.json');
    writeFileSync(file, JSON.stringify(source));
    const flagsmith = new Flagsmith({ offlineMode: true, offlineHandler: new LocalFileHandler(file) });
    // The SDK's 10 s default request timeout would make this depend on the machine's load.
    const vexilla = new Flagsmith({ environmentKey: target.clientKey, apiUrl: `${api.url}/api/v1/`, retries: 0, requestTimeoutSeconds: 300 });
    const differences: string[] = [];
    const compare = async (i: number) => {
      const identifier = i % 50 === 7 ? 'user-7' : `migrated-${i}`;
      const traits = traitsFor(i);
      const [expected, actual] = await Promise.all([flagsmith.getIdentityFlags(identifier, traits), vexilla.getIdentityFlags(identifier, traits)]);
      for (const flag of expected.allFlags()) {
        const got = actual.getFlag(flag.featureName);
        if (got.enabled !== flag.enabled || (got.value ?? null) !== (flag.value ?? null)) {
          differences.push(`${identifier} ${flag.featureName}: flagsmith ${flag.enabled}/${flag.value} vexilla ${got.enabled}/${got.value}`);
        }
      }
    };
    // Ten identities at a time, as concurrent clients would: each one is a write to the table.
    for (let first = 0; first < 300; first += 10) await Promise.all(Array.from({ length: 10 }, (_, offset) => compare(first + offset)));
    await flagsmith.close();
    await vexilla.close();
    expect(differences).toEqual([]);
  });

  it('is idempotent: importing again changes nothing, not even history or audit', async () => {
    const audit = async () => (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${target.envId}&limit=1000`)).body.items.length;
    const before = await audit();
    const again = (await importJob(api, target.envId, source)).job;
    expect(again).toMatchObject({ status: 'succeeded', progress: { done: 0, total: 0 } });
    expect(again?.summary?.created).toEqual({});
    expect(again?.summary?.updated).toEqual({});
    expect(again?.summary?.unchanged).toBeGreaterThan(25);
    expect(await audit()).toBe(before);
  });

  it('imports from the command line, using VEXILLA_API_URL and VEXILLA_TOKEN', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vexilla-cli-'));
    const file = join(dir, 'environment.json');
    writeFileSync(file, JSON.stringify(source));
    // Asynchronously: the API answering the CLI runs in this very process.
    const run = await cli(['import', 'flagsmith', file, '--environment', target.envId, '--json'], { VEXILLA_API_URL: api.url, VEXILLA_TOKEN: api.adminToken });
    expect(run.code, run.stderr).toBe(0);
    // It follows the job to its end: the finished job's summary on stdout (progress goes to a
    // terminal only, and this stderr is a pipe).
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ created: {}, updated: {}, dryRun: false });
    const missing = await cli(['import', 'flagsmith', file], {});
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("required option '-e, --environment");
  }, 120_000);

  it('exports deterministically: export, import into a new environment, export again gives the same bytes', async () => {
    const exportOf = async (envId: string) => {
      const response = await fetch(`${api.url}/admin/v1/environments/${envId}/export`, { headers: { authorization: `Bearer ${api.adminToken}` } });
      expect(response.status).toBe(200);
      return response.text();
    };
    const first = await exportOf(target.envId);
    expect(await exportOf(target.envId)).toBe(first);
    const project = await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Round trip' } });
    const copy = await api.call('POST', `/admin/v1/projects/${project.body.id}/environments`, { body: { name: 'copy' } });
    const imported = (await importJob(api, copy.body.environment.id, JSON.parse(first))).job;
    expect(imported?.status).toBe('succeeded');
    expect(await exportOf(copy.body.environment.id)).toBe(first);
  });

  it('rejects something that is not a Flagsmith document, naming the fields', async () => {
    const bad = await api.call('POST', `/admin/v1/environments/${target.envId}/import`, { body: { feature_states: 'nope' } });
    expect(bad.status).toBe(422);
    expect(bad.body.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['api_key', 'feature_states']));
  });
});
