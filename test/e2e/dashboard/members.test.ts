/**
 * The Members page, in Debian's Chromium (playwright-core), against the journeys' shared
 * `npm run dev` (journey.ts), in its demo organisation: an organisation admin invites and revokes,
 * sets and removes a directory-group rule, changes the demo person's roles and removes them, and the API (with the person's own token, from
 * the stack's OpenID provider) agrees at each step. Found by role and accessible name; axe-core on
 * each state (no serious or critical violation), screenshots in test-results/dashboard/.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { signInWithCode } from '../../support/oidc-flow.js';
import { startJourney, WAIT } from './journey.js';

// The stack's demo organisation: its demo person (demo@example.com, Demo Admin, whom the local
// provider knows by name) is the one whose roles change and who is removed. No other journey
// uses that person; tenant-settings.test.ts, in the same organisation, touches no people.
const journey = startJourney('members', { organisation: 'demo' });
const { audit, config } = journey;
let page: Page;
let projectName = '';
let demoToken = '';

const call = journey.admin;

const org = () => `/admin/v1/organisations/${config.organisationId}`;
const envId = (name: string) => journey.env(name).id;
const membersPath = () => `${journey.scopePath()}/members`;

const rowOf = (table: string, text: string) => page.getByRole('table', { name: table }).getByRole('row').filter({ hasText: text });

beforeAll(async () => {
  page = journey.page;
  projectName = (await call<{ name: string }>('GET', `/admin/v1/projects/${config.projectId}`)).body.name;
});

describe('the Members page', () => {
  it('is in the navigation and deep-linkable, and lists the demo person with their roles', async () => {
    await page.goto(`${config.apiUrl}${membersPath()}`);
    await page.getByLabel('Admin token').fill(config.adminToken);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // Back where the deep link pointed.
    await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(membersPath());
    const nav = page.getByRole('navigation', { name: 'Pages' });
    await nav.getByRole('link', { name: 'Flags', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Flags' }).waitFor();
    await nav.getByRole('link', { name: 'Members', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
    const demo = rowOf('Members', 'demo@example.com');
    await demo.getByRole('cell', { name: 'Demo Admin', exact: true }).waitFor();
    expect(await demo.getByRole('cell', { name: 'Organisation admin', exact: true }).count()).toBe(1);
    await page.getByText('No pending invitations.').waitFor();
    await audit('members');
  });

  it('invites an email with a role (a 422 next to the field it names), shows it pending, and revokes it', async () => {
    const form = page.getByRole('form', { name: 'Invite someone' });
    await form.getByRole('textbox', { name: 'Email' }).fill('not an address');
    await form.getByRole('combobox', { name: `Environment ${projectName} / production` }).selectOption({ label: 'Viewer' });
    await form.getByRole('button', { name: 'Invite' }).click();
    await expect.poll(() => form.getByRole('textbox', { name: 'Email' }).getAttribute('aria-invalid'), WAIT).toBe('true');
    // The API's own message for `email`, tied to the field (aria-describedby), not in a general alert.
    const answer = await call<{ details: { path: string; message: string }[] }>('POST', `${org()}/invitations`, { email: 'not an address', roles: { organisation: 'admin' } });
    expect(answer.status).toBe(422);
    const message = answer.body.details.find((detail) => detail.path === 'email')?.message ?? '';
    expect(message).not.toBe('');
    const description = await form.getByRole('textbox', { name: 'Email' }).evaluate((input) =>
      (input.getAttribute('aria-describedby') ?? '').split(' ').map((id) => document.getElementById(id)?.textContent ?? '').join(' '),
    );
    expect(description).toContain(message);
    await audit('members-invite-422');

    await form.getByRole('textbox', { name: 'Email' }).fill('New.Hire@example.com');
    await form.getByRole('button', { name: 'Invite' }).click();
    const pending = rowOf('Pending invitations', 'new.hire@example.com');
    await pending.getByRole('cell', { name: `Viewer of environment ${projectName} / production` }).waitFor();
    expect(await pending.locator('time').count()).toBe(1);
    const listed = await call<{ items: { email: string; roles: unknown; expires: string }[] }>('GET', `${org()}/invitations`);
    expect(listed.body.items).toEqual([expect.objectContaining({ email: 'new.hire@example.com', roles: { environments: { [envId('production')]: 'viewer' } } })]);
    expect(Date.parse(listed.body.items[0]?.expires ?? '') - Date.now()).toBeGreaterThan(6 * 86_400_000); // 7 days by default
    await audit('members-invitation-pending');

    await pending.getByRole('button', { name: 'Revoke the invitation of new.hire@example.com' }).click();
    await page.getByRole('dialog', { name: 'Revoke the invitation of new.hire@example.com?' }).getByRole('button', { name: 'Revoke invitation' }).click();
    await page.getByText('No pending invitations.').waitFor();
    expect((await call('GET', `${org()}/invitations`)).body.items).toEqual([]);
  });

  it('sets a directory-group rule and removes it', async () => {
    const form = page.getByRole('form', { name: 'Set a group rule' });
    await form.getByRole('textbox', { name: 'Group' }).fill('engineering');
    await form.getByRole('button', { name: 'Save group rule' }).click();
    // No role chosen: the API's message next to the roles.
    await form.getByRole('alert').filter({ hasText: 'Roles:' }).waitFor();
    await form.getByRole('combobox', { name: `Project ${projectName}` }).selectOption({ label: 'Editor' });
    await form.getByRole('button', { name: 'Save group rule' }).click();
    const rule = rowOf('Group rules', 'engineering');
    await rule.getByRole('cell', { name: `Editor of project ${projectName}` }).waitFor();
    const rules = await call<{ items: { id: string; group: string; roles: unknown }[] }>('GET', `${org()}/group-rules`);
    expect(rules.body.items).toEqual([expect.objectContaining({ group: 'engineering', roles: { projects: { [config.projectId]: 'editor' } } })]);
    await audit('members-group-rule');

    await rule.getByRole('button', { name: 'Remove the rule for group engineering' }).click();
    await page.getByRole('dialog', { name: 'Remove the rule for group engineering?' }).getByRole('button', { name: 'Remove rule' }).click();
    await page.getByText('No group rules.').waitFor();
    expect((await call('GET', `${org()}/group-rules`)).body.items).toEqual([]);
  });

  it("changes the demo person's roles: the API applies them on their next request, and the page refuses them plainly", async () => {
    const signIn = config.signIn;
    if (!signIn) throw new Error('the local stack has no OpenID provider');
    demoToken = (await signInWithCode({ issuer: signIn.issuer, clientId: signIn.clientId, redirectUri: `${config.apiUrl}/auth/callback`, email: signIn.demoEmail })).idToken;
    expect((await call('GET', `${org()}/members`, undefined, demoToken)).status).toBe(200);

    await rowOf('Members', 'demo@example.com').getByRole('button', { name: 'Change roles of Demo Admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Roles of Demo Admin' });
    const roles = dialog.getByRole('group', { name: 'Roles of Demo Admin' });
    await roles.getByRole('checkbox', { name: /Organisation admin/ }).uncheck();
    await roles.getByRole('combobox', { name: `Project ${projectName}` }).selectOption({ label: 'Viewer' });
    await audit('members-change-roles');
    await dialog.getByRole('button', { name: 'Save roles of Demo Admin' }).click();
    await rowOf('Members', 'demo@example.com').getByRole('cell', { name: `Viewer of project ${projectName}`, exact: true }).waitFor();

    const member = (await call<{ items: { email: string; roles: unknown }[] }>('GET', `${org()}/members`)).body.items.find((item) => item.email === 'demo@example.com');
    expect(member?.roles).toEqual({ projects: { [config.projectId]: 'viewer' } });
    // The same token, its next request: a viewer reads flags but no longer manages people.
    expect((await call('GET', `/admin/v1/projects/${config.projectId}/features`, undefined, demoToken)).status).toBe(200);
    const refused = await call<{ message: string }>('GET', `${org()}/members`, undefined, demoToken);
    expect(refused.status).toBe(403);

    // The person on the Members page sees the API's answer, as it said it.
    const theirs = await journey.newContext();
    try {
      const their = await theirs.newPage();
      // Signed in as people sign in: the deep link, the provider's own page, and back.
      await their.goto(`${config.apiUrl}${membersPath()}`);
      await their.getByRole('button', { name: 'Sign in with the local identity provider' }).click();
      await their.getByRole('heading', { name: 'Sign in to Vexilla (local)' }).waitFor();
      await their.getByLabel('Email').fill(signIn.demoEmail);
      await their.getByRole('button', { name: 'Sign in' }).click();
      await their.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
      await their.getByRole('alert').getByText(refused.body.message).waitFor();
      expect(await their.getByRole('alert').count()).toBe(1);
      expect(await their.getByRole('table', { name: 'Members' }).count()).toBe(0);
      await audit('members-refused', their);
    } finally {
      await theirs.close();
    }
  });

  it('removes the demo person behind a confirmation, and refuses their next request', async () => {
    await rowOf('Members', 'demo@example.com').getByRole('button', { name: 'Remove Demo Admin' }).click();
    const confirm = page.getByRole('dialog', { name: 'Remove Demo Admin from the organisation?' });
    await audit('members-remove-confirm');
    await confirm.getByRole('button', { name: 'Remove Demo Admin' }).click();
    await expect.poll(() => rowOf('Members', 'demo@example.com').count(), WAIT).toBe(0);
    expect((await call<{ items: { email: string }[] }>('GET', `${org()}/members`)).body.items.map((item) => item.email)).not.toContain('demo@example.com');
    // The same, still unexpired, token: refused from this request on (the organisation's resources
    // answer 404 to whoever is not in it), and it belongs to no organisation any more.
    expect((await call('GET', `/admin/v1/projects/${config.projectId}/features`, undefined, demoToken)).status).toBe(404);
    expect((await call('GET', '/admin/v1/me', undefined, demoToken)).body.organisations).toEqual([]);
  });

  it('raised no Content-Security-Policy violation and no uncaught error', () => {
    expect(journey.cspViolations).toEqual([]);
    expect(journey.pageErrors).toEqual([]);
  });
});
