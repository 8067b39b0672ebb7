/**
 * `npm run dev` leaves nothing running, however it is stopped: a SIGTERM or SIGHUP to npm (which
 * reaches the shell npm started at most; a SIGKILL of npm is the SIGHUP case for the dev process,
 * whose launcher is gone either way), a SIGKILL of the dev process itself, or Ctrl-C.
 * Java never outlives the dev process. Each test starts the real `npm run dev` in its own
 * process group and waits for conditions (processes gone, lines printed), never for durations.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, isRunning, processGroup, quietEnv, REPO_ROOT } from '../support/dev-process.js';

interface NpmDev {
  npm: ChildProcess;
  /** npm's process group: npm, its shell and the dev process. */
  pgid: number;
  javaPid: number;
  devPid: number;
  output(): string;
}

const running: NpmDev[] = [];
const stateDirs: string[] = [];

async function waitUntil(what: string, condition: () => Promise<boolean> | boolean, deadlineMs = 120_000): Promise<void> {
  await expect.poll(condition, { timeout: deadlineMs, message: `Still waiting for: ${what}` }).toBe(true);
}

async function startNpmDev(): Promise<NpmDev> {
  const stateDir = await mkdtemp(join(tmpdir(), 'vexilla-hygiene-'));
  stateDirs.push(stateDir);
  const port = await freePort();
  const npm = spawn('npm', ['run', 'dev', '--', '--in-memory', '--port', String(port), '--state-dir', stateDir], {
    cwd: REPO_ROOT,
    // Its own process group, as a terminal gives a foreground job.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: quietEnv,
  });
  let output = '';
  npm.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  npm.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const pgid = npm.pid as number;
  await waitUntil('the dev stack to be up', () => {
    if (npm.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`);
    return output.includes('Press Ctrl-C to stop') && existsSync(join(stateDir, 'local.json'));
  });
  const javaPid = Number(/Java pid (\d+)/.exec(output)?.[1]);
  const dev = (await processGroup(pgid)).find((process) => /^\S*node functions\/local\/dev\.mjs /.test(process.args));
  if (!javaPid || !dev) throw new Error(`Could not find Java and the dev process:\n${output}`);
  const started = { npm, pgid, javaPid, devPid: dev.pid, output: () => output };
  running.push(started);
  return started;
}

/** Everything it started is gone: npm's group (npm, sh, the dev process) and Java. */
async function nothingLeft(dev: NpmDev): Promise<void> {
  await waitUntil('Java to exit', async () => !(await isRunning(dev.javaPid)));
  await waitUntil('npm, its shell and the dev process to exit', async () => {
    const left = await Promise.all((await processGroup(dev.pgid)).map((process) => isRunning(process.pid)));
    return !left.includes(true);
  });
}

const stoppingLines = (output: string) => output.split('\n').filter((line) => line.startsWith('Vexilla stopping'));

afterEach(async () => {
  for (const dev of running.splice(0)) {
    for (const pid of [-dev.pgid, dev.javaPid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Gone, as it should be.
      }
    }
  }
  for (const dir of stateDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('npm run dev leaves nothing running', () => {
  it('after DynamoDB Local dies says so once and backs off; then `kill <npm pid>` stops everything with one line', async () => {
    const dev = await startNpmDev();

    // DynamoDB Local dies under it.
    process.kill(dev.javaPid, 'SIGKILL');
    await waitUntil('one line about DynamoDB Local', () => dev.output().includes('DynamoDB Local exited unexpectedly'));
    await waitUntil('the event pipeline to notice', () => dev.output().includes('event pipeline cannot read'));

    // Act: SIGTERM to npm, as `kill <pid of npm run dev>` sends.
    process.kill(dev.npm.pid as number, 'SIGTERM');

    // Assess
    await nothingLeft(dev);
    expect(dev.output().split('\n').filter((line) => line.includes('DynamoDB Local exited unexpectedly'))).toHaveLength(1);
    expect(dev.output().split('\n').filter((line) => line.includes('event pipeline cannot read'))).toHaveLength(1);
    expect(dev.output()).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/); // no stack trace
    expect(stoppingLines(dev.output())).toHaveLength(1);
  });

  it('stops everything on a SIGHUP to npm (the terminal closed)', async () => {
    const dev = await startNpmDev();
    process.kill(dev.npm.pid as number, 'SIGHUP');
    await nothingLeft(dev);
    expect(stoppingLines(dev.output())).toHaveLength(1);
  });

  it('stops everything on Ctrl-C (SIGINT to the whole foreground group), printing one line after the banner', async () => {
    const dev = await startNpmDev();
    const banner = dev.output().length;
    process.kill(-dev.pgid, 'SIGINT');
    await nothingLeft(dev);
    const after = dev.output().slice(banner).split('\n').filter((line) => line.trim() !== '');
    expect(after).toEqual([expect.stringMatching(/^Vexilla stopping \(SIGINT\): /)]);
  });

  it('never orphans Java when the dev process is killed with SIGKILL', async () => {
    const dev = await startNpmDev();
    process.kill(dev.devPid, 'SIGKILL');
    await nothingLeft(dev);
  });
});
