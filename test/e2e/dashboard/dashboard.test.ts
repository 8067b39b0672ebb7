/**
 * The dashboard's user journeys, in Debian's Chromium (playwright-core), against the journeys'
 * shared `npm run dev` (journey.ts), in an organisation of its own: found by role and accessible
 * name, as people find things. Journeys in order (each builds on the last, as a working day
 * does). Every page state is checked once with axe-core (no serious or critical violation); any
 * Content-Security-Policy violation fails the run. The journey moves between pages as people do,
 * inside the running app (its links, or a history push: journey.navigate); it loads a document
 * (page.goto) only where a fresh load is the point or the page's data changed outside the browser
 * since this document fetched it (the app's query cache could show what it saw then).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFeatures } from '../../support/seed-identities.js';
import { startJourney, WAIT } from './journey.js';
import { stackTable } from './seeding.js';

const journey = startJourney('dashboard');
const { admin, config, env } = journey;
let page: Page;
const audited: string[] = [];

let receiver: Server;
let receiverUrl = '';
const received: string[] = [];

/** A flag as any Flagsmith SDK gets it through the edge: `GET /api/v1/flags/`. */
async function sdkFlag(name: string, environment = 'development') {
  const response = await fetch(`${config.apiUrl}/api/v1/flags/`, { headers: { 'x-environment-key': env(environment).clientKey } });
  const flags = (await response.json()) as { feature: { name: string }; enabled: boolean; feature_state_value: unknown }[];
  return flags.find((flag) => flag.feature.name === name);
}

const scopePath = journey.scopePath;

/** axe-core on the page as it is now (serious and critical violations fail). */
async function audit(name: string): Promise<void> {
  audited.push(name);
  await journey.audit(name);
}

/** Chooses a radio (segmented control) from the keyboard, as anyone can. */
async function pickRadio(name: string) {
  const radio = page.getByRole('radio', { name, exact: true });
  await radio.focus();
  await page.keyboard.press('Space');
  await expect.poll(() => radio.isChecked(), WAIT).toBe(true);
}

/** Flips a switch from the keyboard (Space), as anyone can. */
async function flip(toggle: ReturnType<Page['locator']>) {
  await toggle.focus();
  await page.keyboard.press('Space');
}

/** Signs in with an admin token on the sign-in form the page shows (after a sign-out, or at a page that needs a session). */
async function signIn(token: string) {
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('Admin token').waitFor({ state: 'detached' });
}

/** Signed in, `/` opens the first environment the caller sees (ids are random): then development, chosen in the header. */
async function atDevelopmentFlags() {
  await page.getByRole('heading', { level: 1, name: 'Flags' }).waitFor();
  const environment = page.getByRole('combobox', { name: 'Environment' });
  await environment.selectOption(env('development').id);
  await expect.poll(() => new URL(page.url()).pathname, WAIT).toBe(`${scopePath()}/flags`);
  await expect.poll(() => environment.inputValue(), WAIT).toBe(env('development').id);
}

/** Opens a page from the navigation, as people do, and waits for its heading. */
async function openFromNav(label: string, heading = label) {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
}

async function signOut() {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByLabel('Admin token').waitFor();
}

/** Picks an option of a select (a combobox) within `scope`, by label and option name. */
async function choose(scope: Page | ReturnType<Page['locator']>, label: string, option: string) {
  await scope.getByRole('combobox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

beforeAll(async () => {
  page = journey.page;
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      received.push(body);
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

afterAll(async () => {
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('the dashboard', () => {
  it('is served same-origin at / with a strict Content-Security-Policy, and deep links load', async () => {
    const root = await fetch(`${config.apiUrl}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toContain('text/html');
    const csp = root.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const page = await root.text();
    const deep = await fetch(`${config.apiUrl}${scopePath()}/flags/new_checkout`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(page);
    // Dots in identifiers and feature names do not make a page a file.
    const dotted = await fetch(`${config.apiUrl}${scopePath()}/identities/ana@acme.com`);
    expect(dotted.status).toBe(200);
    expect(await dotted.text()).toBe(page);
    // API paths never fall back to the page.
    const unknownApi = await fetch(`${config.apiUrl}/admin/v1/nowhere`);
    expect(unknownApi.status).toBe(404);
    expect(unknownApi.headers.get('content-type')).toContain('application/json');
  });

  it('signs in with an admin token kept in session storage only, and refuses a wrong one', async () => {
    await page.goto(`${config.apiUrl}${scopePath()}/flags`);
    await page.getByLabel('Admin token').waitFor();
    await audit('sign-in');
    await page.getByLabel('Admin token').fill('vxa_not_a_real_token');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByText('This token was not accepted').isVisible(), WAIT).toBe(true);
    await page.getByLabel('Admin token').fill(config.adminToken);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // Back where the deep link pointed.
    await page.getByRole('heading', { level: 1, name: 'Flags' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`${scopePath()}/flags`);
    const storage = await page.evaluate(() => ({ session: JSON.stringify(sessionStorage), local: JSON.stringify(localStorage) }));
    expect(storage.session).toContain(config.adminToken);
    expect(storage.local).not.toContain(config.adminToken);
    await audit('flags');
  });

  it('toggles a flag at once, and SDKs see it through /api/v1/flags/', async () => {
    const toggle = page.getByRole('switch', { name: 'new_checkout in development' });
    expect(await toggle.isChecked()).toBe(false);
    expect((await sdkFlag('new_checkout'))?.enabled).toBe(false);
    await flip(toggle);
    // Optimistic: checked before the server answers (TanStack Query renders the guess a task after
    // the key press, so it is waited for), and still checked once it has.
    await expect.poll(() => toggle.isChecked(), WAIT).toBe(true);
    await expect.poll(async () => (await sdkFlag('new_checkout'))?.enabled, WAIT).toBe(true);
    expect(await page.getByRole('switch', { name: 'new_checkout in production' }).isChecked()).toBe(false);
  });

  it("shows an environment the caller may only read as disabled switches, saying why, and writes nothing", async () => {
    const development = env('development');
    const production = env('production');
    const roles = { environments: { [development.id]: 'editor', [production.id]: 'viewer' } };
    const limited = await admin('POST', `/admin/v1/organisations/${config.organisationId}/tokens`, { name: 'Dev Editor', roles });
    expect(limited.status, JSON.stringify(limited.body)).toBe(201);
    // Another caller in the same tab, signed in without a reload (sign-out empties the app's cache).
    await signOut();
    await signIn(limited.body.token);
    await atDevelopmentFlags();
    const readOnly = page.getByRole('switch', { name: 'new_checkout in production' });
    await readOnly.waitFor();
    expect(await readOnly.isDisabled()).toBe(true);
    expect(await readOnly.evaluate((input) => document.getElementById(input.getAttribute('aria-describedby') ?? '')?.textContent)).toContain('read only');
    expect(await page.getByRole('switch', { name: 'new_checkout in development' }).isDisabled()).toBe(false);
    await audit('flags-read-only');
    expect((await sdkFlag('new_checkout', 'production'))?.enabled).toBe(false);
    await signOut();
    await signIn(config.adminToken);
    await atDevelopmentFlags();
    expect((await admin('DELETE', `/admin/v1/organisations/${config.organisationId}/tokens/${limited.body.id}`)).status).toBe(204);
  });

  it('filters flags by search text, state and tag, with the filters in the URL', async () => {
    await page.getByRole('searchbox', { name: 'Search flags' }).fill('welcome');
    await expect.poll(() => page.getByRole('link', { name: 'new_checkout' }).count(), WAIT).toBe(0);
    expect(await page.getByRole('link', { name: 'welcome_banner' }).count()).toBe(1);
    expect(page.url()).toContain('q=welcome');
    await page.getByRole('searchbox', { name: 'Search flags' }).fill('');
    await pickRadio('Disabled');
    await expect.poll(() => page.getByRole('link', { name: 'welcome_banner' }).count(), WAIT).toBe(0);
    await pickRadio('Has overrides');
    await expect.poll(() => page.getByRole('link', { name: 'welcome_banner' }).count(), WAIT).toBe(1);
    await pickRadio('All');
  });

  it('creates a flag, showing a 422 next to the field it names', async () => {
    await page.getByRole('button', { name: 'Create flag' }).click();
    const dialog = page.getByRole('dialog', { name: 'Create a flag' });
    await dialog.getByRole('textbox', { name: 'Name' }).fill('bad name!');
    await dialog.getByRole('button', { name: 'Create flag' }).click();
    // The API's own message, next to the Name field (aria-describedby ties them together).
    await expect.poll(async () => (await dialog.getByRole('textbox', { name: 'Name' }).getAttribute('aria-invalid')) === 'true', WAIT).toBe(true);
    expect(await dialog.getByText('starting with a letter or digit').isVisible()).toBe(true);
    await audit('create-flag-dialog');
    await dialog.getByRole('textbox', { name: 'Name' }).fill('dark_mode');
    await dialog.getByRole('button', { name: 'Create flag' }).click();
    await page.getByRole('heading', { level: 1, name: 'dark_mode' }).waitFor();
    expect((await admin('GET', `/admin/v1/projects/${config.projectId}/features/dark_mode`)).status).toBe(200);
  });

  it('edits a value: a validation error next to the field, then fixed and saved', async () => {
    await journey.navigate(`${scopePath()}/flags/theme`, 'theme');
    const value = page.getByRole('textbox', { name: 'Value', exact: true });
    await value.waitFor();
    await value.fill('{"primary": "#0f766e", "dark": tru');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await value.getAttribute('aria-invalid')) === 'true', WAIT).toBe(true);
    expect(await page.getByText(/Not valid JSON/).isVisible()).toBe(true);
    await audit('feature-validation-error');
    await value.fill('{"primary": "#0f766e", "dark": true}');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/Saved as version/).waitFor();
    // JSON values travel as strings in Flagsmith's format.
    await expect.poll(async () => JSON.parse(String((await sdkFlag('theme'))?.feature_state_value)), WAIT).toEqual({ primary: '#0f766e', dark: true });
    await audit('feature');
  });

  it('refuses multivariate weights over 100 with a live total', async () => {
    await journey.navigate(`${scopePath()}/flags/pricing_page`, 'pricing_page');
    const weight = page.getByRole('textbox', { name: 'Weight of annual_first' });
    await weight.waitFor();
    await weight.fill('80');
    await page.getByText('Weights add up to 110%').waitFor();
    expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    await weight.fill('40');
    await page.getByText('Total 70%').waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/Saved as version/).waitFor();
  });

  it('shows a change made meanwhile and asks before overwriting it', async () => {
    await journey.navigate(`${scopePath()}/flags/max_upload_mb`, 'max_upload_mb');
    const value = page.getByRole('textbox', { name: 'Value', exact: true });
    await value.waitFor();
    const current = (await admin('GET', `/admin/v1/environments/${env('development').id}/feature-states/max_upload_mb`)).body;
    // Someone else saves while this page is open.
    expect((await admin('PATCH', `/admin/v1/environments/${env('development').id}/feature-states/max_upload_mb`, { value: 25, version: current.version })).status).toBe(200);
    await value.fill('50');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'max_upload_mb changed in development meanwhile' });
    await dialog.waitFor();
    expect(await dialog.getByText('25').isVisible()).toBe(true);
    await audit('conflict-dialog');
    await dialog.getByRole('button', { name: 'Apply mine over theirs' }).click();
    await page.getByText(/Saved as version/).waitFor();
    await expect.poll(async () => (await sdkFlag('max_upload_mb'))?.feature_state_value, WAIT).toBe(50);
  });

  it("builds a segment and an override, and an identity's flag changes with its reason", async () => {
    await openFromNav('Segments');
    await audit('segments');
    await page.getByRole('link', { name: 'Create segment' }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('vip customers');
    const condition = page.getByRole('group', { name: 'Rule 1, condition 1' });
    await condition.getByRole('textbox', { name: 'Trait' }).fill('plan');
    await condition.getByRole('textbox', { name: 'Value', exact: true }).fill('vip');
    // Try it: these traits match, and the condition that decided is named.
    await page.getByRole('textbox', { name: 'Traits (JSON)' }).fill('{"plan": "vip"}');
    await page.getByText('Matches this segment').waitFor();
    await page.getByRole('textbox', { name: 'Traits (JSON)' }).fill('{"plan": "free"}');
    await page.getByText('Does not match this segment').waitFor();
    expect(await page.getByText('decided').count()).toBeGreaterThan(0);
    await audit('segment-new');
    // A nested ANY rule with a regex tested live.
    await page.getByRole('button', { name: 'Add nested rule to rule 1' }).click();
    const nested = page.getByRole('group', { name: 'Rule 1, nested rule 1, condition 1' });
    await nested.getByRole('textbox', { name: 'Trait' }).fill('email');
    await choose(nested, 'Operator', 'matches the regular expression');
    await nested.getByRole('textbox', { name: 'Value', exact: true }).fill('.*@acme\\.com$');
    await nested.getByRole('textbox', { name: 'Test the expression on' }).fill('ana@acme.com');
    await nested.getByText('matches', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Create segment' }).click();
    await page.getByRole('heading', { level: 1, name: 'vip customers' }).waitFor();
    await audit('segment');

    await journey.navigate(`${scopePath()}/identities/zoe`, 'zoe');
    const banner = page.getByRole('row', { name: /welcome_banner/ });
    await banner.getByText('default').waitFor();

    await journey.navigate(`${scopePath()}/flags/welcome_banner`, 'welcome_banner');
    const form = page.getByRole('form', { name: 'Add a segment override' });
    await form.waitFor();
    await choose(form, 'Segment', 'vip customers');
    await form.getByRole('textbox', { name: 'Override value' }).fill('Hello, VIP');
    await form.getByRole('button', { name: 'Add segment override' }).click();
    await page.getByRole('table', { name: 'Segment overrides, in priority order' }).getByRole('link', { name: 'vip customers' }).waitFor();

    // Loaded afresh: this document showed zoe's flags before the override existed.
    await page.goto(`${config.apiUrl}${scopePath()}/identities/zoe`);
    await page.getByRole('textbox', { name: 'Traits (JSON)' }).fill('{"plan": "vip", "email": "zoe@acme.com"}');
    await page.getByRole('button', { name: 'Save traits' }).click();
    const row = page.getByRole('row', { name: /welcome_banner/ });
    await row.getByRole('link', { name: 'vip customers' }).waitFor();
    expect(await row.getByText('Hello, VIP').isVisible()).toBe(true);
    await audit('identity');
    await openFromNav('Identities');
    await page.getByRole('link', { name: 'zoe' }).waitFor();
    await audit('identities');
  });

  it('opens a change request in a governed environment; a second token approves; it applies', async () => {
    const production = env('production');
    expect((await admin('PATCH', `/admin/v1/environments/${production.id}`, { requiredApprovals: 1 })).status).toBe(200);
    const reviewer = await admin('POST', `/admin/v1/organisations/${config.organisationId}/tokens`, { name: 'Rita Reviewer', roles: { projects: { [config.projectId]: 'editor' } } });
    // Loaded afresh: production's approval rule changed outside the browser.
    await page.goto(`${config.apiUrl}${scopePath()}/flags`);
    const toggle = page.getByRole('switch', { name: 'new_checkout in production' });
    await toggle.waitFor();
    // The switch says it needs approval, and opens a change request instead of writing.
    expect(await toggle.getAttribute('aria-describedby')).toBeTruthy();
    await flip(toggle);
    const dialog = page.getByRole('dialog', { name: 'Open a change request' });
    await dialog.getByText('production requires 1 approval').waitFor();
    await audit('propose-dialog');
    await dialog.getByRole('button', { name: 'Open change request' }).click();
    await dialog.getByRole('link', { name: /Open “Turn new_checkout on in production”/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Turn new_checkout on in production' }).waitFor();
    expect(await page.getByRole('switch', { name: 'new_checkout in production' }).count()).toBe(0);
    expect((await sdkFlag('new_checkout', 'production'))?.enabled).toBe(false);
    await audit('change-request');
    const crUrl = page.url();
    // Its author cannot approve it.
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('alert').filter({ hasText: /approve/i }).first().waitFor();

    await signOut();
    await signIn(reviewer.body.token);
    await page.getByRole('heading', { level: 1, name: 'Flags' }).waitFor();
    await journey.navigate(new URL(crUrl).pathname, 'Turn new_checkout on in production');
    await page.getByRole('textbox', { name: 'Comment' }).fill('Looks right to me.');
    await page.getByRole('button', { name: 'Add comment' }).click();
    // Saved once the field is cleared (until then the text also matches the field's own content,
    // and approving would name the version before the comment).
    await expect.poll(() => page.getByRole('textbox', { name: 'Comment' }).inputValue(), WAIT).toBe('');
    await page.getByText('Looks right to me.').waitFor();
    await page.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('Approved.').waitFor();
    // Revoked meanwhile: the next request answers 401 and the dashboard returns to sign-in.
    expect((await admin('DELETE', `/admin/v1/organisations/${config.organisationId}/tokens/${reviewer.body.id}`)).status).toBe(204);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Change requests' }).click();
    await page.getByLabel('Admin token').waitFor();

    // The next caller signs in in the same tab: nothing of the reviewer's session shows (a sign-out
    // by a 401 empties the app's query cache, as the Sign out button does).
    await signIn(config.adminToken);
    const account = page.getByRole('button', { name: /^Account: / });
    await account.waitFor();
    expect(await account.getAttribute('aria-label')).not.toBe('Account: Token: Rita Reviewer');
    await journey.navigate(new URL(crUrl).pathname, 'Turn new_checkout on in production');
    await page.getByText(/1 of 1 approval/).waitFor();
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    await page.getByText('Applied: the changes are live.').waitFor();
    await expect.poll(async () => (await sdkFlag('new_checkout', 'production'))?.enabled, WAIT).toBe(true);
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Change requests' }).click();
    await pickRadio('Applied');
    await page.getByRole('link', { name: 'Turn new_checkout on in production' }).waitFor();
    await audit('change-requests');
  });

  it('rolls back: restoring a version makes the old value live again', async () => {
    // Someone ships a bad value on top of version 1.
    const bad = await admin('PATCH', `/admin/v1/environments/${env('development').id}/feature-states/theme`, { value: { primary: '#ff0000', dark: false } });
    expect(bad.status).toBe(200);
    // In the app: this document (loaded for the change request above) never fetched theme.
    await journey.navigate(`${scopePath()}/flags/theme`, 'theme');
    const versions = page.getByRole('table', { name: 'Versions, newest first' });
    await versions.waitFor();
    // The diff of the two latest versions names what changed.
    const diff = await page.getByRole('figure', { name: /Changes from version 1 to version 2/ }).textContent();
    expect(diff).toContain('#0f766e');
    expect(diff).toContain('#ff0000');
    await audit('feature-versions');
    await versions.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByText('Restored: now version 3.').waitFor();
    await expect.poll(async () => JSON.parse(String((await sdkFlag('theme'))?.feature_state_value)), WAIT).toEqual({ primary: '#0f766e', dark: true });
  });

  it('creates a webhook (secret shown once), sees its delivery, and redelivers it', async () => {
    await openFromNav('Webhooks');
    await page.getByRole('textbox', { name: 'URL' }).fill(receiverUrl);
    await page.getByRole('checkbox', { name: 'feature-state.changed' }).check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const secret = page.getByLabel(`Signing secret of ${receiverUrl}`, { exact: true });
    await secret.waitFor();
    expect(await secret.textContent()).toMatch(/^whsec_/);
    await audit('webhooks');
    await page.getByRole('link', { name: receiverUrl }).click();
    await page.getByRole('heading', { level: 1, name: receiverUrl }).waitFor();
    // No secret on the webhook's own page: it was shown once.
    expect(await page.getByText(/^whsec_[A-Za-z0-9]{10,}/).count()).toBe(0);
    const before = received.length;
    await admin('PATCH', `/admin/v1/environments/${env('development').id}/feature-states/welcome_banner`, { enabled: false });
    const deliveries = page.getByRole('table', { name: 'Deliveries, newest first' });
    await deliveries.getByText('delivered').waitFor();
    expect(received.length).toBeGreaterThan(before);
    await audit('webhook');
    await deliveries.getByRole('button', { name: /^Redeliver/ }).first().click();
    await expect.poll(() => received.length, WAIT).toBeGreaterThan(before + 1);
  });

  it('rotates the client key after a confirmation, showing the new key once', async () => {
    await openFromNav('Environment keys');
    await page.getByRole('button', { name: 'Rotate client key' }).click();
    const dialog = page.getByRole('dialog', { name: /Rotate the client key of development/ });
    await audit('keys-confirm');
    await dialog.getByRole('button', { name: 'Rotate client key now' }).click();
    const key = page.getByLabel('New client key', { exact: true });
    await key.waitFor();
    const newKey = (await key.textContent()) ?? '';
    const flags = await fetch(`${config.apiUrl}/api/v1/flags/`, { headers: { 'x-environment-key': newKey } });
    expect(flags.status).toBe(200);
    await audit('keys');
  });

  it('jumps anywhere with the command palette (Ctrl-K)', async () => {
    await openFromNav('Flags');
    await page.keyboard.press('Control+k');
    const search = page.getByRole('textbox', { name: 'Jump to a flag, segment, page or identity' });
    await search.fill('pricing');
    await page.getByRole('button', { name: /^pricing_page/ }).click();
    await page.getByRole('heading', { level: 1, name: 'pricing_page' }).waitFor();
  });

  it('every other page passes axe', async () => {
    // Reached from the navigation, as people move between pages (one document: axe loads once).
    const nav = page.getByRole('navigation', { name: 'Pages' });
    for (const [path, heading, name] of [
      ['/scheduled-changes', 'Scheduled changes', 'scheduled-changes'],
      ['/rollouts', 'Rollouts', 'rollouts'],
      ['/audit', 'Audit log', 'audit'],
      ['/stale-flags', 'Stale flags', 'stale-flags'],
      ['/analytics', 'Analytics', 'analytics'],
      ['/members', 'Members', 'members-page'],
    ] as const) {
      await nav.getByRole('link', { name: heading, exact: true }).click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      expect(new URL(page.url()).pathname).toBe(`${scopePath()}${path}`);
      if (name === 'audit') {
        // The before / after diff of the latest change, opened.
        await page.getByRole('button', { name: 'Show before / after' }).first().click();
        await page.getByLabel(/Before and after of/).waitFor();
      }
      if (name === 'analytics') await page.getByText(/No evaluations reported|Evaluations per day/).first().waitFor();
      if (name === 'members-page') await page.getByRole('cell', { name: config.person.email }).first().waitFor();
      // The same states as rollouts.test.ts's `rollouts-empty` and members.test.ts's `members`
      // (audited there): reached here, not audited twice.
      if (name === 'rollouts' || name === 'members-page') continue;
      await audit(name);
    }
    expect(audited.length).toBeGreaterThanOrEqual(20);
  });

  it('keeps a long list light: only rows near the window are drawn, and every flag is reachable by scrolling and by keyboard', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `long_list_${String(i).padStart(3, '0')}`);
    // Written to the table as a feature creation stores them (the POST is the flag creation
    // test's, above): this test is about a page with 200 more flags, not about 200 POSTs.
    const { deps, project } = await stackTable(config.projectId);
    expect(await seedFeatures(deps, project, names)).toHaveLength(names.length);
    const environments = (await admin<{ items: unknown[] }>('GET', `/admin/v1/projects/${config.projectId}/environments`)).body.items.length;
    const total = (await admin<{ items: unknown[] }>('GET', `/admin/v1/projects/${config.projectId}/features?limit=1000`)).body.items.length;
    // Loaded afresh: the 200 flags were written outside the browser (and a first load of a long list is the point).
    await page.goto(`${config.apiUrl}${scopePath()}/flags`);
    await page.getByRole('switch', { name: 'long_list_000 in development' }).waitFor();
    await page.getByText(`${total} of ${total} flags`).waitFor();
    const table = page.getByRole('table', { name: 'Flags' });
    // Assistive technology is told the whole table's size; the page holds only a window of it.
    expect(await table.getAttribute('aria-rowcount')).toBe(String(total + 1));
    expect(await table.getByRole('switch').count()).toBeLessThan((total * environments) / 4);
    await audit('flags-long-list');

    // By keyboard: Tab from a flag's link through its switches to the next flag's link, well past
    // the rows first drawn.
    await page.getByRole('link', { name: 'long_list_000', exact: true }).focus();
    for (const next of names.slice(1, 41)) {
      for (let stop = 0; stop <= environments; stop++) await page.keyboard.press('Tab');
      expect(await page.evaluate(() => `${document.activeElement?.tagName} ${document.activeElement?.textContent}`)).toBe(`A ${next}`);
    }

    // By scrolling: the end of the list is drawn, its start no longer is, and its switches work.
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    const lastToggle = page.getByRole('switch', { name: 'welcome_banner in development' });
    await lastToggle.waitFor();
    await expect.poll(() => page.getByRole('link', { name: 'long_list_000', exact: true }).count(), WAIT).toBe(0);
    const toggle = page.getByRole('switch', { name: 'long_list_199 in development' });
    await flip(toggle);
    await expect.poll(() => toggle.isChecked(), WAIT).toBe(true);
    // (The client key was rotated above: read it back through the management API.)
    await expect.poll(async () => (await admin('GET', `/admin/v1/environments/${env('development').id}/feature-states/long_list_199`)).body?.enabled, WAIT).toBe(true);
  });

  it('raised no Content-Security-Policy violation and no uncaught error on any page', () => {
    expect(journey.cspViolations).toEqual([]);
    expect(journey.pageErrors).toEqual([]);
  });
});
