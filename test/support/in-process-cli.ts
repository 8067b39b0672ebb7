/** The CLI (`vexilla …`) run in this process against an API, as a test drives it. */
import type { Io } from '../../cli/context.js';
import { main } from '../../cli/main.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A `vexilla` function for a test: each call runs the CLI's `main` with `--api-url` and `--token`
 * from `connection` (read at call time, so it may name a stack started in `beforeAll`), and
 * answers what it printed and its exit code.
 */
export function inProcessCli(connection: () => { url: string; token: string }): (...args: string[]) => Promise<CliRun> {
  return async (...args) => {
    let stdout = '';
    let stderr = '';
    const io: Io = { out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`), write: (text) => (stdout += text), interactive: false, progress: false };
    const { url, token } = connection();
    const code = await main(['--api-url', url, '--token', token, ...args], io);
    return { code, stdout, stderr };
  };
}
