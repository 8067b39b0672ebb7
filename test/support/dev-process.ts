/**
 * `npm run dev` as a separate process, started the way a newcomer starts it: the tests that use
 * it talk to it through its public interfaces only (HTTP, the CLI, `.vexilla/local.json`).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LocalConfig } from '../../functions/local/seed.js';

const execFileAsync = promisify(execFile);
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The environment of processes started as a user starts them: logs on, the SDK's Node warning off. */
export const quietEnv: NodeJS.ProcessEnv = (() => {
  const { POWERTOOLS_LOG_LEVEL: _silenced, ...env } = process.env;
  return { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
})();

export interface DevProcess {
  child: ChildProcess;
  /** The process group: dev.ts (DynamoDB Local's Java has a group of its own). */
  pgid: number;
  /** DynamoDB Local's Java, as the banner names it. */
  javaPid: number;
  config: LocalConfig;
  output(): string;
  /** Ctrl-C: resolves with how it exited, or 'timeout'. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'timeout'>;
  /** Takes the whole group down at once (for cleanup after a failed test); Java's watchdog then stops Java. */
  kill(): void;
}

/**
 * A free port below Linux's ephemeral range (32768-60999): the kernel hands ports of that range
 * to every `listen(0)` and outgoing connection, so a port picked there can be taken before a test
 * listens on it, or between a stop and a restart on the same port. Below it, only someone who
 * names the port can take it.
 */
const PICK_FROM = 20_000;
const PICK_TO = 32_767;

export async function freePort(): Promise<number> {
  for (;;) {
    const port = PICK_FROM + Math.floor(Math.random() * (PICK_TO - PICK_FROM + 1));
    if (await isFree(port)) return port;
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A management API call to a running `npm run dev`, as the admin (or the given token): status and parsed body. */
export async function adminCall<T = any>(dev: DevProcess, method: string, path: string, body?: unknown, token = dev.config.adminToken): Promise<{ status: number; body: T }> {
  const response = await fetch(`${dev.config.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** Whether a process is running (a zombie, exited but not reaped, is not). */
export async function isRunning(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const { stdout } = await execFileAsync('ps', ['-o', 'stat=', '-p', String(pid)]).catch(() => ({ stdout: '' }));
  return stdout.trim() !== '' && !stdout.trim().startsWith('Z');
}

/** Processes in a process group, from `ps` (pid and command line). */
export async function processGroup(pgid: number): Promise<{ pid: number; args: string }[]> {
  const { stdout } = await execFileAsync('ps', ['-eo', 'pid=,pgid=,args=']);
  return stdout
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && Number(match[2]) === pgid)
    .map((match) => ({ pid: Number(match[1]), args: match[3] ?? '' }));
}

/** Starts dev.ts as `npm run dev` does, and waits until its API is up and local.json written. */
export async function startDev(options: { port: number; stateDir: string; args?: string[]; env?: Record<string, string> }): Promise<DevProcess> {
  // dev.ts through its launcher (bundled, cached), as `npm run dev` runs it. Its own process group,
  // so whatever it starts can be found; Java has a group of its own, stopped by dev.ts's shutdown only.
  const child = spawn(
    process.execPath,
    ['functions/local/dev.mjs', '--port', String(options.port), '--state-dir', options.stateDir, ...(options.args ?? [])],
    { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...quietEnv, ...options.env } },
  );
  const pgid = child.pid as number;
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const configFile = join(options.stateDir, 'local.json');
  // A restart finds the previous local.json at once: wait for this run's banner (printed after
  // it wrote local.json), on each chunk of output, instead.
  await new Promise<void>((resolve, reject) => {
    // A bound on a hang only: a loaded machine starts Java slowly.
    const bound = setTimeout(() => reject(new Error(`dev.ts did not start in time:\n${output}`)), 300_000);
    const started = () => {
      if (!output.includes('Press Ctrl-C to stop')) return;
      clearTimeout(bound);
      resolve();
    };
    child.stdout?.on('data', started);
    child.once('exit', (code) => {
      clearTimeout(bound);
      reject(new Error(`dev.ts exited early with ${code}:\n${output}`));
    });
    started();
  });
  if (!existsSync(configFile)) throw new Error(`dev.ts started without writing ${configFile}:\n${output}`);
  const config = JSON.parse(await readFile(configFile, 'utf8')) as LocalConfig;
  return {
    child,
    pgid,
    javaPid: Number(/Java pid (\d+)/.exec(output)?.[1]),
    config,
    output: () => output,
    stop: async () => {
      process.kill(pgid, 'SIGINT');
      return Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000))]);
    },
    kill: () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
  };
}
