/**
 * What every dashboard journey starts with: the shared `npm run dev` and Chromium (made once by
 * global-setup.ts), its organisation, a browser context of its own (its own cookies and session
 * storage, CSP violations reported), a page, and the checks each journey makes on it.
 *
 * Call `startJourney` at the top of a test file: it registers the hooks that open the context
 * before the file's tests and close it after them, and screenshots a page whose test failed.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import type { LocalEnvironment } from '../../../functions/local/seed.js';
import { connectChromium } from '../../support/browser.js';
import { axeViolations, reportCspViolations, watchPage } from '../../support/dashboard-journey.js';
import { REPO_ROOT } from '../../support/dev-process.js';
import { dashboardStack, type JourneyOrganisation, type OwnOrganisation } from './stack.js';

export const SHOTS = join(REPO_ROOT, 'test-results/dashboard');
// Bounds on a hang, not expectations of speed (as everywhere in the suite): a busy machine makes
// a step that takes a second here take a minute; a condition that arrives early ends the wait.
export const WAIT = { timeout: 120_000, interval: 100 };
/** Screenshots of audited pages for people to look at (~0.2 CPU-s of Chromium each): opt-in. */
const SCREENSHOTS = process.env.VEXILLA_SCREENSHOTS === '1';

export interface Journey {
  /** The journey's organisation: ids, its admin token, keys, the person who administers it. */
  readonly config: JourneyOrganisation;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  /** CSP violations and uncaught errors of the journey's pages (a journey's last test asserts none). */
  readonly cspViolations: string[];
  readonly pageErrors: string[];
  /** A management API call as the organisation's admin token (or `token`): status and parsed body. */
  admin<T = any>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }>;
  /** One of the organisation's environments, by name. */
  env(name: string): LocalEnvironment;
  /** The dashboard's path of an environment of the organisation's project (`/o/…/p/…/e/…`). */
  scopePath(environment?: string): string;
  /**
   * Moves the journey's page to `path` (a path on the stack) inside the running app, as its links
   * do: a history entry pushed and React Router told (popstate), no new document, so no page load
   * and no second axe injection (a load is ~0.5 CPU-s of Chromium). Resolves once the new location
   * shows the level-1 heading `heading`, which the page it leaves must not show. For a page whose
   * data changed outside the browser since this document showed it, load it (page.goto): the
   * app's query cache may show what it fetched then.
   */
  navigate(path: string, heading: string | RegExp): Promise<void>;
  /**
   * axe-core on the page as it is now (serious and critical violations fail). A screenshot of it
   * into test-results/dashboard/ when VEXILLA_SCREENSHOTS=1 (nothing asserts on them; a failed
   * test's page is always screenshotted).
   */
  audit(name: string, on?: Page): Promise<void>;
  /** Another browser context (another person's tab), CSP violations and errors watched too; closed with the journey. */
  newContext(): Promise<BrowserContext>;
}

type Options = { viewport?: { width: number; height: number } };

/** A journey in an organisation of its own (listed in stack.ts's OWN_ORGANISATIONS). */
export function startJourney(name: OwnOrganisation, options?: Options & { organisation?: 'own' }): Journey;
/** A journey in the stack's own demo organisation (its demo person, its tenant settings page). */
export function startJourney(name: string, options: Options & { organisation: 'demo' }): Journey;
export function startJourney(name: string, options: Options & { organisation?: 'own' | 'demo' } = {}): Journey {
  const stack = dashboardStack();
  const config = options.organisation === 'demo' ? stack.demo : stack.organisations[name as OwnOrganisation];
  if (!config) throw new Error(`No organisation for the ${name} journey: add it to OWN_ORGANISATIONS (test/e2e/dashboard/stack.ts)`);
  // Reduced motion (which the dashboard honours): a dialog is at once as it stays, so what axe and
  // the steps see is never a transition's midway frame (a half-faded dialog failed contrast once).
  const contextOptions = { viewport: options.viewport ?? { width: 1280, height: 900 }, reducedMotion: 'reduce' } as const;
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  const opened = () => {
    if (!browser || !context || !page) throw new Error('the journey has not started (startJourney registers a beforeAll hook)');
    return { browser, context, page };
  };

  const newContext = async () => {
    const created = await opened().browser.newContext(contextOptions);
    await reportCspViolations(created);
    created.setDefaultTimeout(WAIT.timeout);
    created.on('page', (opening) => watchPage(opening, { cspViolations, pageErrors }));
    return created;
  };

  beforeAll(async () => {
    await mkdir(SHOTS, { recursive: true });
    browser = await connectChromium(stack.browserEndpoint);
    context = await browser.newContext(contextOptions);
    await reportCspViolations(context);
    context.setDefaultTimeout(WAIT.timeout);
    page = await context.newPage();
    watchPage(page, { cspViolations, pageErrors });
  });

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail') {
      await page?.screenshot({ path: join(SHOTS, `failed-${name}-${test.task.name.slice(0, 40).replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => undefined);
    }
  });

  afterAll(async () => {
    // Closing the connection closes every context it opened; the browser itself is shared.
    await browser?.close();
  });

  const env = (environment: string) => {
    const found = config.environments.find((candidate) => candidate.name === environment);
    if (!found) throw new Error(`no ${environment} environment`);
    return found;
  };

  return {
    config,
    get browser() {
      return opened().browser;
    },
    get context() {
      return opened().context;
    },
    get page() {
      return opened().page;
    },
    cspViolations,
    pageErrors,
    async admin(method, path, body, token = config.adminToken) {
      const response = await fetch(`${config.apiUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    env,
    scopePath: (environment = 'development') => `/o/${config.organisationId}/p/${config.projectId}/e/${env(environment).id}`,
    async navigate(path, heading) {
      const on = opened().page;
      const arrived = on.getByRole('heading', { level: 1, name: heading, exact: true });
      if (await arrived.count()) throw new Error(`navigate(${path}): the page already shows the heading ${heading}: wait for something only the new location shows`);
      await on.evaluate((to) => {
        // React Router's browser history keeps its position in history.state.idx.
        const idx = ((history.state as { idx?: number } | null)?.idx ?? 0) + 1;
        history.pushState({ usr: null, key: Math.random().toString(36).slice(2, 10), idx }, '', to);
        dispatchEvent(new PopStateEvent('popstate', { state: history.state }));
      }, path);
      await arrived.waitFor();
    },
    async audit(shot, on = opened().page) {
      // A dialog or menu fading in has colours between its states: audit what a user reads,
      // once every running transition and animation has finished (the condition, not a delay).
      // (Endless ones, a spinner, never finish: those are left running.)
      await on.evaluate(() =>
        Promise.all(
          document
            .getAnimations()
            .filter((animation) => Number.isFinite(Number(animation.effect?.getComputedTiming().endTime)))
            .map((animation) => animation.finished.catch(() => undefined)),
        ),
      );
      const violations = await axeViolations(on);
      if (SCREENSHOTS) await on.screenshot({ path: join(SHOTS, `${shot}.png`), fullPage: true });
      expect(violations, `axe on ${shot}`).toEqual([]);
    },
    newContext,
  };
}
