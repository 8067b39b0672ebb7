/**
 * `vexilla rollouts`, `features delete --force` and `features create|update --require` against the
 * API over real HTTP (the CLI's `main` in this process, as test/integration/cli.test.ts runs it):
 * the whole rollout story from a terminal, the alarm simulated as the local stack allows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessCli } from '../support/in-process-cli.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let projectId: string;
let envId: string;

/** The CLI in this process against the test API: what it printed and its exit code. */
const vexilla = inProcessCli(() => ({ url: api.url, token: api.adminToken }));

beforeAll(async () => {
  api = await startTestApi();
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'CLI rollouts' } })).body.id;
  envId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } })).body.environment.id;
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'checkout' } });
});
afterAll(() => api?.close());

describe('vexilla rollouts', () => {
  it('starts a rollout, lists it, advances it, and an alarm rolls it back', async () => {
    const env = ['--environment', 'production', '--project', 'CLI rollouts'];
    const started = await vexilla('rollouts', 'start', 'checkout', ...env, '--exponential', '1x5', '--bake', '30m', '--guard', 'cli-5xx', '--json');
    expect(started.code, started.stderr).toBe(0);
    const rollout = JSON.parse(started.stdout);
    expect(rollout).toMatchObject({ status: 'running', percentages: [1, 5, 25, 100], bakeSeconds: 1800, guardAlarms: ['cli-5xx'] });

    expect((await vexilla('rollouts', 'list', ...env)).stdout).toMatch(new RegExp(`${rollout.id}\\s+checkout\\s+running\\s+1%\\s+1/4\\s+next step`));
    // By id or by feature name.
    expect((await vexilla('rollouts', 'advance', rollout.id, ...env)).stdout.trim()).toMatch(/^checkout: running, 5% \(step 2\/4\) — next step /);
    expect((await vexilla('rollouts', 'pause', 'checkout', ...env)).stdout.trim()).toBe('checkout: paused, 5% (step 2/4)');
    expect((await vexilla('rollouts', 'resume', 'checkout', ...env)).stdout).toContain('checkout: running, 5% (step 2/4)');
    expect((await vexilla('rollouts', 'alarms', 'checkout', ...env)).stdout).toMatch(/cli-5xx\s+OK/);

    const alarmed = await vexilla('rollouts', 'alarm', 'cli-5xx', 'ALARM', '--reason', 'errors up');
    expect(alarmed.stdout.trim()).toBe('cli-5xx is ALARM.');
    const after = await vexilla('rollouts', 'get', 'checkout', ...env);
    expect(after.stdout).toContain('checkout: rolled-back, 0% (step 2/4) — CloudWatch alarm cli-5xx entered ALARM: errors up');
    expect(after.stdout).toContain('plan: 1% → 5% → 25% → 100%, bake 1800 s');
    const again = await vexilla('rollouts', 'advance', 'checkout', ...env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('409');
    expect((await vexilla('rollouts', 'alarm', 'cli-5xx', 'ALARM')).stdout.trim()).toBe('cli-5xx is ALARM (it already was).');
  });

  it('asks before aborting, and aborts with --yes', async () => {
    const env = ['--environment', envId];
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'search' } });
    expect((await vexilla('rollouts', 'start', 'search', ...env, '--steps', '10,50', '--bake', '1h')).code).toBe(0);
    const unconfirmed = await vexilla('rollouts', 'abort', 'search', ...env);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('Abort the rollout of search in production: pass --yes to confirm');
    expect((await vexilla('rollouts', 'abort', 'search', ...env, '--yes')).stdout).toMatch(/^search: aborted, 0% \(step 1\/3\) — aborted by /);
  });

  it('says what is wrong with a command line, and sends nothing', async () => {
    const env = ['--environment', envId];
    const noBake = await vexilla('rollouts', 'start', 'checkout', ...env);
    const badDuration = await vexilla('rollouts', 'start', 'checkout', ...env, '--bake', 'soon');
    const twoPlans = await vexilla('rollouts', 'start', 'checkout', ...env, '--bake', '1h', '--linear', '4', '--steps', '1,2');
    const badState = await vexilla('rollouts', 'alarm', 'cli-5xx', 'RED');
    const unknownRollout = await vexilla('rollouts', 'get', 'nothing', ...env);
    expect(noBake.code).toBe(2);
    expect(noBake.stderr).toContain("required option '--bake <duration>' not specified");
    expect(badDuration.code).toBe(2);
    expect(badDuration.stderr).toContain('--bake takes a duration like 90s, 30m, 2h or 1d (got "soon")');
    expect(twoPlans.code).toBe(2);
    expect(twoPlans.stderr).toMatch(/option '--linear <steps>' cannot be used with option '--steps <percentages>'/);
    expect(badState.stderr).toContain('The state is OK, ALARM or INSUFFICIENT_DATA (got "RED")');
    expect(unknownRollout.code).toBe(1);
    expect(unknownRollout.stderr).toContain('No rollout of "nothing" in production.');
    expect((await api.call('GET', `/admin/v1/environments/${envId}/rollouts`)).body.items.filter((r: { featureName: string }) => r.featureName === 'checkout')).toHaveLength(1);
  });
});

describe('vexilla features and prerequisites', () => {
  it('sets prerequisites by name, value or option, shows them, and removes them', async () => {
    const project = ['--project', projectId];
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'pricing', type: 'MULTIVARIATE', initialValue: 'control', options: [{ value: 'cheap', defaultWeight: 0 }] } });
    const created = await vexilla('features', 'create', 'new_ui', ...project, '--require', 'checkout', 'pricing@cheap', '--json');
    expect(created.code, created.stderr).toBe(0);
    const optionId = (await api.call('GET', `/admin/v1/projects/${projectId}/features/pricing`)).body.options[0].id;
    expect(JSON.parse(created.stdout).prerequisites).toEqual([{ featureName: 'checkout' }, { featureName: 'pricing', variant: optionId }]);
    expect((await vexilla('features', 'update', 'new_ui', ...project, '--require', 'pricing=control')).code).toBe(0);
    expect((await vexilla('features', 'get', 'new_ui', ...project)).stdout).toContain('  requires pricing serving "control"');
    expect((await vexilla('features', 'create', 'other', ...project, '--require', 'pricing@dear')).stderr).toContain('pricing has no option "dear": its options are "cheap".');
    expect((await vexilla('features', 'update', 'new_ui', ...project, '--no-prerequisites', '--json')).stdout).not.toContain('"prerequisites": [\n');
    expect((await api.call('GET', `/admin/v1/projects/${projectId}/features/new_ui`)).body.prerequisites ?? []).toEqual([]);
  });

  it('refuses to delete a feature others require unless --force', async () => {
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'needs-checkout', prerequisites: [{ featureName: 'checkout' }] } });

    const refused = await vexilla('features', 'delete', 'checkout', '--project', projectId, '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Feature checkout is required by needs-checkout');
    expect((await api.call('GET', `/admin/v1/projects/${projectId}/features/checkout`)).status).toBe(200);

    const forced = await vexilla('features', 'delete', 'checkout', '--project', projectId, '--force', '--yes');
    expect(forced.stdout.trim()).toBe('Deleted feature checkout.');
    expect((await api.call('GET', `/admin/v1/projects/${projectId}/features/checkout`)).status).toBe(404);
  });
});
