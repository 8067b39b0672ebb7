/**
 * `npx vexilla rollouts` and `features delete --force` against the API over real HTTP: the
 * whole rollout story from a terminal, the alarm simulated as the local stack allows.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let projectId: string;
let envId: string;

function vexilla(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['functions/cli/vexilla.mjs', ...args], { env: { ...process.env, VEXILLA_API_URL: api.url, VEXILLA_TOKEN: api.adminToken } }, (error, stdout, stderr) =>
      resolve({ code: typeof error?.code === 'number' ? error.code : error ? 1 : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  api = await startTestApi();
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'CLI rollouts' } })).body.id;
  envId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } })).body.environment.id;
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'checkout' } });
}, 60_000);
afterAll(() => api?.close());

describe('vexilla rollouts', () => {
  it('starts a rollout, lists it, advances it, and an alarm rolls it back', async () => {
    const started = await vexilla('rollouts', 'start', 'checkout', '--environment', envId, '--exponential', '1x5', '--bake', '30m', '--guard', 'cli-5xx', '--json');
    expect(started.code, started.stderr).toBe(0);
    const rollout = JSON.parse(started.stdout);
    expect(rollout).toMatchObject({ status: 'running', percentages: [1, 5, 25, 100], bakeSeconds: 1800, guardAlarms: ['cli-5xx'] });

    expect((await vexilla('rollouts', 'list', '--environment', envId)).stdout).toMatch(new RegExp(`${rollout.id}\\s+checkout\\s+running\\s+1%\\s+step 1/4`));
    expect((await vexilla('rollouts', 'advance', rollout.id, '--environment', envId)).stdout).toMatch(/running\s+5%\s+step 2\/4/);
    expect((await vexilla('rollouts', 'alarms', rollout.id, '--environment', envId)).stdout).toMatch(/cli-5xx\s+OK/);

    const alarmed = await vexilla('rollouts', 'alarm', 'cli-5xx', 'ALARM', '--reason', 'errors up');
    expect(alarmed.stdout.trim()).toBe('cli-5xx is ALARM');
    const after = await vexilla('rollouts', 'get', rollout.id, '--environment', envId);
    expect(after.stdout).toContain('rolled-back');
    expect(after.stdout).toContain('(CloudWatch alarm cli-5xx entered ALARM: errors up)');
    expect((await vexilla('rollouts', 'advance', rollout.id, '--environment', envId)).code).toBe(1);
    // Seven CLI processes: a generous guard on a busy machine.
  }, 180_000);

  it('says what is wrong with a command line', async () => {
    const noBake = await vexilla('rollouts', 'start', 'checkout', '--environment', envId);
    const badDuration = await vexilla('rollouts', 'start', 'checkout', '--environment', envId, '--bake', 'soon');
    expect(noBake.code).toBe(2);
    expect(noBake.stderr).toContain('--bake is required');
    expect(badDuration.stderr).toContain('--bake takes a duration like 90s, 30m, 2h or 1d (got "soon")');
  }, 120_000);
});

describe('vexilla features delete', () => {
  it('refuses to delete a feature others require unless --force', async () => {
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'needs-checkout', prerequisites: [{ featureName: 'checkout' }] } });

    const refused = await vexilla('features', 'delete', 'checkout', '--project', projectId);
    const forced = await vexilla('features', 'delete', 'checkout', '--project', projectId, '--force');

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('409: Feature checkout is required by needs-checkout');
    expect(forced.stdout.trim()).toBe('Deleted feature checkout.');
  }, 120_000);
});
