/**
 * Every route of the route table against every kind of caller. The expectations are written
 * out here, by hand: a route added to the table without a row in this matrix fails the suite.
 * People (signed in at the in-process OpenID provider, with ID tokens) holding the same roles as
 * tokens get exactly the same answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Route, routes as allRoutes } from '../../functions/http/routes.js';

/** The management API's routes; the SDK routes (environment keys) have their own matrix. */
const routes = allRoutes.filter((route) => route.access.credential === 'admin-token');
import { type SignInFixture, startSignInFixture } from '../support/sign-in.js';
import type { TestApi } from '../support/test-api.js';

type Expect = 'allow' | 'deny';
const Y: Expect = 'allow';
const N: Expect = 'deny';

/** [project viewer, project editor, project admin]; organisation admins may do everything. */
const matrix: Record<string, readonly [Expect, Expect, Expect]> = {
  getMe: [Y, Y, Y],
  listOrganisations: [Y, Y, Y],
  getOrganisation: [Y, Y, Y],
  updateOrganisation: [N, N, N],
  listProjects: [Y, Y, Y],
  createProject: [N, N, N],
  listTokens: [N, N, N],
  createToken: [N, N, N],
  revokeToken: [N, N, N],
  listMembers: [N, N, N],
  updateMember: [N, N, N],
  removeMember: [N, N, N],
  listInvitations: [N, N, N],
  createInvitation: [N, N, N],
  revokeInvitation: [N, N, N],
  listGroupRules: [N, N, N],
  putGroupRule: [N, N, N],
  deleteGroupRule: [N, N, N],
  listAudit: [N, N, N],
  getProject: [Y, Y, Y],
  updateProject: [N, N, Y],
  deleteProject: [N, N, Y],
  listEnvironments: [Y, Y, Y],
  createEnvironment: [N, N, Y],
  listFeatures: [Y, Y, Y],
  createFeature: [N, Y, Y],
  getFeature: [Y, Y, Y],
  listStaleFeatures: [Y, Y, Y],
  getFlagsMatrix: [Y, Y, Y],
  getPublication: [Y, Y, Y],
  updateFeature: [N, Y, Y],
  deleteFeature: [N, Y, Y],
  putTenantSettings: [N, Y, Y],
  deleteTenantSettings: [N, Y, Y],
  listSegments: [Y, Y, Y],
  createSegment: [N, Y, Y],
  getSegment: [Y, Y, Y],
  updateSegment: [N, Y, Y],
  deleteSegment: [N, Y, Y],
  listTenants: [Y, Y, Y],
  getTenant: [Y, Y, Y],
  putTenant: [N, Y, Y],
  deleteTenant: [N, Y, Y],
  listTemplates: [Y, Y, Y],
  getTemplate: [Y, Y, Y],
  putTemplate: [N, Y, Y],
  deleteTemplate: [N, Y, Y],
  getTemplateValues: [Y, Y, Y],
  putTemplateValues: [N, Y, Y],
  getEnvironment: [Y, Y, Y],
  updateEnvironment: [N, N, Y],
  deleteEnvironment: [N, N, Y],
  rotateClientKey: [N, N, Y],
  listServerKeys: [N, N, Y],
  createServerKey: [N, N, Y],
  revokeServerKey: [N, N, Y],
  listFeatureStates: [Y, Y, Y],
  getFeatureState: [Y, Y, Y],
  patchFeatureState: [N, Y, Y],
  listFeatureStateVersions: [Y, Y, Y],
  restoreFeatureStateVersion: [N, Y, Y],
  listOverrides: [Y, Y, Y],
  putSegmentOverride: [N, Y, Y],
  deleteSegmentOverride: [N, Y, Y],
  putTenantOverride: [N, Y, Y],
  deleteTenantOverride: [N, Y, Y],
  exportEnvironment: [Y, Y, Y],
  importFlagsmith: [N, Y, Y],
  getImport: [Y, Y, Y],
  listIdentities: [Y, Y, Y],
  getIdentity: [Y, Y, Y],
  putIdentity: [N, Y, Y],
  deleteIdentity: [N, Y, Y],
  putIdentityOverride: [N, Y, Y],
  deleteIdentityOverride: [N, Y, Y],
  explainIdentityFlags: [Y, Y, Y],
  getEvaluationAnalytics: [Y, Y, Y],
  listEnvironmentOverrides: [Y, Y, Y],
  listWebhooks: [N, N, Y],
  createWebhook: [N, N, Y],
  getWebhook: [N, N, Y],
  updateWebhook: [N, N, Y],
  deleteWebhook: [N, N, Y],
  listTenantKeys: [N, N, Y],
  createTenantKey: [N, N, Y],
  deleteTenantKey: [N, N, Y],
  rotateWebhookSecret: [N, N, Y],
  listWebhookDeliveries: [N, N, Y],
  getWebhookDelivery: [N, N, Y],
  redeliverWebhookDelivery: [N, N, Y],
  listChangeRequests: [Y, Y, Y],
  createChangeRequest: [N, Y, Y],
  getChangeRequest: [Y, Y, Y],
  updateChangeRequest: [N, Y, Y],
  approveChangeRequest: [N, Y, Y],
  commentChangeRequest: [N, Y, Y],
  applyChangeRequest: [N, Y, Y],
  closeChangeRequest: [N, Y, Y],
  listScheduledChanges: [Y, Y, Y],
  createScheduledChange: [N, Y, Y],
  getScheduledChange: [Y, Y, Y],
  cancelScheduledChange: [N, Y, Y],
  listRollouts: [Y, Y, Y],
  createRollout: [N, Y, Y],
  getRollout: [Y, Y, Y],
  getRolloutAlarms: [Y, Y, Y],
  pauseRollout: [N, Y, Y],
  resumeRollout: [N, Y, Y],
  advanceRollout: [N, Y, Y],
  abortRollout: [N, Y, Y],
  simulateAlarm: [N, N, N],
};

let fixture: SignInFixture;
let api: TestApi;
const ids: Record<string, string> = {};
const tokens: Record<'viewer' | 'editor' | 'admin' | 'orgAdmin' | 'otherOrgAdmin' | 'serverKey' | 'clientKey' | 'otherApp', string> = {
  viewer: '',
  editor: '',
  admin: '',
  orgAdmin: '',
  otherOrgAdmin: '',
  serverKey: '',
  clientKey: '',
  otherApp: '',
};
/** ID tokens of people holding the same roles as the tokens above. */
const people: Record<'viewer' | 'editor' | 'admin' | 'orgAdmin' | 'otherOrgAdmin', string> = { viewer: '', editor: '', admin: '', orgAdmin: '', otherOrgAdmin: '' };

/** Invites `email` with `roles` (by the organisation's admin token), then signs them in: their first request accepts it. */
async function person(email: string, roles: object, admin = { token: api.adminToken, orgId: ids.orgId as string }): Promise<string> {
  const invited = await api.call('POST', `/admin/v1/organisations/${admin.orgId}/invitations`, { token: admin.token, body: { email, roles } });
  if (invited.status !== 201) throw new Error(`invitation refused: ${JSON.stringify(invited.body)}`);
  const { idToken } = await fixture.signIn(email);
  await api.call('GET', '/admin/v1/me', { token: idToken });
  return idToken;
}

beforeAll(async () => {
  fixture = await startSignInFixture();
  api = fixture.api;
  tokens.orgAdmin = api.adminToken;
  ids.orgId = api.organisationId;
  ids.projectId = (await api.call('POST', `/admin/v1/organisations/${ids.orgId}/projects`, { body: { name: 'P' } })).body.id;
  const environment = await api.call('POST', `/admin/v1/projects/${ids.projectId}/environments`, { body: { name: 'E' } });
  ids.envId = environment.body.environment.id;
  tokens.clientKey = environment.body.clientKey;
  tokens.serverKey = (await api.call('POST', `/admin/v1/environments/${ids.envId}/server-keys`, { body: { name: 's' } })).body.key;
  await api.call('POST', `/admin/v1/projects/${ids.projectId}/features`, { body: { name: 'f', initialValue: 'x' } });
  await api.call('PATCH', `/admin/v1/environments/${ids.envId}/feature-states/f`, { body: { enabled: true } });
  ids.segmentId = (
    await api.call('POST', `/admin/v1/projects/${ids.projectId}/segments`, {
      body: { name: 'S', rules: [{ type: 'ALL', conditions: [{ operator: 'IS_SET', property: 'plan', value: '' }] }] },
    })
  ).body.id;
  await api.call('PUT', `/admin/v1/environments/${ids.envId}/identities/i`, { body: { traits: { plan: 'pro' } } });
  for (const role of ['viewer', 'editor', 'admin'] as const) {
    const created = await api.call('POST', `/admin/v1/organisations/${ids.orgId}/tokens`, {
      body: { name: role, roles: { projects: { [ids.projectId as string]: role } } },
    });
    tokens[role] = created.body.token;
  }
  const other = await api.newOrganisation('Other');
  tokens.otherOrgAdmin = other.adminToken;
  for (const role of ['viewer', 'editor', 'admin'] as const) people[role] = await person(`${role}@example.com`, { projects: { [ids.projectId as string]: role } });
  people.orgAdmin = await person('owner@example.com', { organisation: 'admin' });
  people.otherOrgAdmin = await person('stranger@example.com', { organisation: 'admin' }, { token: other.adminToken, orgId: other.organisationId });
  // A sign-in token of the right issuer, minted for another application.
  tokens.otherApp = await fixture.forge({ sub: 'someone', aud: 'another-app', email: 'owner@example.com', email_verified: true });
});
afterAll(() => fixture?.close());

/**
 * A concrete request for a route that never destroys the shared fixture: bodies are invalid on
 * purpose (an allowed caller gets 422, after authorization, and nothing changes), and deletions
 * aim at things that do not exist, except environments, which get a fresh one each time.
 */
async function requestFor(route: Route): Promise<{ path: string; body?: unknown }> {
  const values: Record<string, string> = {
    ...ids,
    featureName: route.method === 'DELETE' && route.operation === 'deleteFeature' ? 'missing' : 'f',
    segmentId: route.operation === 'deleteSegment' ? 'seg_missing' : ids.segmentId ?? '',
    tenantId: 'acme',
    tenantKey: 'acme',
    templateKey: 'missing',
    identifier: route.operation === 'deleteIdentity' ? 'missing' : 'i',
    keyId: 'key_missing',
    tokenId: 'tok_missing',
    userId: 'usr_missing',
    invitationId: 'inv_missing',
    ruleId: 'grp_missing',
    version: '1',
    webhookId: 'whk_missing',
    deliveryId: 'dlv_missing',
    changeRequestId: 'cr_missing',
    scheduledChangeId: 'sch_missing',
    rolloutId: 'ro_missing',
    jobId: 'imp_missing',
  };
  if (route.operation === 'deleteEnvironment') {
    const fresh = await api.call('POST', `/admin/v1/projects/${ids.projectId}/environments`, { body: { name: 'doomed' } });
    values.envId = fresh.body.environment.id;
  }
  // Reads over days ask for one day: one query per environment and day is the route's work, not its authorization.
  const query = route.operation === 'listStaleFeatures' || route.operation === 'getEvaluationAnalytics' ? '?days=1' : '';
  const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? '')) + query;
  return { path, ...(route.body ? { body: { __invalid: true } } : {}) };
}

describe('authorization matrix', () => {
  it('has a row for every route, and no row without a route', () => {
    expect(Object.keys(matrix).sort()).toEqual(routes.map((route) => route.operation).sort());
  });

  it.each(routes.map((route) => [`${route.method} ${route.path}`, route] as const))('%s', async (_, route) => {
    const expected = matrix[route.operation];
    expect(expected, `no matrix row for ${route.operation}`).toBeDefined();
    if (route.access.credential !== 'admin-token') throw new Error('admin routes only');
    const send = async (token: string | undefined) => {
      const { path, body } = await requestFor(route);
      return api.call(route.method, path, { token, ...(body ? { body } : {}) });
    };

    // Every caller's request at once (none changes what another is answered: bodies are invalid,
    // deletions miss, and each deletion of an environment gets its own), checked in order below.
    const roles = ['viewer', 'editor', 'admin'] as const;
    const callers = [undefined, tokens.clientKey, tokens.serverKey, tokens.otherApp, ...roles.flatMap((role) => [tokens[role], people[role]]), tokens.orgAdmin, people.orgAdmin, tokens.otherOrgAdmin, people.otherOrgAdmin];
    const replies = await Promise.all(callers.map((caller) => send(caller)));
    const reply = (caller: string | undefined) => replies[callers.indexOf(caller)] as (typeof replies)[number];

    expect(reply(undefined).status).toBe(401);
    expect(reply(tokens.clientKey).status).toBe(401);
    expect(reply(tokens.serverKey).status).toBe(401);
    expect(reply(tokens.otherApp).status).toBe(401);

    for (const [i, role] of roles.entries()) {
      const asToken = reply(tokens[role]);
      if (expected?.[i] === 'deny') expect(asToken.status, `${role} should be denied`).toBe(403);
      else expect([401, 403], `${role} should be allowed, got ${asToken.status} ${JSON.stringify(asToken.body)}`).not.toContain(asToken.status);
      const asPerson = reply(people[role]);
      expect(asPerson.status, `a person who is project ${role} must get what the token gets: ${JSON.stringify(asPerson.body)}`).toBe(asToken.status);
    }
    const asOrgAdmin = reply(tokens.orgAdmin);
    expect([401, 403], `org admin got ${asOrgAdmin.status}`).not.toContain(asOrgAdmin.status);
    expect(reply(people.orgAdmin).status, 'a person who is organisation admin must get what the token gets').toBe(asOrgAdmin.status);

    for (const stranger of [tokens.otherOrgAdmin, people.otherOrgAdmin]) {
      const asStranger = reply(stranger);
      if (route.operation === 'listOrganisations') {
        expect(asStranger.status).toBe(200);
        expect(asStranger.body.items.map((o: { id: string }) => o.id)).not.toContain(ids.orgId);
      } else if (route.operation === 'getMe') {
        expect(asStranger.status).toBe(200);
        expect(asStranger.body.organisations?.map((o: { id: string }) => o.id) ?? []).not.toContain(ids.orgId);
      } else {
        expect(asStranger.status, 'another organisation must not even learn the resource exists').toBe(404);
      }
    }
  });
});

describe('environment-scoped roles', () => {
  it('an environment editor changes its environment only, and cannot change project-level things', async () => {
    const other = await api.call('POST', `/admin/v1/projects/${ids.projectId}/environments`, { body: { name: 'other' } });
    const token = (
      await api.call('POST', `/admin/v1/organisations/${ids.orgId}/tokens`, { body: { name: 'env editor', roles: { environments: { [ids.envId as string]: 'editor' } } } })
    ).body.token;
    const own = await api.call('PATCH', `/admin/v1/environments/${ids.envId}/feature-states/f`, { token, body: { value: 'mine' } });
    expect(own.status).toBe(200);
    const foreign = await api.call('PATCH', `/admin/v1/environments/${other.body.environment.id}/feature-states/f`, { token, body: { value: 'x' } });
    expect(foreign.status).toBe(403);
    expect((await api.call('POST', `/admin/v1/projects/${ids.projectId}/features`, { token, body: { name: 'nope' } })).status).toBe(403);
    const listed = await api.call('GET', `/admin/v1/projects/${ids.projectId}/environments`, { token });
    expect(listed.body.items.map((e: { id: string }) => e.id)).toEqual([ids.envId]);
  });

  it('the flags matrix shows an environment-limited caller its environments only, writable where it may write', async () => {
    const other = (await api.call('POST', `/admin/v1/projects/${ids.projectId}/environments`, { body: { name: 'matrix-other' } })).body.environment.id;
    const third = (await api.call('POST', `/admin/v1/projects/${ids.projectId}/environments`, { body: { name: 'matrix-third' } })).body.environment.id;
    const roles = { environments: { [ids.envId as string]: 'editor', [third]: 'viewer' } };
    const token = (await api.call('POST', `/admin/v1/organisations/${ids.orgId}/tokens`, { body: { name: 'two environments', roles } })).body.token;
    const asPerson = await person('two-envs@example.com', roles);
    for (const caller of [token, asPerson]) {
      const matrix = await api.call('GET', `/admin/v1/projects/${ids.projectId}/flags-matrix`, { token: caller });
      expect(matrix.status).toBe(200);
      expect(matrix.body.environments.map((e: { id: string; writable: boolean }) => [e.id, e.writable])).toEqual([
        [ids.envId, true],
        [third, false],
      ]);
      expect(matrix.body.environments.map((e: { id: string }) => e.id)).not.toContain(other);
      expect(matrix.body.features.map((f: { name: string }) => f.name)).toContain('f');
    }
    // Someone with a role in none of the project's environments learns nothing of it.
    const elsewhere = (await api.call('POST', `/admin/v1/organisations/${ids.orgId}/projects`, { body: { name: 'elsewhere' } })).body.id;
    const outsider = (await api.call('POST', `/admin/v1/organisations/${ids.orgId}/tokens`, { body: { name: 'outsider', roles: { projects: { [elsewhere]: 'admin' } } } })).body.token;
    expect((await api.call('GET', `/admin/v1/projects/${ids.projectId}/flags-matrix`, { token: outsider })).status).toBe(403);
  });

  it('a revoked token stops working at once', async () => {
    const created = await api.call('POST', `/admin/v1/organisations/${ids.orgId}/tokens`, { body: { name: 'temp', roles: { organisation: 'admin' } } });
    expect((await api.call('GET', `/admin/v1/organisations/${ids.orgId}`, { token: created.body.token })).status).toBe(200);
    expect((await api.call('DELETE', `/admin/v1/organisations/${ids.orgId}/tokens/${created.body.id}`)).status).toBe(204);
    expect((await api.call('GET', `/admin/v1/organisations/${ids.orgId}`, { token: created.body.token })).status).toBe(401);
  });

  it('a token cannot name projects of another organisation', async () => {
    const stranger = await api.newOrganisation('Stranger');
    const theirProject = (await api.call('POST', `/admin/v1/organisations/${stranger.organisationId}/projects`, { token: stranger.adminToken, body: { name: 'theirs' } })).body.id;
    const grab = await api.call('POST', `/admin/v1/organisations/${ids.orgId}/tokens`, { body: { name: 'grab', roles: { projects: { [theirProject]: 'admin' } } } });
    expect(grab.status).toBe(422);
  });
});
