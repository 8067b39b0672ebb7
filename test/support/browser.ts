/**
 * Debian's Chromium, driven by playwright-core: the only browser this machine and CI have
 * (`npx playwright install` cannot download one here). `.ci/run` installs it when missing.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserServer } from 'playwright-core';

/**
 * Debian's chromium-headless-shell when installed (what Playwright itself runs for headless: the
 * same Blink and V8 without the desktop browser around them; measured here, a page costs its
 * browser process about half the CPU, and an idle one almost none), else Debian's chromium.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium-headless-shell') ? '/usr/bin/chromium-headless-shell' : '/usr/bin/chromium');

/** Flags that keep Chromium off the closed network and quiet on a CI machine running as root. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // What a test browser can do without, on a 2-core machine whose CPU is the suite's limit (the
  // dashboard journeys 107-109 -> ~98 CPU-s): one renderer process for every page rather than one
  // per site (the pages' origins and the same-origin policy are unchanged: only where they run),
  // V8's garbage collector on one thread, and no back/forward cache or paint holding.
  '--disable-site-isolation-trials',
  '--disable-features=site-per-process,IsolateOrigins,PaintHolding,BackForwardCache',
  '--disable-back-forward-cache',
  '--renderer-process-limit=1',
  '--js-flags=--single-threaded-gc',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/**
 * One Chromium for several test files (each in its own worker): they `connectChromium` to its
 * endpoint and work in browser contexts of their own (separate cookies, storage and caches).
 */
export function launchChromiumServer(): Promise<BrowserServer> {
  return chromium.launchServer({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

/** A connection to a `launchChromiumServer` browser; closing it closes the contexts it made. */
export function connectChromium(wsEndpoint: string): Promise<Browser> {
  return chromium.connect(wsEndpoint);
}
