/**
 * `<vexilla-tenant-settings>` in Debian's Chromium (playwright-core), on the local stack's demo
 * page (`/demo/tenant-settings`, a strict CSP, a tenant token minted by the page's server), against
 * the journeys' shared `npm run dev` (journey.ts), in its demo organisation: a tenant admin sees
 * their configurable features, gets the API's 422 at the field (announced, tied by aria-describedby), saves a value the management API
 * then shows as the tenant's override, resets it, and another tenant's page never shows it.
 * Embedded in a page on another origin (the customer's product, with its own CSP and key), it loads
 * from the stack's `/elements/` and saves through `/tenant/v1` with CORS.
 * Found by role and accessible name (through the element's shadow root); axe-core on each state.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ELEMENT_PATH } from '../../../functions/local/tenant-demo.js';
import { startJourney, WAIT } from './journey.js';

const LABEL = 'Maximum upload size (MB)';

// The stack's demo organisation: the demo page is bound to its development environment.
// members.test.ts, in the same organisation, touches no tenant, feature or key.
const journey = startJourney('tenant-settings', { organisation: 'demo', viewport: { width: 1100, height: 900 } });
const { admin, audit, config } = journey;
let page: Page;

const envId = () => journey.env('development').id;

const describedBy = (locator: ReturnType<Page['getByRole']>) =>
  locator.evaluate((input) => {
    const root = input.getRootNode() as ShadowRoot;
    return (input.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .map((id) => root.getElementById(id)?.textContent ?? '')
      .join(' ');
  });

beforeAll(() => {
  page = journey.page;
});

describe('<vexilla-tenant-settings> on the demo page', () => {
  it("shows the tenant's configurable features, each with a labelled control and where its value comes from", async () => {
    await page.goto(`${config.apiUrl}/demo/tenant-settings`);
    await page.getByRole('heading', { name: 'Settings for Acme Inc' }).waitFor();
    const form = page.getByRole('form', { name: LABEL });
    await form.getByRole('spinbutton', { name: `${LABEL} value` }).waitFor();
    await form.getByText('Default', { exact: true }).waitFor();
    expect(await form.getByRole('button', { name: 'Reset to default' }).isDisabled()).toBe(true);
    await page.getByRole('form', { name: 'Welcome banner' }).getByRole('textbox', { name: 'Welcome banner value' }).waitFor();
    await page.getByRole('form', { name: 'Theme' }).getByRole('textbox', { name: 'Theme value' }).waitFor();
    // Features that are not tenant-configurable are not there.
    expect(await page.getByRole('form', { name: 'new_checkout' }).count()).toBe(0);
    await audit('tenant-settings');
  });

  it("puts the API's 422 at the field, announced, and saves a value the management API then shows as the tenant's override", async () => {
    const form = page.getByRole('form', { name: LABEL });
    const input = form.getByRole('spinbutton', { name: `${LABEL} value` });
    await input.fill('150');
    await form.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => input.getAttribute('aria-invalid'), WAIT).toBe('true');
    expect(await describedBy(input)).toContain('must be at most 100');
    expect(await form.getByRole('alert').textContent()).toContain('must be at most 100');
    await audit('tenant-settings-422');

    await input.fill('50');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: `${LABEL} saved.` }).waitFor();
    await form.getByText('Set by your organisation').waitFor();
    expect(await input.getAttribute('aria-invalid')).toBe('false');
    const overrides = await admin<{ tenantOverrides: { tenantId: string; value: unknown }[] }>('GET', `/admin/v1/environments/${envId()}/feature-states/max_upload_mb/overrides`);
    expect(overrides.body.tenantOverrides).toEqual([expect.objectContaining({ tenantId: 'acme', value: 50 })]);
    await audit('tenant-settings-saved');
  });

  it("never shows one tenant's value on another tenant's page, and resets with the keyboard", async () => {
    await page.goto(`${config.apiUrl}/demo/tenant-settings/globex`);
    await page.getByRole('heading', { name: 'Settings for Globex Corporation' }).waitFor();
    const other = page.getByRole('form', { name: LABEL });
    await other.getByText('Default', { exact: true }).waitFor();
    expect(await other.getByRole('spinbutton', { name: `${LABEL} value` }).inputValue()).not.toBe('50');

    await page.goto(`${config.apiUrl}/demo/tenant-settings`);
    const form = page.getByRole('form', { name: LABEL });
    await form.getByText('Set by your organisation').waitFor();
    expect(await form.getByRole('spinbutton', { name: `${LABEL} value` }).inputValue()).toBe('50');
    await form.getByRole('button', { name: 'Reset to default' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: `${LABEL} reset to its default.` }).waitFor();
    await form.getByText('Default', { exact: true }).waitFor();
    const overrides = await admin<{ tenantOverrides: unknown[] }>('GET', `/admin/v1/environments/${envId()}/feature-states/max_upload_mb/overrides`);
    expect(overrides.body.tenantOverrides).toEqual([]);
    expect(journey.cspViolations).toEqual([]);
    expect(journey.pageErrors).toEqual([]);
  });

  it("works embedded in the customer's product on another origin: the script from the stack's /elements/, a token from the customer's key", async () => {
    // The customer's product: its own origin, its own strict CSP naming only the Vexilla API.
    const api = new URL(config.apiUrl).origin;
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    let token = '';
    const product = createServer((request, response) => {
      const csp = `default-src 'none'; script-src ${api}; connect-src ${api}; style-src 'self'; base-uri 'none'; form-action 'none'`;
      response.writeHead(request.url === '/settings' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp });
      response.end(
        request.url !== '/settings'
          ? 'Not found'
          : `<!doctype html><html lang="en"><head><title>Acme settings</title><script type="module" src="${api}${ELEMENT_PATH}"></script></head>` +
              `<body><main><h1>Your workspace</h1><vexilla-tenant-settings api-url="${api}" token="${token}"></vexilla-tenant-settings></main></body></html>`,
      );
    });
    await new Promise<void>((resolve) => product.listen(0, '127.0.0.1', resolve));
    try {
      const productOrigin = `http://127.0.0.1:${(product.address() as AddressInfo).port}`;
      const issuer = 'https://product.example.com';
      const key = await admin('POST', `/admin/v1/environments/${envId()}/tenant-keys`, { name: 'product backend', publicKey: await exportSPKI(publicKey), issuer, allowedOrigins: [productOrigin] });
      expect(key.status, JSON.stringify(key.body)).toBe(201);
      token = await new SignJWT({ env: envId(), tenant: 'acme', name: 'Ada Admin' })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(issuer)
        .setAudience('vexilla-tenant')
        .setSubject('ada@acme.example')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(privateKey);

      const script = await fetch(`${api}${ELEMENT_PATH}`, { headers: { origin: productOrigin } });
      expect(script.headers.get('access-control-allow-origin')).toBe('*');
      await page.goto(`${productOrigin}/settings`);
      await page.getByRole('heading', { name: 'Settings for Acme Inc' }).waitFor();
      const form = page.getByRole('form', { name: LABEL });
      await form.getByRole('spinbutton', { name: `${LABEL} value` }).fill('42');
      await form.getByRole('button', { name: 'Save' }).click();
      await page.getByRole('status').filter({ hasText: `${LABEL} saved.` }).waitFor();
      await form.getByText('Set by your organisation').waitFor();
      const overrides = await admin<{ tenantOverrides: { tenantId: string; value: unknown }[] }>('GET', `/admin/v1/environments/${envId()}/feature-states/max_upload_mb/overrides`);
      expect(overrides.body.tenantOverrides).toEqual([expect.objectContaining({ tenantId: 'acme', value: 42 })]);
      await audit('tenant-settings-cross-origin');
      expect(journey.cspViolations).toEqual([]);
      expect(journey.pageErrors).toEqual([]);
    } finally {
      await new Promise((resolve) => product.close(resolve));
    }
  });
});
