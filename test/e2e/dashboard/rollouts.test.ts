/**
 * The Rollouts page in Debian's Chromium against the journeys' shared `npm run dev`, in an
 * organisation of its own (journey.ts), so it runs independently of the other journeys: a rollout is created from the page, listed with
 * its percentage, paused, resumed, advanced and aborted, each state seen on the page and confirmed
 * through the API. Found by role and accessible name; axe on every distinct state; screenshots into
 * test-results/dashboard/.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { startJourney, WAIT } from './journey.js';

const journey = startJourney('rollouts', { viewport: { width: 1400, height: 900 } });
const { admin, audit, config } = journey;
let page: Page;
beforeAll(() => {
  page = journey.page;
});

interface RolloutView {
  id: string;
  featureName: string;
  status: string;
  step: number;
  percentage: number;
  percentages: number[];
  guardAlarms: string[];
  bakeSeconds: number;
}

const development = () => journey.env('development');
const scopePath = () => journey.scopePath();

/** The environment's rollouts of a feature, as the API answers them (newest first). */
async function apiRollout(featureName: string): Promise<RolloutView | undefined> {
  const answer = await admin<{ items: RolloutView[] }>('GET', `/admin/v1/environments/${development().id}/rollouts`);
  expect(answer.status).toBe(200);
  return answer.body.items.find((rollout) => rollout.featureName === featureName);
}

/** Chooses a radio (segmented control) from the keyboard. */
async function pickRadio(scope: Page | ReturnType<Page['locator']>, name: string) {
  const radio = scope.getByRole('radio', { name, exact: true });
  await radio.focus();
  await page.keyboard.press('Space');
  await expect.poll(() => radio.isChecked(), WAIT).toBe(true);
}

const progress = (featureName: string, percentage: number) => page.getByRole('progressbar', { name: `${featureName} rollout at ${percentage}%`, exact: true });
const row = (featureName: string) => page.getByRole('row', { name: `${featureName} rollout`, exact: true });

describe('the Rollouts page', () => {
  it('is in the navigation and deep-linkable, and says when there are none', async () => {
    await page.goto(`${config.apiUrl}${scopePath()}/rollouts`);
    await page.getByLabel('Admin token').fill(config.adminToken);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // Back where the deep link pointed.
    await page.getByRole('heading', { level: 1, name: 'Rollouts' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`${scopePath()}/rollouts`);
    await page.getByText('No rollouts in this environment yet.').waitFor();
    const link = page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Rollouts', exact: true });
    expect(await link.getAttribute('aria-current')).toBe('page');
    await audit('rollouts-empty');
  });

  it('shows the API’s 422 next to the field it names', async () => {
    await page.getByRole('button', { name: 'New rollout' }).click();
    const dialog = page.getByRole('dialog', { name: 'New rollout' });
    await dialog.getByRole('combobox', { name: 'Feature' }).fill('welcome_banner');
    await page.getByRole('option', { name: 'welcome_banner', exact: true }).click();
    // Falling percentages: refused by the API, the message shown under "Percentages".
    await dialog.getByRole('textbox', { name: 'Percentages' }).fill('50, 10');
    await dialog.getByRole('button', { name: 'Start rollout' }).click();
    const field = dialog.getByRole('textbox', { name: 'Percentages' });
    await expect.poll(() => field.getAttribute('aria-invalid'), WAIT).toBe('true');
    const describedBy = (await field.getAttribute('aria-describedby')) ?? '';
    const messages = await Promise.all(describedBy.split(' ').filter(Boolean).map((id) => page.locator(`[id="${id}"]`).textContent()));
    expect(messages.join(' ')).toMatch(/ris|increas|ascending|order/i);
    expect(await apiRollout('welcome_banner')).toBeUndefined();
    await audit('rollouts-new-invalid');
  });

  it('creates a rollout from the form, listed with its percentage and step', async () => {
    const dialog = page.getByRole('dialog', { name: 'New rollout' });
    await pickRadio(dialog, 'A value');
    await dialog.getByRole('textbox', { name: 'Value to roll out' }).fill('Welcome to the new checkout');
    await dialog.getByRole('textbox', { name: 'Percentages' }).fill('10, 40');
    await dialog.getByRole('textbox', { name: 'Bake time per step' }).fill('2');
    await dialog.getByRole('combobox', { name: 'Unit' }).selectOption('hours');
    const alarms = dialog.getByLabel('Guard alarms', { exact: true });
    await alarms.fill('vexilla-guard-api-5xx');
    await page.keyboard.press('Enter');
    await dialog.getByRole('button', { name: 'Start rollout' }).click();
    await dialog.waitFor({ state: 'detached' });

    await progress('welcome_banner', 10).waitFor();
    await row('welcome_banner').getByText('running', { exact: true }).waitFor();
    await row('welcome_banner').getByText('Step 1 of 3').waitFor();
    await row('welcome_banner').getByText('vexilla-guard-api-5xx').waitFor();
    await row('welcome_banner').getByText(/^Next step in/).waitFor();
    const created = await apiRollout('welcome_banner');
    expect(created).toMatchObject({ status: 'running', step: 0, percentage: 10, percentages: [10, 40, 100], guardAlarms: ['vexilla-guard-api-5xx'], bakeSeconds: 7200 });
    await audit('rollouts-running');
  });

  it('pauses, resumes and advances it by hand', async () => {
    await page.getByRole('button', { name: 'Pause the welcome_banner rollout' }).click();
    await row('welcome_banner').getByText('paused', { exact: true }).waitFor();
    await expect.poll(async () => (await apiRollout('welcome_banner'))?.status, WAIT).toBe('paused');

    await page.getByRole('button', { name: 'Resume the welcome_banner rollout' }).click();
    await row('welcome_banner').getByText('running', { exact: true }).waitFor();
    await expect.poll(async () => (await apiRollout('welcome_banner'))?.status, WAIT).toBe('running');

    await page.getByRole('button', { name: 'Advance the welcome_banner rollout' }).click();
    await progress('welcome_banner', 40).waitFor();
    await row('welcome_banner').getByText('Step 2 of 3').waitFor();
    expect(await apiRollout('welcome_banner')).toMatchObject({ status: 'running', step: 1, percentage: 40 });
  });

  it('aborts it only after confirming, back to where it started', async () => {
    await page.getByRole('button', { name: 'Abort the welcome_banner rollout' }).click();
    const confirm = page.getByRole('dialog', { name: 'Abort the welcome_banner rollout?' });
    await confirm.waitFor();
    await audit('rollouts-abort-confirm');
    // Cancelling the dialog changes nothing.
    await confirm.getByRole('button', { name: 'Cancel', exact: true }).click();
    await confirm.waitFor({ state: 'detached' });
    expect((await apiRollout('welcome_banner'))?.status).toBe('running');

    await page.getByRole('button', { name: 'Abort the welcome_banner rollout' }).click();
    await page.getByRole('dialog', { name: 'Abort the welcome_banner rollout?' }).getByRole('button', { name: 'Abort rollout' }).click();
    await row('welcome_banner').getByText('aborted', { exact: true }).waitFor();
    expect((await apiRollout('welcome_banner'))?.status).toBe('aborted');
    // Nothing left to do to it.
    expect(await row('welcome_banner').getByRole('button').count()).toBe(0);
    await audit('rollouts-aborted');
  });

  it('shows a flag’s prerequisites, and an identity’s "why" names the prerequisite that failed', async () => {
    const updated = await admin('PATCH', `/admin/v1/projects/${config.projectId}/features/welcome_banner`, { prerequisites: [{ featureName: 'new_checkout' }] });
    expect(updated.status).toBe(200);
    // From the aborted rollout to its flag, in the page (its deep link is the flags journey's).
    await row('welcome_banner').getByRole('link', { name: 'welcome_banner', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'welcome_banner' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`${scopePath()}/flags/welcome_banner`);
    const list = page.getByRole('list', { name: 'Prerequisites of welcome_banner' });
    await list.getByRole('link', { name: 'new_checkout', exact: true }).waitFor();
    await audit('feature-prerequisites');

    // new_checkout is off in development except for "beta testers", a 10% split keyed on the
    // segment's random id: pick an identity outside it, for which welcome_banner is then served off.
    type Explained = { flags: { featureName: string; enabled: boolean; engineReason: string }[] };
    const explain = (identifier: string) => admin<Explained>('GET', `/admin/v1/environments/${development().id}/identities/${identifier}/flags`);
    let identifier = '';
    let explained: Explained | undefined;
    for (let i = 0; i < 50 && !identifier; i++) {
      const answer = await explain(`user-${i}@acme.com`);
      expect(answer.status).toBe(200);
      if (!answer.body.flags.find((flag) => flag.featureName === 'new_checkout')?.enabled) [identifier, explained] = [`user-${i}@acme.com`, answer.body];
    }
    expect(explained?.flags.find((flag) => flag.featureName === 'welcome_banner')).toMatchObject({ enabled: false, engineReason: 'PREREQUISITE_FAILED; feature=new_checkout' });
    // Looked up as a person looks one up: from the Identities page.
    await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Identities', exact: true }).click();
    await page.getByRole('textbox', { name: 'Find an identity by identifier' }).fill(identifier);
    await page.getByRole('button', { name: 'Look up', exact: true }).click();
    const table = page.getByRole('table', { name: 'Evaluated flags with reasons' });
    const banner = table.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'welcome_banner', exact: true }) });
    await banner.getByText('prerequisite failed').waitFor();
    await banner.getByRole('link', { name: 'new_checkout', exact: true }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`${scopePath()}/identities/${encodeURIComponent(identifier)}`);
    await audit('identity-prerequisite-failed');
    expect(journey.pageErrors).toEqual([]);
    expect(journey.cspViolations).toEqual([]);
  });
});
