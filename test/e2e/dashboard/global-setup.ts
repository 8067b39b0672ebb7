/**
 * vitest globalSetup for the `dashboard` project: what every journey shares, made once.
 *
 * - The dashboard, built once (`npm run build:dashboard` → dist/dashboard), which `npm run dev`
 *   serves at `/`.
 * - One `npm run dev` (its own process, DynamoDB Local in memory): the journeys drive it through
 *   the browser and HTTP only.
 * - One Chromium (a browser server): each journey connects and works in a context of its own.
 * - An organisation of its own for each journey in OWN_ORGANISATIONS (stack.ts): the demo data
 *   `npm run dev` seeds (a project, development and production with their keys, the demo flags,
 *   segments and overrides) and a person who is its admin, written to the table as `vexilla
 *   bootstrap --endpoint` writes an organisation. A journey sees no other journey's changes, so
 *   files may run in any order and at once. The stack's own demo organisation (its demo person,
 *   its tenant settings page) is left to the journeys that need exactly it (see stack.ts).
 *
 * All of it starts in the background (test/support/background-setup.ts): the project's setup file
 * (stack-ready.ts) waits for it before each journey, and the run's other files need not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { prepareDynamoDbLocal } from '../../../functions/local/dynamodb-local.js';
import { settleInto } from '../../support/background-setup.js';
import type { Running } from './stack-start.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // What npm run dev and the run's other emulators share, made once first (dynamodb-global-setup.ts).
  await prepareDynamoDbLocal().catch(() => undefined);
  const stateDir = await mkdtemp(join(tmpdir(), 'vexilla-dashboard-'));
  // Outside npm run dev's state folder, which it owns.
  const stackFile = `${stateDir}.stack.json`;
  // Set as each starts, so a teardown after a failed start still stops them.
  const running: Running = {};
  const stop = async () => {
    const { dev, launched } = running;
    const stopping = Date.now();
    // Ctrl-C, as dev.stop() sends it, but with a bound that does not hold this process (vitest's
    // own) open once npm run dev has exited; a hang ends in killing its group.
    const stopDev = async () => {
      if (!dev || dev.child.exitCode !== null || dev.child.signalCode !== null) return;
      const exited = new Promise<boolean>((resolve) => dev.child.once('exit', () => resolve(true)));
      let bound: NodeJS.Timeout | undefined;
      const hung = new Promise<boolean>((resolve) => (bound = setTimeout(() => resolve(false), 120_000)));
      process.kill(dev.pgid, 'SIGINT');
      if (!(await Promise.race([exited, hung]))) console.error(`npm run dev did not stop:\n${dev.output().slice(-2000)}`);
      clearTimeout(bound);
      dev.kill();
    };
    const closeBrowser = async () => (await launched?.catch(() => undefined))?.close().catch(() => undefined);
    await Promise.all([closeBrowser(), stopDev()]);
    await rm(stateDir, { recursive: true, force: true });
    console.log(`npm run dev and Chromium stopped in ${((Date.now() - stopping) / 1000).toFixed(1)} s`);
  };
  let stopped: Promise<void> | undefined;
  const teardown = () => (stopped ??= stop());
  // A failed start stops what it started at once; its error goes to the journeys.
  const started = settleInto(
    stackFile,
    import('./stack-start.js')
      .then(({ startDashboardStack }) => startDashboardStack(stateDir, running))
      .catch(async (error: unknown) => {
        await teardown();
        throw error;
      }),
  );
  project.provide('dashboardStackFile', stackFile);
  return async () => {
    // Once the start is done, whatever it got to.
    await started;
    await teardown();
    await rm(stackFile, { force: true });
  };
}
