/** What every `vexilla` command is: its help, and a run that returns an exit code. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  summary: string;
  usage: string;
  run(argv: string[], io: Io): Promise<number>;
}

/** A mistake in how the command was called: shown with the usage, exit code 2. */
export class UsageError extends Error {}
