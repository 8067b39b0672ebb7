/**
 * How a command is declared: a commander command that names the management-API operations it
 * calls (`uses`), so a test can check every route of the table has a command, and whose action
 * gets the shared Context. Adding a command is a few lines:
 *
 *   leaf(family, 'get <name>', 'Show a thing', ['getThing'])
 *     .action(run(async (ctx, name, options) => { ... }));
 */
import { Command, Option } from 'commander';
import type { Context } from './context.js';

const operationsOf = new WeakMap<Command, string[]>();

/** The operations a command declared. */
export const usedOperations = (command: Command): string[] => operationsOf.get(command) ?? [];

/** A command family (`vexilla features ...`). */
export function family(parent: Command, name: string, description: string, aliases: string[] = []): Command {
  const command = parent.command(name).description(description);
  for (const alias of aliases) command.alias(alias);
  return command;
}

/** A command that does something: `--json` always, and the operations it calls. */
export function leaf(parent: Command, nameAndArgs: string, description: string, uses: string[]): Command {
  const command = parent.command(nameAndArgs).description(description).option('--json', 'print JSON (for scripts)');
  operationsOf.set(command, uses);
  return command;
}

/** Options every command that works in an environment takes. */
export const environmentOption = (required = true) =>
  new Option('-e, --environment <name|id>', `the environment${required ? '' : ' (optional)'}`).makeOptionMandatory(required);
export const projectOption = () => new Option('-p, --project <name|id>', 'the project (default: the only one, or the local demo project)');
export const yesOption = () => new Option('-y, --yes', 'do it without asking');

let current: Context | undefined;
let exitCode = 0;
/** The exit code the last action asked for (0 unless it returned one); read once by main. */
export const takeExitCode = () => {
  const code = exitCode;
  exitCode = 0;
  return code;
};
/** Set once by the program; commands read it through `run`. */
export const setContext = (context: Context) => {
  current = context;
};

/** Wraps an action: commander's positional arguments and options, plus the Context first. */
export function run<A extends unknown[]>(action: (ctx: Context, ...args: A) => Promise<void | number>) {
  return async (...args: unknown[]) => {
    // A README check of commands that cannot run here (they need AWS): parse, validate, stop.
    if (process.env.VEXILLA_PARSE_ONLY === '1') return;
    // commander passes (...positionals, options, command).
    const code = await action(current as Context, ...(args.slice(0, -1) as A));
    if (typeof code === 'number') exitCode = code;
  };
}
