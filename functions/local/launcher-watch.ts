/**
 * Notices when whatever launched the dev process is gone. `npm run dev` starts
 * `npm → sh -c → node dev.ts`; a SIGTERM to npm reaches the shell at most, which dies without
 * passing it on, and a SIGHUP or SIGKILL to npm reaches nothing: dev.ts would keep serving,
 * orphaned. So dev.ts watches its launchers — its ancestors up to the nearest npm, or its
 * parent alone when no npm started it — and stops everything once one of them is gone.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export interface Launcher {
  pid: number;
  command: string;
}

/** How far up to look for npm: npm → sh → node is two levels; a tsx CLI or npx adds one each. */
const MAX_DEPTH = 6;

/** Whether a command line is npm's (`npm run dev`, `npm exec`, npx): npm names its process so. */
const isNpm = (command: string) => /^(npm|npx)(\.cmd)?(\s|$)/.test(command) || /(^|\/)npm-cli\.js(\s|$)/.test(command);

/** The processes to watch: ancestors up to the nearest npm, or the parent alone. Never pid 1. */
export function launchersOf(table: ReadonlyMap<number, { ppid: number; command: string }>, self: number): Launcher[] {
  const chain: Launcher[] = [];
  let pid = table.get(self)?.ppid;
  for (let depth = 0; pid !== undefined && pid > 1 && depth < MAX_DEPTH; depth++) {
    const entry = table.get(pid);
    if (!entry) break;
    chain.push({ pid, command: entry.command });
    if (isNpm(entry.command)) return chain;
    pid = entry.ppid;
  }
  return chain.slice(0, 1);
}

/** The process table from `ps` (POSIX: Linux and macOS alike). */
async function processTable(): Promise<Map<number, { ppid: number; command: string }>> {
  const { stdout } = await execFileAsync('ps', ['-A', '-o', 'pid=,ppid=,args='], { maxBuffer: 16 * 1024 * 1024 });
  const table = new Map<number, { ppid: number; command: string }>();
  for (const line of stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const [pid, ppid] = [Number(fields[0]), Number(fields[1])];
    if (Number.isInteger(pid) && Number.isInteger(ppid)) table.set(pid, { ppid, command: fields.slice(2).join(' ') });
  }
  return table;
}

/** Whether a process with this id exists (EPERM: it does, it is just not ours to signal). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, it is just not ours to signal.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export interface LauncherWatch {
  launchers: Launcher[];
  stop(): void;
}

/**
 * Calls `onGone` once, with the first launcher found gone (or the parent, when this process
 * was reparented). Checks every `intervalMs` (a signal-0 per launcher: no process is started).
 */
export async function watchLaunchers(onGone: (launcher: Launcher) => void, intervalMs = 500): Promise<LauncherWatch> {
  const parent = process.ppid;
  let launchers: Launcher[];
  try {
    launchers = launchersOf(await processTable(), process.pid);
  } catch {
    // No `ps` (a minimal container): the parent alone, which process.ppid tells.
    launchers = [{ pid: parent, command: 'parent process' }];
  }
  let fired = false;
  const timer = setInterval(() => {
    if (fired) return;
    const gone = process.ppid !== parent ? (launchers[0] ?? { pid: parent, command: 'parent process' }) : launchers.find((launcher) => !alive(launcher.pid));
    if (gone) {
      fired = true;
      clearInterval(timer);
      onGone(gone);
    }
  }, intervalMs);
  timer.unref();
  return { launchers, stop: () => clearInterval(timer) };
}
