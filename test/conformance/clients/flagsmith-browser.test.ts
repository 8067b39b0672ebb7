/**
 * The unmodified `flagsmith` web client, in Debian's Chromium, against the local stack through
 * its edge cache, from a page on another origin (as an app's page is): two environments' keys in
 * one browser never see each other's flags, an unknown key never gets a 200, and a toggle is
 * seen on the first poll after it is published. The browser's HTTP cache is the one users have:
 * nothing here turns it off.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishBatchResult } from '../../../functions/domain/use-cases/publish-documents.js';
import type { LocalStack } from '../../../functions/local/stack.js';
import { launchChromium } from '../../support/browser.js';
import { REPO_ROOT } from '../../support/dev-process.js';
import { startFreshLocalStack } from '../../support/local-stack.js';

let stack: LocalStack;
let token: string;
let site: Server;
let siteUrl: string;
let browser: Browser;
const published: PublishBatchResult[] = [];
const environments: Record<'development' | 'production', { envId: string; clientKey: string }> = {} as never;

async function admin(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.url}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 120_000; // a bound on a hang: a busy machine can be slow
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Still waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The page an app would serve: the flagsmith UMD build (its browser build requests through
 * XMLHttpRequest), and a note of each flags request: whether it was sent after the test said the
 * change was published, and what it got.
 */
const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>flags</title>
<script>
  window.polls = [];
  window.published = false;
  const open = XMLHttpRequest.prototype.open;
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    this.noteUrl = String(url);
    return open.call(this, method, url, ...rest);
  };
  XMLHttpRequest.prototype.send = function (body) {
    if ((this.noteUrl || '').includes('/api/v1/flags/')) {
      const entry = { url: this.noteUrl, afterPublish: window.published, status: 0, checkout: undefined };
      this.addEventListener('loadend', () => {
        entry.status = this.status;
        try {
          const checkout = JSON.parse(this.responseText).find((flag) => flag.feature.name === 'checkout');
          entry.checkout = checkout ? checkout.enabled : undefined;
        } catch (error) {}
        window.polls.push(entry);
      });
    }
    return send.call(this, body);
  };
</script>
<script src="/flagsmith.js"></script>
</head><body>flags</body></html>`;

beforeAll(async () => {
  let orgId: string;
  ({ stack, orgId, token } = await startFreshLocalStack({ organisation: 'Browser', onPublished: (result) => published.push(result) }));
  const project = await admin('POST', `/organisations/${orgId}/projects`, { name: 'Web' });
  await admin('POST', `/projects/${project.id}/features`, { name: 'banner', initialValue: 'hello' });
  await admin('POST', `/projects/${project.id}/features`, { name: 'checkout', initialValue: null });
  for (const name of ['development', 'production'] as const) {
    const created = await admin('POST', `/projects/${project.id}/environments`, { name });
    environments[name] = { envId: created.environment.id, clientKey: created.clientKey };
    await admin('PATCH', `/environments/${created.environment.id}/feature-states/banner`, { enabled: true, value: `${name} banner` });
  }
  await stack.idle();

  const flagsmithBundle = readFileSync(join(REPO_ROOT, 'node_modules/flagsmith/index.js'));
  site = createServer((request, response) => {
    if (request.url === '/flagsmith.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(flagsmithBundle);
    } else {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(PAGE);
    }
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  // Another origin than the API's, as an app's page is: every SDK request is cross-origin.
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  browser = await launchChromium();
}); // a stack, a table and a browser start here: slow on a busy machine (the global hook timeout bounds it)
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await stack?.stop();
});

/** A page of the app in `context`, with flagsmith loaded. */
async function openApp(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  // Playwright's 30 s default for goto and waitForFunction is a bound on a hang, too short on a busy machine.
  page.setDefaultTimeout(120_000);
  await page.goto(siteUrl);
  await page.waitForFunction(() => typeof (window as unknown as { index?: { createFlagsmithInstance?: unknown } }).index?.createFlagsmithInstance === 'function');
  return page;
}

/** Initialises a new flagsmith instance in the page (kept as window.flagsmiths[name]); returns its banner, or the error. */
function initFlagsmith(page: Page, name: string, environmentID: string): Promise<{ banner?: unknown; error?: string }> {
  return page.evaluate(
    async ({ name, environmentID, api }) => {
      const w = window as unknown as { index: { createFlagsmithInstance: () => any }; flagsmiths?: Record<string, any> };
      const flagsmith = w.index.createFlagsmithInstance();
      (w.flagsmiths ??= {})[name] = flagsmith;
      try {
        await flagsmith.init({ environmentID, api, cacheFlags: false, enableAnalytics: false });
        return { banner: flagsmith.getValue('banner') };
      } catch (error) {
        return { error: String((error as { message?: string })?.message ?? error) };
      }
    },
    { name, environmentID, api: `${stack.url}/api/v1/` },
  );
}

describe('the flagsmith web client in Chromium, through the edge', () => {
  it("never shows one environment's flags to another's key in the same browser", async () => {
    const context = await browser.newContext();
    try {
      // One page, one instance per key, one right after the other: the browser cache is shared.
      const page = await openApp(context);
      expect(await initFlagsmith(page, 'dev', environments.development.clientKey)).toEqual({ banner: 'development banner' });
      expect(await initFlagsmith(page, 'prod', environments.production.clientKey)).toEqual({ banner: 'production banner' });
      expect(await initFlagsmith(page, 'dev-again', environments.development.clientKey)).toEqual({ banner: 'development banner' });

      // Two pages, as two tabs of two apps.
      const other = await openApp(context);
      expect(await initFlagsmith(other, 'prod', environments.production.clientKey)).toEqual({ banner: 'production banner' });
      expect(await initFlagsmith(page, 'dev-third', environments.development.clientKey)).toEqual({ banner: 'development banner' });
    } finally {
      await context.close();
    }
  });

  it('never answers 200 to an unknown key, even right after a known key was served the same URL', async () => {
    const context = await browser.newContext();
    const answers: { key: string | undefined; status: number }[] = [];
    context.on('response', (response) => {
      if (response.url().includes('/api/v1/flags/') && response.request().method() === 'GET') {
        answers.push({ key: response.request().headers()['x-environment-key'], status: response.status() });
      }
    });
    try {
      const page = await openApp(context);
      expect(await initFlagsmith(page, 'dev', environments.development.clientKey)).toEqual({ banner: 'development banner' });
      const unknown = await initFlagsmith(page, 'unknown', 'not-a-key-of-anything');
      expect(unknown.banner).toBeUndefined();
      const revokedLooking = await initFlagsmith(page, 'almost', `${environments.development.clientKey}x`);
      expect(revokedLooking.banner).toBeUndefined();
      await until('the browser to report every answer', () => (answers.length >= 3 ? true : undefined));
      for (const answer of answers) {
        const known = answer.key === environments.development.clientKey;
        expect(answer.status, `key ${answer.key}`).toBe(known ? 200 : 401);
      }
      expect(answers.filter((answer) => answer.status === 401).length).toBeGreaterThanOrEqual(2);
    } finally {
      await context.close();
    }
  });

  it('sees a toggle on the first poll after it is published', async () => {
    const context = await browser.newContext();
    try {
      const page = await openApp(context);
      const { envId, clientKey } = environments.development;
      expect(await initFlagsmith(page, 'dev', clientKey)).toEqual({ banner: 'development banner' });
      // Polling every second, as an app listening for changes does.
      await page.evaluate(() => (window as unknown as { flagsmiths: Record<string, any> }).flagsmiths.dev.startListening(1000));
      await page.waitForFunction(() => (window as unknown as { polls: unknown[] }).polls.length >= 2);
      const before = await page.evaluate(() => (window as unknown as { polls: { checkout?: boolean }[] }).polls.at(-1)?.checkout);
      expect(before).toBe(false);
      published.length = 0;

      // Act: toggle it on, and wait until the stack has published it (edge invalidated)
      await admin('PATCH', `/environments/${envId}/feature-states/checkout`, { enabled: true });
      await until('the change to be published', () => published.find((result) => result.results.get(envId)?.outcome === 'published'));
      await page.evaluate(() => {
        (window as unknown as { published: boolean }).published = true;
      });

      // Assess: the first poll started after that, and every one since, has it
      await page.waitForFunction(() => (window as unknown as { polls: { afterPublish: boolean }[] }).polls.some((poll) => poll.afterPublish));
      const polls = await page.evaluate(() => (window as unknown as { polls: { afterPublish: boolean; checkout?: boolean; status: number }[] }).polls);
      const after = polls.filter((poll) => poll.afterPublish);
      expect(after.length).toBeGreaterThan(0);
      expect(after.map((poll) => [poll.status, poll.checkout])).toEqual(after.map(() => [200, true]));
      await page.waitForFunction(() => (window as unknown as { flagsmiths: Record<string, any> }).flagsmiths.dev.hasFeature('checkout') === true);
      await page.evaluate(() => (window as unknown as { flagsmiths: Record<string, any> }).flagsmiths.dev.stopListening());
    } finally {
      await context.close();
    }
  });
});
