/**
 * A person signs in to the dashboard with OpenID Connect, in Debian's Chromium, against the
 * journeys' shared `npm run dev` (journey.ts) and its in-process OpenID provider
 * (oidc-provider): authorization code + PKCE from the browser, the provider's own sign-in page, back to the dashboard signed in, a change
 * the audit log names them for, renewal, removal, sign-out at the provider; and a forged callback
 * refused. Any Content-Security-Policy violation fails the run: the policy must allow the
 * provider's endpoints the dashboard fetches from.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { startJourney, WAIT } from './journey.js';

// An organisation of its own, whose admin is a person of its own: the local provider signs in any
// address, naming the person by it. They are a member of this organisation only.
const journey = startJourney('sign-in');
const { admin, config } = journey;
const { person } = config;
let page: Page;
beforeAll(() => {
  page = journey.page;
});

const flagsPath = () => `${journey.scopePath()}/flags`;
const issuer = () => config.signIn.issuer;

/** What this tab keeps: sessionStorage's session, and everything in localStorage. */
const storage = () =>
  page.evaluate(() => ({ session: sessionStorage.getItem('vexilla.session'), local: localStorage.length, localText: JSON.stringify(localStorage) })) as Promise<{ session: string | null; local: number; localText: string }>;
const session = async () => JSON.parse((await storage()).session ?? 'null') as { kind: string; idToken: string; refreshToken?: string; expiresAt: number } | null;

/** From the dashboard's sign-in page to the provider's sign-in page, and through it as `email`. */
async function signInAtProvider(email: string) {
  await page.getByRole('button', { name: 'Sign in with the local identity provider' }).click();
  await page.waitForURL((url) => url.origin === issuer(), WAIT);
  await page.getByRole('heading', { name: 'Sign in to Vexilla (local)' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

describe('signing in to the dashboard with the identity provider', () => {
  it("allows fetches to the provider's origin in the dashboard's CSP, and nowhere else", async () => {
    const csp = (await fetch(`${config.apiUrl}/`)).headers.get('content-security-policy') ?? '';
    const connect = csp.split('; ').find((directive) => directive.startsWith('connect-src '));
    expect(connect).toBe(`connect-src 'self' ${new URL(issuer()).origin}`);
  });

  it('signs a person in through the provider (code + PKCE) and shows who is signed in', async () => {
    await page.goto(`${config.apiUrl}${flagsPath()}`);
    // Both ways in: the provider for people, the admin token for machine users.
    await page.getByLabel('Admin token').waitFor();
    await signInAtProvider(person.email);
    // Back in the dashboard, where the deep link pointed, signed in.
    await page.getByRole('heading', { level: 1, name: 'Flags' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(flagsPath());
    await page.getByRole('button', { name: `Account: ${person.name}` }).click();
    const menu = page.getByRole('menu');
    await menu.getByText(person.email).waitFor();
    expect(await menu.getByRole('menuitem').allTextContents()).toEqual(['Demo organisation (current)']);
    await page.keyboard.press('Escape');
  });

  it('keeps the ID token in sessionStorage only, with nothing in localStorage', async () => {
    const kept = await storage();
    const current = await session();
    expect(current).toMatchObject({ kind: 'person', idToken: expect.stringMatching(/^ey[\w-]+\.[\w-]+\.[\w-]+$/) });
    expect(kept.local).toBe(0);
    expect(kept.localText).not.toContain(current?.idToken.slice(0, 40));
  });

  it('toggles a flag as the person, and the audit record names them (subject and email)', async () => {
    const toggle = page.getByRole('switch', { name: 'new_checkout in development' });
    const before = await toggle.isChecked();
    await toggle.focus();
    await page.keyboard.press('Space');
    await expect.poll(async () => (await admin('GET', `/admin/v1/organisations/${config.organisationId}/audit?actor=${encodeURIComponent(person.email)}`)).body.items.length, WAIT).toBeGreaterThan(0);
    const { body } = await admin('GET', `/admin/v1/organisations/${config.organisationId}/audit?actor=${encodeURIComponent(person.email)}`);
    const me = (await fetch(`${config.apiUrl}/admin/v1/me`, { headers: { authorization: `Bearer ${(await session())?.idToken}` } }).then((response) => response.json())) as { subject: string };
    expect(body.items[0]).toMatchObject({ detailType: 'feature-state.changed', actor: { type: 'user', subject: me.subject, email: person.email } });
    expect(await toggle.isChecked()).toBe(!before);
  });

  it('renews the ID token with the refresh token when it is about to expire', async () => {
    const first = await session();
    // As if the hour had passed: the next request renews it first.
    await page.evaluate(() => {
      const kept = JSON.parse(sessionStorage.getItem('vexilla.session') as string);
      sessionStorage.setItem('vexilla.session', JSON.stringify({ ...kept, expiresAt: Date.now() }));
    });
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Flags' }).waitFor();
    await expect.poll(async () => (await session())?.idToken !== first?.idToken && ((await session())?.expiresAt ?? 0) > Date.now(), WAIT).toBe(true);
    await page.getByRole('button', { name: `Account: ${person.name}` }).waitFor();
  });

  it('tells a person removed from the organisation so, on their next request', async () => {
    const me = (await fetch(`${config.apiUrl}/admin/v1/me`, { headers: { authorization: `Bearer ${(await session())?.idToken}` } }).then((response) => response.json())) as { id: string };
    expect((await admin('DELETE', `/admin/v1/organisations/${config.organisationId}/members/${me.id}`)).status).toBe(204);
    await page.getByRole('link', { name: 'Segments' }).click();
    await page.getByRole('heading', { level: 1, name: 'You are no longer a member of this organisation' }).waitFor();
    // Back in, for what follows (the admin token invites them again; they accept on their next visit).
    const invited = await admin('POST', `/admin/v1/organisations/${config.organisationId}/invitations`, { email: person.email, roles: { organisation: 'admin' } });
    expect(invited.status).toBe(201);
  });

  it("signs out here and at the provider (its end-session page), back to the dashboard's sign-in", async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL((url) => url.origin === issuer(), WAIT);
    await page.getByRole('button', { name: 'Yes, sign me out' }).click();
    await page.waitForURL((url) => url.origin === config.apiUrl, WAIT);
    await page.getByLabel('Admin token').waitFor();
    expect((await storage()).session).toBeNull();
    // The provider's session ended too: signing in asks for the person again.
    await signInAtProvider(person.email);
    await page.getByRole('heading', { level: 1, name: 'Flags' }).waitFor();
  });

  it('returns to sign-in, saying why, when the sign-in can no longer be renewed', async () => {
    await page.evaluate(() => {
      const kept = JSON.parse(sessionStorage.getItem('vexilla.session') as string);
      sessionStorage.setItem('vexilla.session', JSON.stringify({ ...kept, expiresAt: Date.now(), refreshToken: 'revoked-or-unknown' }));
    });
    // In the open tab (a reload renews above): its next request finds the session expired.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Segments', exact: true }).click();
    await page.getByText('Your sign-in has expired and could not be renewed: sign in again.').waitFor();
    expect((await storage()).session).toBeNull();
  });

  it('refuses a callback whose state was tampered with, with a clear message, and keeps nothing', async () => {
    // The callback is reached by the provider's redirect, which routes cannot stop: the test notes
    // its URL and withholds the dashboard's scripts, so the page cannot complete it.
    let callback = '';
    page.on('request', (request) => {
      if (request.isNavigationRequest() && new URL(request.url()).pathname === '/auth/callback' && !callback) callback = request.url();
    });
    // The sign-in page's own scripts are loaded already; routing also turns the HTTP cache off.
    await page.route(`${config.apiUrl}/assets/**`, (route) => route.abort());
    // The provider still knows the person (only the dashboard's session ended), so it may send the
    // browser straight back; when it asks, they sign in.
    await page.getByRole('button', { name: 'Sign in with the local identity provider' }).click();
    const providerPage = page.getByRole('heading', { name: 'Sign in to Vexilla (local)' });
    await expect.poll(async () => callback !== '' || (await providerPage.isVisible()), WAIT).toBe(true);
    if (!callback) {
      await page.getByLabel('Email').fill(person.email);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await expect.poll(() => callback, WAIT).not.toBe('');
    await page.waitForURL((url) => url.pathname === '/auth/callback', WAIT);
    await page.unroute(`${config.apiUrl}/assets/**`);
    const forged = new URL(callback);
    expect(forged.searchParams.get('state')).toBeTruthy();
    forged.searchParams.set('state', 'forged-state-value');
    await page.goto(forged.href);
    await page.getByRole('heading', { name: 'Sign-in refused' }).waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('does not belong to the sign-in this tab started (its state does not match)');
    expect((await storage()).session).toBeNull();
    // Nor can the genuine callback be replayed now: the sign-in it belonged to is used up.
    await page.goto(callback);
    await page.getByText('This tab has no sign-in in progress').waitFor();
    expect((await storage()).session).toBeNull();
  });

  it('raised no Content-Security-Policy violation and no uncaught error', () => {
    expect(journey.cspViolations).toEqual([]);
    expect(journey.pageErrors).toEqual([]);
  });
});
