/**
 * The dashboard: what a browser downloads for the shell and for each page (gzipped, from the
 * build), and, in Debian's Chromium against the local stack serving the build, how long the flags page of a
 * 1,000-feature project takes to show its first screen of rows (navigation start to every
 * environment's switch of the first row, API calls included; the list is virtualised, so rows
 * further down are drawn as they scroll into view), how long a jump to the end takes, and how long
 * a toggle takes to show its new state.
 * Minimum and median of RUNS; reported, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundleSizes } from '../dashboard/scripts/bundle-size.js';
import { startLocalStack } from '../functions/local/stack.js';
import { launchChromium } from '../test/support/browser.js';
import { withSeededEnvironment } from './stack.js';

const FEATURES = 1000;
const RUNS = Number(process.env.VEXILLA_BENCH_DASHBOARD_RUNS ?? 5);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `min ${ms(sorted[0] ?? NaN)}, median ${ms(sorted[Math.floor(sorted.length / 2)] ?? NaN)}`;
};

export async function runDashboardBench(): Promise<void> {
  console.log('\n## Dashboard');
  // The bundle runs from node_modules/.cache: paths from the working directory (the repository).
  const dist = join(process.cwd(), 'dist/dashboard');
  if (!existsSync(join(dist, '.vite/manifest.json'))) {
    const built = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'dashboard/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
    if (built.status !== 0) throw new Error('Building the dashboard failed.');
  }
  const sizes = bundleSizes(dist);
  console.log(`Initial JavaScript of the shell: ${kb(sizes.shellJs)} gzipped (+ ${kb(sizes.shellCss)} CSS); budget 200 KB`);
  const pages = Object.entries(sizes.pages).sort((a, b) => b[1] - a[1]);
  console.log(`Each page adds on first visit: ${pages.map(([page, bytes]) => `${page.replace(/^.*\//, '').replace(/\.tsx$/, '')} ${kb(bytes)}`).join(', ')}`);

  await withSeededEnvironment(async ({ endpoint, tableName, adminToken }) => {
    const stack = await startLocalStack({ endpoint, tableName, dashboardDir: dist });
    const browser = await launchChromium();
    try {
      await measureFlagsPage(stack.url, adminToken, browser);
    } finally {
      await browser.close();
      await stack.stop();
    }
  });
}

async function measureFlagsPage(apiUrl: string, adminToken: string, browser: Awaited<ReturnType<typeof launchChromium>>): Promise<void> {
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const answer = await fetch(`${apiUrl}${path}`, { method, headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!answer.ok) throw new Error(`${method} ${path} answered ${answer.status}: ${await answer.text()}`);
    return (await answer.json()) as T;
  };
  const organisationId = (await admin<{ items: { id: string }[] }>('GET', '/admin/v1/organisations')).items[0]?.id;
  const projectId = (await admin<{ items: { id: string }[] }>('GET', `/admin/v1/organisations/${organisationId}/projects`)).items[0]?.id;
  // The seeded environment, and two more, as a project usually has.
  for (const name of ['staging', 'production']) await admin('POST', `/admin/v1/projects/${projectId}/environments`, { name });
  const environments = (await admin<{ items: { id: string; name: string }[] }>('GET', `/admin/v1/projects/${projectId}/environments`)).items;
  const existing = (await admin<{ items: unknown[] }>('GET', `/admin/v1/projects/${projectId}/features?limit=1000`)).items.length;
  const names = Array.from({ length: FEATURES - existing }, (_, i) => `bench_flag_${String(i).padStart(4, '0')}`);
  for (let i = 0; i < names.length; i += 20) {
    await Promise.all(names.slice(i, i + 20).map((name) => admin('POST', `/admin/v1/projects/${projectId}/features`, { name, description: `Benchmark flag ${name}`, tags: ['bench'] })));
  }
  const flagsUrl = `${apiUrl}/o/${organisationId}/p/${projectId}/e/${environments[0]?.id}/flags`;

  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${apiUrl}/`);
  await page.getByLabel('Admin token').fill(adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Flags' }).waitFor({ timeout: 120_000 });

  const renders: number[] = [];
  const toggles: number[] = [];
  const ends: number[] = [];
  let drawnSwitches = 0;
  const envCount = environments.length;
  // A row is shown once its switch of every environment is there (the flags matrix brings them all in one answer).
  const rowShown = (index: number) => page.waitForFunction(([i, expected]) => document.querySelectorAll(`tbody tr[data-index="${i}"] [role="switch"]`).length === expected, [index, envCount] as const, { polling: 'raf', timeout: 120_000 });
  for (let run = 0; run < RUNS; run++) {
    await page.goto(flagsUrl);
    // The first screen of rows, with every environment's switch and the count of all 1,000.
    await page.waitForFunction((total) => document.body.textContent?.includes(`${total} of ${total} flags`), FEATURES, { polling: 'raf', timeout: 120_000 });
    await rowShown(0);
    renders.push(await page.evaluate(() => performance.now()));
    drawnSwitches = await page.evaluate(() => document.querySelectorAll('[role="switch"]').length);
    toggles.push(
      await page.evaluate(() => {
        const toggle = document.querySelector<HTMLInputElement>('tbody tr[data-index="0"] [role="switch"]') as HTMLInputElement;
        const before = toggle.checked;
        const started = performance.now();
        toggle.click();
        return new Promise<number>((resolve) => {
          const check = () => (toggle.checked !== before ? resolve(performance.now() - started) : requestAnimationFrame(check));
          check();
        });
      }),
    );
    const started = await page.evaluate(() => {
      window.scrollTo(0, document.documentElement.scrollHeight);
      return performance.now();
    });
    await rowShown(FEATURES - 1);
    ends.push((await page.evaluate(() => performance.now())) - started);
  }
  console.log(`Flags page of a ${FEATURES}-feature project, ${envCount} environments (${FEATURES * envCount} switches, ${drawnSwitches} drawn near the window), navigation to the first screen of rows shown: ${summary(renders)} (${RUNS} runs)`);
  console.log(`Jump to the end of the list (scroll to the bottom until the last row is shown): ${summary(ends)}`);
  console.log(`A toggle shows its new state (before the server answers): ${summary(toggles)}`);
}
