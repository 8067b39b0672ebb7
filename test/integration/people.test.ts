/**
 * Invitations, their expiry, verified email, directory-group rules and Vexilla's own Cognito
 * directory, through the management API over HTTP, with people signing in at the in-process
 * OpenID provider.
 */
import { AdminCreateUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { detailSchemas, toEventDetail } from '../../functions/events/detail-types.js';
import type { ChangeEvent } from '../../functions/domain/entities.js';
import { CognitoDirectory } from '../../functions/shared/cognito-directory.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';
import { movingClock } from '../support/moving-clock.js';
import { type SignInFixture, startSignInFixture } from '../support/sign-in.js';

const DAY = 86_400_000;
const time = movingClock();
const cognito = mockClient(CognitoIdentityProviderClient);
let fixture: SignInFixture;
let org: string;
let projectId: string;
let envId: string;

beforeAll(async () => {
  fixture = await startSignInFixture({
    users: [{ email: 'unverified@example.com', emailVerified: false }],
    clock: time.clock,
    directory: new CognitoDirectory(new CognitoIdentityProviderClient({ region: 'eu-west-1' }), 'eu-west-1_pool'),
  });
  const { api } = fixture;
  org = `/admin/v1/organisations/${api.organisationId}`;
  projectId = (await api.call('POST', `${org}/projects`, { body: { name: 'People' } })).body.id;
  envId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } })).body.environment.id;
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'checkout', initialValue: 'v1' } });
});
afterEach(() => cognito.reset());
afterAll(async () => {
  // The mock replaces the client class's `send` for the whole worker: put it back for the next file.
  cognito.restore();
  await fixture?.close();
});

const as = (token: string) => ({ token });
const invite = (email: string, roles: object, extra: object = {}) => fixture.api.call('POST', `${org}/invitations`, { body: { email, roles, ...extra } });

describe('invitations', () => {
  it('creates the account in Vexilla\'s own Cognito pool, which emails the person how to sign in', async () => {
    cognito.on(AdminCreateUserCommand).resolves({});
    expect((await invite('Fay@Example.com', { projects: { [projectId]: 'viewer' } })).status).toBe(201);
    expect(cognito.commandCalls(AdminCreateUserCommand).map((call) => call.args[0].input)).toEqual([
      {
        UserPoolId: 'eu-west-1_pool',
        Username: 'fay@example.com',
        UserAttributes: [
          { Name: 'email', Value: 'fay@example.com' },
          { Name: 'email_verified', Value: 'true' },
        ],
        DesiredDeliveryMediums: ['EMAIL'],
      },
    ]);
  });

  it('expires: after its days it is neither listed nor accepted, and DynamoDB TTL will delete it', async () => {
    const created = await invite('gus@example.com', { projects: { [projectId]: 'editor' } }, { expiresInDays: 1 });
    expect(created.body.expires).toBe(new Date(Date.parse(created.body.createdAt) + DAY).toISOString());
    const raw = await documentClient(localDynamoClientConfig(testDynamoEndpoint())).send(
      new GetCommand({ TableName: fixture.api.tableName, Key: { pk: `ORG#${fixture.api.organisationId}`, sk: 'INVITE#gus@example.com' } }),
    );
    expect(raw.Item?.expiresAt).toBe(Math.ceil(Date.parse(created.body.expires) / 1000));
    expect(created.body).not.toHaveProperty('expiresAt');

    time.advance(2 * DAY);
    expect((await fixture.api.call('GET', `${org}/invitations`)).body.items.map((i: { email: string }) => i.email)).not.toContain('gus@example.com');
    const { idToken } = await fixture.signIn('gus@example.com');
    const me = await fixture.api.call('GET', '/admin/v1/me', as(idToken));
    expect(me.body).toMatchObject({ organisations: [], hint: expect.stringContaining('No organisation has invited gus@example.com') });
    expect((await fixture.api.call('GET', `/admin/v1/projects/${projectId}`, as(idToken))).status).toBe(404);
  });

  it('matches no invitation to an address the identity provider has not verified', async () => {
    expect((await invite('unverified@example.com', { organisation: 'admin' })).status).toBe(201);
    const { idToken } = await fixture.signIn('unverified@example.com');
    expect(decodeJwt(idToken).email_verified).toBe(false);
    expect((await fixture.api.call('GET', org, as(idToken))).status).toBe(404);
    const me = await fixture.api.call('GET', '/admin/v1/me', as(idToken));
    expect(me.body).toMatchObject({ emailVerified: false, organisations: [], hint: expect.stringContaining('has not verified unverified@example.com') });
    expect((await fixture.api.call('GET', `${org}/invitations`)).body.items.map((i: { email: string }) => i.email)).toContain('unverified@example.com');
  });

  it('replaces a pending invitation when the address is invited again, and refuses to invite a member', async () => {
    cognito.on(AdminCreateUserCommand).resolves({});
    const first = await invite('hal@example.com', { projects: { [projectId]: 'viewer' } });
    const second = await invite('HAL@example.com', { projects: { [projectId]: 'editor' } });
    expect(second.status).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    const pending = (await fixture.api.call('GET', `${org}/invitations`)).body.items.filter((i: { email: string }) => i.email === 'hal@example.com');
    expect(pending).toEqual([expect.objectContaining({ id: second.body.id, roles: { projects: { [projectId]: 'editor' } } })]);

    const { idToken } = await fixture.signIn('hal@example.com');
    expect((await fixture.api.call('GET', '/admin/v1/organisations', as(idToken))).body.items.map((o: { id: string }) => o.id)).toEqual([fixture.api.organisationId]);
    const again = await invite('hal@example.com', { organisation: 'admin' });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/already a member/);
  });

  it('refuses roles on another organisation\'s resources, and bad addresses, with 422', async () => {
    const stranger = await fixture.api.newOrganisation('Elsewhere');
    const theirs = (await fixture.api.call('POST', `/admin/v1/organisations/${stranger.organisationId}/projects`, { token: stranger.adminToken, body: { name: 'theirs' } })).body.id;
    expect((await invite('ivy@example.com', { projects: { [theirs]: 'admin' } })).status).toBe(422);
    const bad = await invite('not an address', { organisation: 'admin' });
    expect(bad.status).toBe(422);
    expect(bad.body.details).toEqual([expect.objectContaining({ path: 'email' })]);
    expect((await invite('ivy@example.com', {})).status).toBe(422);
  });

  it('revoked, it lets nobody in', async () => {
    const created = await invite('jo@example.com', { organisation: 'admin' });
    expect((await fixture.api.call('DELETE', `${org}/invitations/${created.body.id}`)).status).toBe(204);
    const { idToken } = await fixture.signIn('jo@example.com');
    expect((await fixture.api.call('GET', org, as(idToken))).status).toBe(404);
    expect((await fixture.api.call('DELETE', `${org}/invitations/${created.body.id}`)).status).toBe(404);
  });

  it('records each step as a member.changed event that matches its published schema', async () => {
    const audit = (await fixture.api.call('GET', `${org}/audit?limit=1000`)).body.items as ChangeEvent[];
    const steps = audit.filter((event) => event.detailType === 'member.changed');
    expect(new Set(steps.map((event) => `${event.subject.kind} ${event.action}`))).toEqual(new Set(['invitation created', 'invitation updated', 'invitation deleted', 'member created']));
    for (const event of steps) detailSchemas['member.changed'].parse(toEventDetail(event));
  });
});

describe('directory groups', () => {
  it('give the roles their rule says to whoever the token lists in the group, for as long as it does', async () => {
    const rule = await fixture.api.call('POST', `${org}/group-rules`, { body: { group: 'flag-editors', roles: { projects: { [projectId]: 'editor' } } } });
    expect(rule.status).toBe(200);
    const withGroup = (await fixture.signIn('kim@example.com', { groups: ['flag-editors', 'everyone'] })).idToken;
    const patch = (token: string) => fixture.api.call('PATCH', `/admin/v1/environments/${envId}/feature-states/checkout`, { ...as(token), body: { enabled: true } });
    expect((await patch(withGroup)).status).toBe(200);
    expect((await fixture.api.call('GET', '/admin/v1/me', as(withGroup))).body.organisations).toEqual([
      { id: fixture.api.organisationId, name: 'Test organisation', roles: { projects: { [projectId]: 'editor' } } },
    ]);

    // Out of the group at the identity provider: the next token no longer lets them in.
    const withoutGroup = (await fixture.signIn('kim@example.com', { groups: ['everyone'] })).idToken;
    expect((await patch(withoutGroup)).status).toBe(404);

    // The rule removed: even the old token stops working on its next request.
    expect((await fixture.api.call('DELETE', `${org}/group-rules/${rule.body.id}`)).status).toBe(204);
    expect((await patch(withGroup)).status).toBe(404);
  });

  it("reads Cognito's cognito:groups claim, and joins a group's roles with a membership's", async () => {
    await fixture.api.call('POST', `${org}/group-rules`, { body: { group: 'release-managers', roles: { environments: { [envId]: 'admin' } } } });
    expect((await invite('lee@example.com', { projects: { [projectId]: 'viewer' } })).status).toBe(201);
    const sub = String(decodeJwt((await fixture.signIn('lee@example.com')).idToken).sub);
    const cognitoToken = await fixture.forge({ sub, email: 'lee@example.com', email_verified: true, token_use: 'id', 'cognito:groups': ['release-managers'] });
    const me = await fixture.api.call('GET', '/admin/v1/me', as(cognitoToken));
    expect(me.body.organisations[0].roles).toEqual({ projects: { [projectId]: 'viewer' }, environments: { [envId]: 'admin' } });
    expect((await fixture.api.call('GET', `/admin/v1/environments/${envId}/webhooks`, as(cognitoToken))).status).toBe(200);
    expect((await fixture.api.call('POST', `/admin/v1/projects/${projectId}/features`, { ...as(cognitoToken), body: { name: 'nope' } })).status).toBe(403);
  });

  it('lists rules with their ids, replaces a rule by group, and validates its roles', async () => {
    const set = (roles: object) => fixture.api.call('POST', `${org}/group-rules`, { body: { group: 'viewers', roles } });
    expect((await set({ projects: { [projectId]: 'viewer' } })).body.version).toBe(1);
    expect((await set({ projects: { [projectId]: 'editor' } })).body.version).toBe(2);
    expect((await set({ projects: { prj_missing: 'editor' } })).status).toBe(422);
    const listed = (await fixture.api.call('GET', `${org}/group-rules`)).body.items;
    expect(listed.find((rule: { group: string }) => rule.group === 'viewers')).toMatchObject({ id: expect.stringMatching(/^grp_/), roles: { projects: { [projectId]: 'editor' } } });
  });
});
