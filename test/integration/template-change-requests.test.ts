/**
 * Template changes in governed environments, over real HTTP on DynamoDB Local: replacing a
 * template's values where approvals are required opens a change request (202) that shows each
 * feature's old → new value and how many tenants the template reaches; someone other than its
 * author approves it; applying it changes every tenant the template applies to in one audited,
 * evented commit (seen through remote evaluation); a template change that landed meanwhile is a
 * 409 with the diff, never overwritten. Ungoverned environments still write directly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessCli } from '../support/in-process-cli.js';
import { okCall, projectWithEnvironment, startTestApi, type TestApi } from '../support/test-api.js';

let api: TestApi;
let P: string;
let projectId: string;
let envId: string;
let clientKey: string;
let governedId: string;
let governedKey: string;
let approver: string;
const ok = (method: string, path: string, body?: unknown) => okCall(api, method, path, body);
const E = () => `/admin/v1/environments/${envId}`;
const G = () => `/admin/v1/environments/${governedId}`;
const enterprise = { sso: { enabled: true }, max_seats: { enabled: true, value: 500 } };

beforeAll(async () => {
  api = await startTestApi({ snapshotTtlMs: 0 });
  ({ P, projectId, envId, clientKey } = await projectWithEnvironment(api, 'Plans'));
  approver = (await ok('POST', `/admin/v1/organisations/${api.organisationId}/tokens`, { name: 'reviewer', roles: { projects: { [projectId]: 'editor' } } })).token;
  await ok('POST', `${P}/features`, { name: 'sso', initialValue: null });
  await ok('POST', `${P}/features`, { name: 'max_seats', initialValue: 5 });
  await ok('PUT', `${P}/templates/enterprise`, { rank: 0, rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'tenant.plan', value: 'enterprise' }] }] });
  // Two tenants by the rule, one by assignment, one the template does not reach.
  await ok('PUT', `${P}/tenants/acme`, { traits: { plan: 'enterprise' } });
  await ok('PUT', `${P}/tenants/initech`, { traits: { plan: 'enterprise' } });
  await ok('PUT', `${P}/tenants/globex`, { traits: { plan: 'free' }, templates: ['enterprise'] });
  await ok('PUT', `${P}/tenants/hooli`, { traits: { plan: 'free' } });
  const governed = await ok('POST', `${P}/environments`, { name: 'governed' });
  governedId = governed.environment.id;
  governedKey = governed.clientKey;
  // The values exist before governance is turned on: changes to them are then proposed.
  await ok('PUT', `${G()}/templates/enterprise/values`, { values: enterprise });
  await ok('PATCH', G(), { requiredApprovals: 1 });
});
afterAll(() => api?.close());

/** Each tenant's max_seats as remote evaluation serves it to one of its identities. */
async function seats(key: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const tenant of ['acme', 'initech', 'globex', 'hooli']) {
    const reply = await fetch(`${api.url}/api/v1/identities/`, {
      method: 'POST',
      headers: { 'x-environment-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: `user-of-${tenant}`, traits: [{ trait_key: 'tenant', trait_value: tenant }] }),
    });
    expect(reply.status).toBe(200);
    const body = (await reply.json()) as { flags: { feature: { name: string }; enabled: boolean; feature_state_value: unknown }[] };
    const flag = body.flags.find((f) => f.feature.name === 'max_seats');
    out[tenant] = flag?.enabled ? flag.feature_state_value : 'off';
  }
  return out;
}

const auditOf = async (envFilter: string) =>
  (await ok('GET', `/admin/v1/organisations/${api.organisationId}/audit?limit=100&environment=${envFilter}`)).items as {
    detailType: string;
    action: string;
    subject: Record<string, string>;
    actor: { name: string };
    after: unknown;
  }[];

describe('template changes in an environment that requires approvals', () => {
  it('open a change request showing old → new and the tenants reached; applied once someone else approves, every tenant changes in one audited event', async () => {
    expect(await seats(governedKey)).toEqual({ acme: 500, initech: 500, globex: 500, hooli: 'off' });

    const proposed = await api.call('PUT', `${G()}/templates/enterprise/values`, { body: { values: { sso: { enabled: true }, max_seats: { enabled: true, value: 1000 } }, version: 1 } });

    expect(proposed.status).toBe(202);
    expect(proposed.body).toMatchObject({ type: 'change-request', status: 'open', envId: governedId, approvals: [], author: { name: 'bootstrap admin' } });
    expect(proposed.body.title).toContain('enterprise');
    expect(proposed.body.changes).toEqual([
      {
        target: 'template-values',
        templateKey: 'enterprise',
        templateName: 'enterprise',
        expectedVersion: 1,
        content: { sso: { enabled: true, value: null }, max_seats: { enabled: true, value: 1000 } },
        features: [{ featureName: 'max_seats', before: { enabled: true, value: 500 }, after: { enabled: true, value: 1000 } }],
        tenants: 3,
      },
    ]);
    // Nothing changed yet: the values, what tenants are served, and no template-values event.
    expect(await ok('GET', `${G()}/templates/enterprise/values`)).toMatchObject({ version: 1, values: { max_seats: { value: 500 } } });
    expect(await seats(governedKey)).toEqual({ acme: 500, initech: 500, globex: 500, hooli: 'off' });
    const path = `${G()}/change-requests/${proposed.body.id}`;
    expect((await ok('GET', path)).changes[0].features).toHaveLength(1);

    const selfApproval = await api.call('POST', `${path}/approve`);
    expect(selfApproval.status).toBe(403);
    expect(selfApproval.body.message).toMatch(/author .* cannot approve/);
    expect((await api.call('POST', `${path}/apply`)).body.message).toContain('0 of the 1 approval');

    expect((await api.call('POST', `${path}/approve`, { token: approver })).status).toBe(200);
    const applied = await api.call('POST', `${path}/apply`);

    expect(applied.status).toBe(200);
    expect(applied.body).toMatchObject({ status: 'applied' });
    expect(await ok('GET', `${G()}/templates/enterprise/values`)).toMatchObject({ version: 2, values: { max_seats: { enabled: true, value: 1000 } } });
    expect(await seats(governedKey)).toEqual({ acme: 1000, initech: 1000, globex: 1000, hooli: 'off' });
    // One template-values event for the whole change, by the one who applied it, and the request's own steps.
    const audit = await auditOf(governedId);
    const valueEvents = audit.filter((e) => e.subject.kind === 'template-values');
    expect(valueEvents.map((e) => e.action)).toEqual(['updated', 'created']);
    expect(valueEvents[0]).toMatchObject({ detailType: 'feature-state.changed', actor: { name: 'bootstrap admin' }, after: { version: 2, values: { max_seats: { value: 1000 } } } });
    const steps = audit.filter((e) => e.detailType === 'change-request.changed' && e.subject.id === proposed.body.id).map((e) => e.action);
    expect(steps).toEqual(['applied', 'approved', 'created']);
    // The other environment did not move.
    expect(await seats(clientKey)).toEqual({ acme: 'off', initech: 'off', globex: 'off', hooli: 'off' });
  });

  it('reports a template change that landed meanwhile as a conflict with the diff, and overwrites nothing', async () => {
    const current = await ok('GET', `${G()}/templates/enterprise/values`);
    const first = await api.call('PUT', `${G()}/templates/enterprise/values`, { body: { values: { max_seats: { enabled: true, value: 2000 } } } });
    const second = await api.call('PUT', `${G()}/templates/enterprise/values`, { body: { values: { max_seats: { enabled: true, value: 3000 } } } });
    expect([first.status, second.status]).toEqual([202, 202]);
    for (const request of [first.body, second.body]) expect((await api.call('POST', `${G()}/change-requests/${request.id}/approve`, { token: approver })).status).toBe(200);

    expect((await api.call('POST', `${G()}/change-requests/${second.body.id}/apply`)).status).toBe(200);
    const stale = await api.call('POST', `${G()}/change-requests/${first.body.id}/apply`);

    expect(stale.status).toBe(409);
    expect(stale.body.message).toContain('the values of template enterprise');
    expect(stale.body.details).toEqual([
      { templateKey: 'enterprise', expectedVersion: current.version, currentVersion: current.version + 1, current: { max_seats: { enabled: true, value: 3000 } }, proposed: { max_seats: { enabled: true, value: 2000 } } },
    ]);
    expect((await ok('GET', `${G()}/change-requests/${first.body.id}`)).status).toBe('open');
    expect(await seats(governedKey)).toEqual({ acme: 3000, initech: 3000, globex: 3000, hooli: 'off' });
  });

  it("refuses a stale version before proposing, and editing a template request's changes", async () => {
    const stale = await api.call('PUT', `${G()}/templates/enterprise/values`, { body: { values: {}, version: 1 } });
    expect(stale.status).toBe(409);
    const opened = await api.call('PUT', `${G()}/templates/enterprise/values`, { body: { values: {} } });
    expect(opened.status).toBe(202);
    expect(opened.body.changes[0].features).toEqual([{ featureName: 'max_seats', before: { enabled: true, value: 3000 }, after: null }]);
    const edit = await api.call('PATCH', `${G()}/change-requests/${opened.body.id}`, { body: { changes: [{ featureName: 'sso', enabled: true }] } });
    expect(edit.status).toBe(409);
    expect(edit.body.message).toContain("changes a template's values");
    expect((await api.call('POST', `${G()}/change-requests/${opened.body.id}/close`)).body.status).toBe('closed');
  });
});

describe('the CLI', () => {
  /** The CLI in this process against the test API: what it printed and its exit code. */
  const vexilla = inProcessCli(() => ({ url: api.url, token: api.adminToken }));

  it('says a template change in a governed environment opened a change request, and shows it old → new with the tenants reached', async () => {
    const set = await vexilla('templates', 'set-values', 'enterprise', 'max_seats=on:4000', '--environment', 'governed', '--project', 'Plans');

    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('governed requires approvals: nothing changed yet. Opened change request cr_');
    expect(set.stdout).toContain('template enterprise (applies to 3 tenant(s)): max_seats on 3000 → on 4000');
    const id = /change request (cr_\S+)/.exec(set.stdout)?.[1] as string;
    const shown = await vexilla('change-requests', 'get', id, '--environment', 'governed', '--project', 'Plans');
    expect(shown.stdout).toContain('change template enterprise (applies to 3 tenant(s)): max_seats on 3000 → on 4000');
    expect((await ok('GET', `${G()}/templates/enterprise/values`)).values.max_seats.value).toBe(3000);
    expect((await vexilla('change-requests', 'close', id, '--environment', 'governed', '--project', 'Plans', '--yes')).code).toBe(0);
  });
});

describe('template changes in an environment without approvals', () => {
  it('write directly, as before: no change request', async () => {
    const written = await api.call('PUT', `${E()}/templates/enterprise/values`, { body: { values: { max_seats: { enabled: true, value: 42 } } } });

    expect(written.status).toBe(200);
    expect(written.body).toMatchObject({ type: 'template-values', templateKey: 'enterprise', version: 1 });
    expect((await ok('GET', `${E()}/change-requests`)).items).toEqual([]);
    expect(await seats(clientKey)).toEqual({ acme: 42, initech: 42, globex: 42, hooli: 'off' });
  });
});
