/** Runs the `vexilla` command line: exit 0 done, 1 failed, 2 usage mistake. */
import { CommanderError } from 'commander';
import type { Io } from './context.js';
import { takeExitCode } from './command.js';
import { CliError, UsageError } from './errors.js';
import { buildProgram } from './program.js';

export async function main(argv: string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  try {
    takeExitCode();
    await program.parseAsync(argv, { from: 'user' });
    return takeExitCode();
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; help shown for a missing subcommand and every parse error, 2.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      io.err(`${error.message}\n(run with --help for usage)`);
      return 2;
    }
    if (error instanceof CliError) {
      io.err(`Error: ${error.message}`);
      return 1;
    }
    io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

export { processIo } from './context.js';
