/**
 * The dashboard journeys' stack, started by the project's global setup (global-setup.ts) in the
 * background: the dashboard built, `npm run dev`, Chromium, and an organisation per journey. Its
 * own module, loaded only then, so the setup's loading (the functions' domain code, transformed
 * in vitest's process) holds no test back.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { BrowserServer } from 'playwright-core';
import { leanDocumentTable } from '../../../functions/data/lean-dynamodb.js';
import { TableStore } from '../../../functions/data/table-store.js';
import type { Deps } from '../../../functions/domain/use-cases/support.js';
import { hashSecret } from '../../../functions/domain/use-cases/support.js';
import { addMember } from '../../../functions/domain/use-cases/people.js';
import { localDynamoClientConfig } from '../../../functions/local/dynamodb-local-config.js';
import { localSubject } from '../../../functions/local/oidc-provider.js';
import { DEMO_USER, ensureDemo, type LocalConfig } from '../../../functions/local/seed.js';
import { launchChromiumServer } from '../../support/browser.js';
import { type DevProcess, freePort, quietEnv, REPO_ROOT, startDev } from '../../support/dev-process.js';
import { until } from '../../support/until.js';
import { type DashboardStack, type JourneyOrganisation, OWN_ORGANISATIONS, type OwnOrganisation } from './stack.js';

/** What a start has started so far: the setup stops it, whether the start finished or failed. */
export interface Running {
  dev?: DevProcess;
  launched?: Promise<BrowserServer>;
}

/** Builds what ships: vitest sets NODE_ENV=test, which would give Vite React's development build. */
function buildDashboard(): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'dashboard/vite.config.ts', '--logLevel', 'warn'], {
      cwd: REPO_ROOT,
      env: { ...quietEnv, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`Building the dashboard failed:\n${output}`));
      console.log(`dashboard built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      resolve();
    });
  });
}

/** A journey's organisation with the demo data, and its admin person (named as the local provider names an address it does not know: by the address). */
async function seedOrganisation(deps: Deps, stack: LocalConfig & { signIn: NonNullable<LocalConfig['signIn']> }, journey: string): Promise<JourneyOrganisation> {
  const demo = await ensureDemo(deps, undefined, { apiUrl: stack.apiUrl });
  const organisation = await deps.store.get({ type: 'organisation', id: demo.organisationId });
  const token = await deps.store.get({ type: 'token', hash: hashSecret(demo.adminToken) });
  if (!organisation || !token) throw new Error(`the ${journey} journey's organisation was not written`);
  const email = `${journey}@example.com`;
  await addMember(deps, token, organisation, { issuer: stack.signIn.issuer, subject: localSubject(email), email, name: email }, { organisation: 'admin' });
  return { ...demo, signIn: stack.signIn, person: { email, name: email } };
}

/**
 * Resolves once the environment's document is served to SDKs with every demo flag: the stack
 * publishes it from the table's stream (written by another process here, so its next poll finds them).
 */
async function published(apiUrl: string, clientKey: string, flags: number): Promise<void> {
  const served = async () => {
    const response = await fetch(`${apiUrl}/api/v1/flags/`, { headers: { 'x-environment-key': clientKey } });
    return (response.ok ? ((await response.json()) as unknown[]).length : (await response.text(), 0)) >= flags;
  };
  // A bound on a hang only (as everywhere in the suite): a loaded machine publishes slowly.
  await until(served, `the environment of client key ${clientKey.slice(0, 12)}… published with its ${flags} flags`, 300_000);
}

/** Starts it all, recording each process in `running` as it starts. */
export async function startDashboardStack(stateDir: string, running: Running): Promise<DashboardStack> {
  // The build writes the files the server reads on each request, and the browser needs neither
  // until a journey starts: all three start together.
  const built = buildDashboard();
  built.catch(() => undefined);
  const launched = (running.launched = launchChromiumServer());
  launched.catch(() => undefined);
  const dev = (running.dev = await startDev({ port: await freePort(), stateDir, args: ['--in-memory'] }));
  const config = dev.config as LocalConfig & { dynamoEndpoint: string; tableName: string };
  const signIn = config.signIn;
  if (!signIn) throw new Error('npm run dev started without its OpenID provider');
  // The lean client (as seeding.ts): this process need not load the AWS SDK for a few writes.
  const deps: Deps = { store: new TableStore(leanDocumentTable(localDynamoClientConfig(config.dynamoEndpoint)), config.tableName), clock: () => new Date() };
  const organisations = {} as Record<OwnOrganisation, JourneyOrganisation>;
  await Promise.all(OWN_ORGANISATIONS.map(async (journey) => (organisations[journey] = await seedOrganisation(deps, { ...config, signIn }, journey))));
  const demoFlags = (await (await fetch(`${config.apiUrl}/admin/v1/projects/${config.projectId}/features`, { headers: { authorization: `Bearer ${config.adminToken}` } })).json()) as { items: unknown[] };
  await Promise.all(Object.values(organisations).flatMap((organisation) => organisation.environments.map((environment) => published(config.apiUrl, environment.clientKey, demoFlags.items.length))));
  const browser = await launched;
  await built;
  const stack: DashboardStack = {
    apiUrl: config.apiUrl,
    browserEndpoint: browser.wsEndpoint(),
    table: { dynamoEndpoint: config.dynamoEndpoint, tableName: config.tableName },
    demo: { ...config, signIn, person: { email: signIn.demoEmail, name: DEMO_USER.name } },
    organisations,
  };
  return stack;
}
