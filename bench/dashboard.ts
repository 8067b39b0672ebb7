/**
 * The dashboard: what a browser downloads for the shell and for each page (gzipped, from the
 * build), and, in Debian's Chromium against the local stack serving the build, how long the flags page of a
 * 1,000-feature project takes to show every row (navigation start to the last switch in the
 * DOM, API calls included) and how long a toggle takes to show its new state.
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
  const last = names.at(-1) as string;
  const flagsUrl = `${apiUrl}/o/${organisationId}/p/${projectId}/e/${environments[0]?.id}/flags`;

  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await page.goto(`${apiUrl}/`);
  await page.getByLabel('Admin token').fill(adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Flags' }).waitFor({ timeout: 120_000 });

  const renders: number[] = [];
  const toggles: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    await page.goto(flagsUrl);
    // Every environment's switch of every feature: the whole table is on the page.
    await page.waitForFunction((expected) => document.querySelectorAll('[role="switch"]').length >= expected, FEATURES * environments.length, { polling: 'raf', timeout: 120_000 });
    renders.push(await page.evaluate(() => performance.now()));
    toggles.push(
      await page.evaluate((label) => {
        const toggle = document.querySelector<HTMLInputElement>(`[role="switch"][aria-label="${label}"]`) as HTMLInputElement;
        const before = toggle.checked;
        const started = performance.now();
        toggle.click();
        return new Promise<number>((resolve) => {
          const check = () => (toggle.checked !== before ? resolve(performance.now() - started) : requestAnimationFrame(check));
          check();
        });
      }, `${last} in ${environments[0]?.name}`),
    );
  }
  console.log(`Flags page of a ${FEATURES}-feature project, ${environments.length} environments (${FEATURES * environments.length} switches), navigation to every row shown: ${summary(renders)} (${RUNS} runs)`);
  console.log(`A toggle shows its new state (before the server answers): ${summary(toggles)}`);
}
