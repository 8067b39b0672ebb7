/**
 * The CLI covers the management API: every route of functions/http/routes.ts (admin-api and the
 * public OpenAPI document) is called by some `vexilla` command, which names the operations it
 * uses (cli/command.ts `leaf(..., uses)`). A new route without a command fails here: add one
 * (a few lines in cli/commands/) or extend a command's `uses`.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { adminOperations } from '../../cli/api.js';
import { usedOperations } from '../../cli/command.js';
import { completionScript } from '../../cli/commands/shell.js';
import type { Io } from '../../cli/context.js';
import { buildProgram } from '../../cli/program.js';

const io: Io = { out: () => undefined, err: () => undefined, write: () => undefined, interactive: false, progress: false };
const program = buildProgram(io);
const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
const commandPath = (command: Command): string => (command.parent ? `${commandPath(command.parent)} ${command.name()}` : command.name());

describe('the CLI and the route table', () => {
  it('has a command for every operation of the management API', () => {
    const covered = new Set(all(program).flatMap(usedOperations));
    const missing = adminOperations().filter((operation) => !covered.has(operation));
    expect(missing, `operations without a vexilla command: ${missing.join(', ')}`).toEqual([]);
  });

  it('names only operations that exist (a renamed route fails here too)', () => {
    const known = new Set(adminOperations());
    const unknown = all(program).flatMap((command) => usedOperations(command).filter((operation) => !known.has(operation)).map((operation) => `${commandPath(command)}: ${operation}`));
    expect(unknown).toEqual([]);
  });

  it('gives every command that does something --json and a description', () => {
    const leaves = all(program).filter((command) => command.commands.length === 0 && !['completion', 'export'].includes(command.name()));
    const without = leaves.filter((command) => !command.options.some((option) => option.long === '--json') || !command.description()).map(commandPath);
    expect(without).toEqual([]);
  });

  it('asks before every destructive command (--yes)', () => {
    const destructive = all(program).filter((command) => /^(delete|revoke|remove|rotate-.*|restore|apply|close|cancel)$/.test(command.name()));
    expect(destructive.length).toBeGreaterThan(10);
    expect(destructive.filter((command) => !command.options.some((option) => option.long === '--yes')).map(commandPath)).toEqual([]);
  });

  it('completes every command in bash, zsh and fish', () => {
    const bash = completionScript(program, 'bash');
    expect(bash).toContain('["_features"]="list get create');
    expect(bash).toContain('["_change-requests"]="list get create update approve apply close comment');
    expect(completionScript(program, 'zsh')).toMatch(/^#compdef vexilla\nautoload -U \+X bashcompinit && bashcompinit/);
    expect(completionScript(program, 'fish')).toContain("complete -c vexilla -n \"__vexilla_path_is 'webhooks'\" -a deliveries");
  });
});
