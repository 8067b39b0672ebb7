/**
 * The `vexilla` command tree. One family per resource of the management API (see
 * test/unit/cli-coverage.test.ts: every route of functions/http/routes.ts needs a command).
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { setContext } from './command.js';
import { analyticsCommand } from './commands/analytics.js';
import { bootstrapCommand } from './commands/bootstrap.js';
import { documentCommands } from './commands/documents.js';
import { featuresCommands } from './commands/features.js';
import { governanceCommands } from './commands/governance.js';
import { organisationCommands } from './commands/organisation.js';
import { rolloutCommands } from './commands/rollouts.js';
import { peopleCommands } from './commands/people.js';
import { shellCommands } from './commands/shell.js';
import { targetingCommands } from './commands/targeting.js';
import { tenantCommands } from './commands/tenants.js';
import { templateCommands } from './commands/templates.js';
import { webhookCommands } from './commands/webhooks.js';
import { Context, type Io } from './context.js';

// Bundled, the version is built in (cli/vexilla.mjs); run from source, it is read.
const version = process.env.VEXILLA_VERSION ?? (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function buildProgram(io: Io): Command {
  const program = new Command('vexilla')
    .description(
      'Vexilla from the command line: flags, environments, segments, overrides, webhooks, change requests and more.\n\n' +
        'It talks to VEXILLA_API_URL with VEXILLA_TOKEN, or to the local stack (`npm run dev` writes .vexilla/local.json).\n' +
        'Names or ids work everywhere; --json on every command; exit codes: 0 done, 1 failed, 2 usage mistake.',
    )
    .version(version, '-v, --version')
    .option('--api-url <url>', 'the API (default: VEXILLA_API_URL, else the local stack)')
    .option('--token <token>', 'an admin token (default: VEXILLA_TOKEN, else the local stack)')
    .showHelpAfterError('(run with --help for usage)')
    .showSuggestionAfterError()
    .configureOutput({ writeOut: (text) => io.write(text), writeErr: (text) => io.err(text.replace(/\n$/, '')) })
    .exitOverride();

  organisationCommands(program);
  peopleCommands(program);
  featuresCommands(program);
  targetingCommands(program);
  tenantCommands(program);
  templateCommands(program);
  webhookCommands(program);
  governanceCommands(program);
  rolloutCommands(program);
  documentCommands(program);
  analyticsCommand(program);
  bootstrapCommand(program);
  shellCommands(program);

  // Every command: usage errors exit 2 (commander's own exit is overridden above).
  const override = (command: Command) => {
    command.exitOverride().configureOutput({ writeOut: (text) => io.write(text), writeErr: (text) => io.err(text.replace(/\n$/, '')) });
    command.showHelpAfterError('(run with --help for usage)').showSuggestionAfterError();
    command.commands.forEach(override);
  };
  program.commands.forEach(override);

  program.hook('preAction', (_, action) => {
    setContext(new Context(io, action.optsWithGlobals()));
  });
  return program;
}
