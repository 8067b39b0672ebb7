/**
 * The Tenants page in Debian's Chromium against the journeys' shared `npm run dev`, in an
 * organisation of its own (journey.ts): the project's templates listed read-only with rank and rule; a tenant created with typed traits and a template
 * (after the API's 422 is shown at the trait it names, and a taken key at the key), listed, found
 * by search, its overrides shown, a trait edited and the API reflecting it, deleted only after
 * confirming; more than a page of tenants paged with the API's cursor. The journey's own keys are
 * checked to be free first. Found by role and accessible name; axe on every distinct state; no CSP violations,
 * no page errors; screenshots into test-results/dashboard/.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { seedTenants } from '../../support/seed-identities.js';
import { startJourney, WAIT } from './journey.js';
import { stackTable } from './seeding.js';

const journey = startJourney('tenants', { viewport: { width: 1400, height: 900 } });
const { admin, audit, config } = journey;
let page: Page;

const tenantsPath = () => `/admin/v1/projects/${config.projectId}/tenants`;

const development = () => journey.env('development');
const scopePath = () => journey.scopePath();

/** The messages a field is described by (Mantine ties its error to the input this way). */
async function describedBy(field: ReturnType<Page['locator']>): Promise<string> {
  const ids = ((await field.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
  return (await Promise.all(ids.map((id) => page.locator(`[id="${id}"]`).textContent()))).join(' ');
}

const tenantsTable = () => page.getByRole('table', { name: 'Tenants', exact: true });
const tenantRow = (name: string) => tenantsTable().getByRole('row').filter({ has: page.getByRole('rowheader', { name }) });

beforeAll(async () => {
  page = journey.page;
  // Two templates and one other tenant, through the API: what the page lists and chooses from.
  const templates = `/admin/v1/projects/${config.projectId}/templates`;
  expect((await admin('PUT', `${templates}/starter`, { name: 'Starter', rank: 20 })).status).toBe(200);
  const enterprise = await admin('PUT', `${templates}/enterprise`, {
    name: 'Enterprise',
    rank: 10,
    rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'tenant.plan', value: 'enterprise' }] }],
  });
  expect(enterprise.status, JSON.stringify(enterprise.body)).toBe(200);
  expect((await admin('PUT', `${tenantsPath()}/initech`, { name: 'Initech', traits: { plan: 'starter' } })).status).toBe(200);
  // The tenant the journey creates must not exist yet.
  expect((await admin('GET', `${tenantsPath()}/hooli`)).status).toBe(404);
});

describe('the Tenants page', () => {
  it('is in the navigation and deep-linkable, and lists the templates with rank and rule', async () => {
    await page.goto(`${config.apiUrl}${scopePath()}/tenants`);
    await page.getByLabel('Admin token').fill(config.adminToken);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Tenants' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`${scopePath()}/tenants`);
    const link = page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Tenants', exact: true });
    expect(await link.getAttribute('aria-current')).toBe('page');
    await tenantRow('Initech').waitFor();

    const templates = page.getByRole('table', { name: 'Templates', exact: true });
    const rows = templates.getByRole('rowheader');
    // In the order they apply: rank 10 before rank 20.
    await expect.poll(() => rows.allTextContents(), WAIT).toEqual([expect.stringContaining('Enterprise'), expect.stringContaining('Starter')]);
    const enterprise = templates.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /Enterprise/ }) });
    expect(await enterprise.getByRole('cell').allTextContents()).toEqual(['10', 'tenant.plan EQUAL enterprise']);
    const starter = templates.getByRole('row').filter({ has: page.getByRole('rowheader', { name: /Starter/ }) });
    expect(await starter.getByRole('cell').allTextContents()).toEqual(['20', 'By assignment only']);
    await audit('tenants-list');
  });

  it('shows the API’s 422 at the trait it names, and creates nothing', async () => {
    await page.getByRole('button', { name: 'New tenant', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'New tenant' });
    await dialog.getByRole('textbox', { name: 'Key' }).fill('hooli');
    await dialog.getByRole('textbox', { name: 'Name', exact: true }).fill('Hooli XYZ');
    await dialog.getByRole('button', { name: 'Add trait' }).click();
    await dialog.getByRole('textbox', { name: 'Name of trait 1' }).fill('notes');
    // Longer than a trait value may be: the API says so about traits.notes.
    await dialog.getByRole('textbox', { name: 'Value of notes' }).fill('x'.repeat(2001));
    await dialog.getByRole('button', { name: 'Create tenant' }).click();
    const notes = dialog.getByRole('textbox', { name: 'Value of notes' });
    await expect.poll(() => notes.getAttribute('aria-invalid'), WAIT).toBe('true');
    expect(await describedBy(notes)).toMatch(/2000|too (long|big)|at most/i);
    expect((await admin('GET', `${tenantsPath()}/hooli`)).status).toBe(404);
    await audit('tenants-new-invalid');
  });

  it('says at the key that a key is taken, and changes nothing', async () => {
    const dialog = page.getByRole('dialog', { name: 'New tenant' });
    await dialog.getByRole('button', { name: 'Remove notes' }).click();
    const key = dialog.getByRole('textbox', { name: 'Key' });
    await key.fill('initech');
    await dialog.getByRole('button', { name: 'Create tenant' }).click();
    await expect.poll(() => key.getAttribute('aria-invalid'), WAIT).toBe('true');
    expect(await describedBy(key)).toContain('A tenant initech already exists');
    expect(await dialog.getByRole('link', { name: 'open it' }).getAttribute('href')).toBe(`${scopePath()}/tenants/initech`);
    const initech = await admin('GET', `${tenantsPath()}/initech`);
    expect(initech.body).toMatchObject({ name: 'Initech', traits: { plan: 'starter' }, version: 1 });
    await audit('tenants-new-taken');
    // Another key: the message goes with the key it was about.
    await key.fill('hooli');
    await expect.poll(async () => (await key.getAttribute('aria-invalid')) === 'true' || (await describedBy(key)).includes('already exists'), WAIT).toBe(false);
  });

  it('creates a tenant with typed traits and a template', async () => {
    const dialog = page.getByRole('dialog', { name: 'New tenant' });
    const addTrait = async (index: number, name: string, type: string, value: string) => {
      await dialog.getByRole('button', { name: 'Add trait' }).click();
      await dialog.getByRole('textbox', { name: `Name of trait ${index}` }).fill(name);
      await dialog.getByRole('combobox', { name: `Type of ${name}` }).selectOption(type);
      if (type === 'boolean') await dialog.getByRole('combobox', { name: `Value of ${name}` }).selectOption(value);
      else await dialog.getByRole('textbox', { name: `Value of ${name}` }).fill(value);
    };
    await addTrait(1, 'plan', 'string', 'enterprise');
    await addTrait(2, 'seats', 'number', '250');
    await addTrait(3, 'sso', 'boolean', 'true');
    await dialog.getByRole('checkbox', { name: /^Starter/ }).check();
    await audit('tenants-new-filled');
    await dialog.getByRole('button', { name: 'Create tenant' }).click();

    // On the new tenant's own page.
    await page.getByRole('heading', { level: 1, name: 'Hooli XYZ' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`${scopePath()}/tenants/hooli`);
    const created = await admin('GET', `${tenantsPath()}/hooli`);
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ key: 'hooli', name: 'Hooli XYZ', traits: { plan: 'enterprise', seats: 250, sso: true }, templates: ['starter'] });
    expect(Object.keys(created.body.traits).sort()).toEqual(['plan', 'seats', 'sso']);
    await audit('tenant-detail');
  });

  it('lists it and finds it by search, deep-linkably', async () => {
    await page.getByRole('link', { name: 'Tenants', exact: true }).first().click();
    await tenantRow('Hooli XYZ').waitFor();
    const hooli = tenantRow('Hooli XYZ');
    await hooli.getByText('plan=enterprise seats=250 sso=true').waitFor();
    await hooli.getByText('starter', { exact: true }).waitFor();

    const search = page.getByRole('searchbox', { name: 'Search tenants' });
    await search.fill('HOOLI');
    // The API's search (key or name, any case): Initech goes, Hooli stays.
    await tenantRow('Initech').waitFor({ state: 'detached' });
    await tenantRow('Hooli XYZ').waitFor();
    expect(new URL(page.url()).searchParams.get('search')).toBe('HOOLI');

    // The searched list is a link: reloading it shows the same.
    await page.reload();
    await expect.poll(() => page.getByRole('searchbox', { name: 'Search tenants' }).inputValue(), WAIT).toBe('HOOLI');
    await tenantRow('Hooli XYZ').waitFor();
    expect(await tenantRow('Initech').count()).toBe(0);

    await page.getByRole('searchbox', { name: 'Search tenants' }).fill('no such tenant');
    await page.getByText('No tenants match.').waitFor();
    await page.getByRole('searchbox', { name: 'Search tenants' }).fill('');
    await tenantRow('Initech').waitFor();
  });

  it('shows its overrides in the environment, and edits a trait, and the API reflects it', async () => {
    const override = await admin('PUT', `/admin/v1/environments/${development().id}/feature-states/welcome_banner/tenant-overrides/hooli`, { enabled: true, value: 'Hi, Hooli!' });
    expect(override.status, JSON.stringify(override.body)).toBe(200);
    await tenantRow('Hooli XYZ').getByRole('link', { name: 'Hooli XYZ' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hooli XYZ' }).waitFor();
    // Its own override only (the demo's acme has one on the same flag), linked to the flag.
    const overrides = page.getByRole('table', { name: 'Overrides in development' });
    const banner = overrides.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'welcome_banner' }) });
    await banner.waitFor();
    expect(await overrides.getByRole('rowheader').count()).toBe(1);
    expect(await banner.getByRole('cell').allTextContents()).toEqual(['On', '"Hi, Hooli!"']);
    expect(await banner.getByRole('link', { name: 'welcome_banner' }).getAttribute('href')).toBe(`${scopePath()}/flags/welcome_banner`);
    const seats = page.getByRole('textbox', { name: 'Value of seats' });
    await expect.poll(() => seats.inputValue(), WAIT).toBe('250');
    // Not a number: said at the field, nothing sent.
    await seats.fill('lots');
    await page.getByRole('button', { name: 'Save tenant' }).click();
    await expect.poll(() => seats.getAttribute('aria-invalid'), WAIT).toBe('true');
    expect(await describedBy(seats)).toContain('Not a number');
    expect((await admin('GET', `${tenantsPath()}/hooli`)).body.traits.seats).toBe(250);

    await seats.fill('500');
    await page.getByRole('checkbox', { name: /^Enterprise/ }).check();
    await page.getByRole('button', { name: 'Save tenant' }).click();
    await page.getByRole('status').filter({ hasText: /^Saved/ }).waitFor();
    const saved = await admin('GET', `${tenantsPath()}/hooli`);
    expect(saved.body).toMatchObject({ traits: { plan: 'enterprise', seats: 500, sso: true } });
    expect([...saved.body.templates].sort()).toEqual(['enterprise', 'starter']);
    await expect.poll(() => page.getByRole('textbox', { name: 'Value of seats' }).inputValue(), WAIT).toBe('500');
    await audit('tenant-saved');
  });

  describe('with more than a page of tenants', () => {
    // 55 more tenants, keyed after the journey's own (the list is in key order, 50 a page): the
    // list the deletion brings back is already the long one, and the journey's own tenants are on
    // its first page. (The page keeps a list it fetched for 5 s: seeded after the deletion, they
    // could be missing from the list shown next without a reload.)
    const bulkKeys = Array.from({ length: 55 }, (_, index) => `tenant-${String(index).padStart(2, '0')}`);
    const lastKey = bulkKeys.at(-1) as string;
    beforeAll(async () => {
      const { deps, project } = await stackTable(config.projectId);
      expect(await seedTenants(deps, project, bulkKeys, { seats: 1 })).toHaveLength(bulkKeys.length);
      // Served by the API as the tenants it wrote itself.
      expect((await admin('GET', `${tenantsPath()}/${lastKey}`)).body).toMatchObject({ key: lastKey, name: lastKey, traits: { seats: 1 }, version: 1 });
    });

    it('deletes it only after confirming', async () => {
      await page.getByRole('button', { name: 'Delete tenant' }).click();
      const confirm = page.getByRole('dialog', { name: 'Delete the tenant hooli?' });
      await confirm.waitFor();
      await audit('tenant-delete-confirm');
      await confirm.getByRole('button', { name: 'Cancel', exact: true }).click();
      await confirm.waitFor({ state: 'detached' });
      expect((await admin('GET', `${tenantsPath()}/hooli`)).status).toBe(200);

      await page.getByRole('button', { name: 'Delete tenant' }).click();
      await page.getByRole('dialog', { name: 'Delete the tenant hooli?' }).getByRole('button', { name: 'Delete tenant' }).click();
      await page.getByRole('heading', { level: 1, name: 'Tenants' }).waitFor();
      await tenantRow('Initech').waitFor();
      expect(await tenantRow('Hooli XYZ').count()).toBe(0);
      expect((await admin('GET', `${tenantsPath()}/hooli`)).status).toBe(404);
    });

    it('pages through many tenants with the API’s cursor', async () => {
      // The page shows 50, then the rest on asking. Every tenant the API has (the demo's and the
      // journey's too), counted through its own cursor.
      let total = 0;
      for (let cursor: string | undefined, first = true; first || cursor; first = false) {
        const answer = await admin('GET', `${tenantsPath()}?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        total += answer.body.items.length;
        cursor = answer.body.cursor;
      }
      expect(total).toBeGreaterThan(55);
      expect(total).toBeLessThanOrEqual(100);
      // The list the deletion brought back (no reload: the deep link and its reload are tested above).
      const rowHeaders = tenantsTable().getByRole('rowheader');
      await expect.poll(() => rowHeaders.count(), WAIT).toBe(50);
      await page.getByRole('button', { name: 'Load more tenants' }).click();
      await expect.poll(() => rowHeaders.count(), WAIT).toBe(total);
      await page.getByRole('button', { name: 'Load more tenants' }).waitFor({ state: 'detached' });
      await tenantRow('Initech').waitFor();
      await tenantRow(lastKey).waitFor();
      await audit('tenants-paged');
      expect(journey.pageErrors).toEqual([]);
      expect(journey.cspViolations).toEqual([]);
    });
  });
});
