/**
 * The people operations' response schemas (functions/http/people-responses.ts) against real
 * answers, for an admin token and for a person signed in at the in-process OpenID provider: each
 * success body must parse with its operation's schema to exactly itself (zod drops unknown keys,
 * so an undeclared field shows up as a difference). The dashboard's Members page is typed by them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peopleResponses } from '../../functions/http/people-responses.js';
import { type SignInFixture, startSignInFixture } from '../support/sign-in.js';

let fixture: SignInFixture;
const checked = new Set<string>();

beforeAll(async () => {
  fixture = await startSignInFixture();
});
afterAll(() => fixture?.close());

async function call(operation: string, method: string, path: string, options: { body?: unknown; token?: string } = {}) {
  const reply = await fixture.api.call(method, path, options);
  expect(reply.status, `${method} ${path}: ${JSON.stringify(reply.body)}`).toBeLessThan(300);
  const parsed = (peopleResponses[operation] as (typeof peopleResponses)[string]).safeParse(reply.body);
  expect(parsed.error?.issues, `${operation} answered outside its schema`).toBeUndefined();
  expect(parsed.data, `${operation} answered fields its schema does not declare`).toEqual(reply.body);
  checked.add(operation);
  return reply.body;
}

describe('people response schemas', () => {
  it("describe what every people operation answers, to a token and to a person", async () => {
    const org = `/admin/v1/organisations/${fixture.api.organisationId}`;
    const projectId = (await fixture.api.call('POST', `${org}/projects`, { body: { name: 'People' } })).body.id;
    const envId = (await fixture.api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } })).body.environment.id;

    expect(await call('getMe', 'GET', '/admin/v1/me')).toMatchObject({ type: 'token', organisations: [{ id: fixture.api.organisationId }] });
    const invitation = await call('createInvitation', 'POST', `${org}/invitations`, { body: { email: 'Ana@Example.com', roles: { environments: { [envId]: 'editor' } } } });
    expect(invitation).toMatchObject({ email: 'ana@example.com', environmentProjects: { [envId]: projectId } });
    await call('createInvitation', 'POST', `${org}/invitations`, { body: { email: 'bo@example.com', roles: { organisation: 'admin' } } });
    expect((await call('listInvitations', 'GET', `${org}/invitations`)).items).toHaveLength(2);
    await call('putGroupRule', 'POST', `${org}/group-rules`, { body: { group: 'flag-readers', roles: { projects: { [projectId]: 'viewer' } } } });
    expect((await call('listGroupRules', 'GET', `${org}/group-rules`)).items).toEqual([expect.objectContaining({ group: 'flag-readers', id: expect.stringMatching(/^grp_/) })]);

    // Ana signs in: her invitation is accepted, she is a member invited by the token.
    const ana = (await fixture.signIn('ana@example.com', { groups: ['flag-readers'] })).idToken;
    expect(await call('getMe', 'GET', '/admin/v1/me', { token: ana })).toMatchObject({ type: 'user', email: 'ana@example.com', groups: ['flag-readers'], organisations: [{ id: fixture.api.organisationId }] });
    const members = (await call('listMembers', 'GET', `${org}/members?limit=10`)).items;
    expect(members).toEqual([expect.objectContaining({ email: 'ana@example.com', invitedBy: expect.objectContaining({ name: expect.any(String) }) })]);
    await call('updateMember', 'PATCH', `${org}/members/${members[0].userId}`, { body: { roles: { projects: { [projectId]: 'editor' } }, version: members[0].version } });
    // Someone invited nowhere: the answer says why, in `hint`.
    const stranger = (await fixture.signIn('cy@example.com')).idToken;
    expect(await call('getMe', 'GET', '/admin/v1/me', { token: stranger })).toMatchObject({ type: 'user', organisations: [], hint: expect.stringContaining('No organisation has invited') });

    expect([...checked].sort()).toEqual(Object.keys(peopleResponses).sort());
    const doc = (await fixture.api.call('GET', '/admin/v1/openapi.json', { token: undefined })).body;
    expect(doc.paths['/admin/v1/organisations/{orgId}/members'].get.responses['200'].content['application/json'].schema.properties.items.items).toEqual({ $ref: '#/components/schemas/Member' });
    expect(doc.components.schemas.Invitation.required).toContain('expires');
  });
});
