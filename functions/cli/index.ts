/**
 * The `vexilla` command line. Each command is an entry in `commands`: it gets its own
 * arguments and returns an exit code. Usage mistakes exit with 2, failures with 1.
 *
 *   vexilla bootstrap --table <name> [--endpoint <url>] [--region <region>] [--name <name>] [--json]
 *   vexilla import flagsmith <file> --environment <envId> [--dry-run] [--json]
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { type DynamoDBClientConfig, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoStore } from '../data/dynamo-store.js';
import { bootstrapOrganisation } from '../domain/use-cases/organisation.js';
import { localDynamoClientConfig } from '../local/dynamodb-local.js';
import { documentClient } from '../shared/dynamodb.js';
import { importCommand } from './import.js';
import { invitationsCommand, membersCommand } from './people.js';
import { auditCommand, diffCommand, exportCommand, featuresCommand, identitiesCommand, segmentsCommand, typesCommand } from './resources.js';

export { type Command, type Io, UsageError } from './command.js';
import { type Command, type Io, UsageError } from './command.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** DynamoDB client settings: the default AWS chain, or DynamoDB Local's for a localhost endpoint. */
export function dynamoConfig(options: { endpoint?: string | undefined; region?: string | undefined }): DynamoDBClientConfig {
  const { endpoint, region } = options;
  if (endpoint === undefined) return region ? { region } : {};
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint must be a URL, like http://localhost:8000 (got "${endpoint}").`);
  }
  if (LOCAL_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost')) {
    return { ...localDynamoClientConfig(endpoint), ...(region ? { region } : {}) };
  }
  return { endpoint, ...(region ? { region } : {}) };
}

/** parseArgs, with its complaints turned into usage errors. */
function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

const bootstrap: Command = {
  summary: 'Create the first organisation and an organisation-admin token',
  usage: `Usage: vexilla bootstrap --table <name> [options]

Creates an organisation and an admin token for it in the given table. The token is printed
once: only its hash is stored, so it cannot be shown again.

Options:
  --table <name>       DynamoDB table (the stack's table name)
  --endpoint <url>     DynamoDB endpoint, e.g. http://localhost:8000 for DynamoDB Local
                       (default: AWS, with credentials from the default provider chain)
  --region <region>    AWS region (default: from the environment / AWS config)
  --name <name>        Organisation name (default: "Default organisation")
  --json               Print {"organisationId", "token"} as JSON
  -h, --help           Show this help`,
  async run(argv, io) {
    const { values } = parse({
      args: argv,
      options: {
        table: { type: 'string' },
        endpoint: { type: 'string' },
        region: { type: 'string' },
        name: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      io.out(this.usage);
      return 0;
    }
    const table = values.table;
    if (!table) throw new UsageError('--table is required.');
    const name = (values.name ?? 'Default organisation').trim();
    if (!name) throw new UsageError('--name must not be empty.');

    const config = dynamoConfig({ endpoint: values.endpoint, region: values.region });
    const client = documentClient(config);
    try {
      const deps = { store: new DynamoStore(client, table), clock: () => new Date() };
      const { organisation, secret } = await bootstrapOrganisation(deps, { name });
      if (values.json) {
        io.out(JSON.stringify({ organisationId: organisation.id, token: secret }));
      } else {
        io.out(
          [
            `Created organisation "${organisation.name}" (${organisation.id}) in table ${table}.`,
            '',
            'Organisation admin token:',
            '',
            `  ${secret}`,
            '',
            'Store it now: it cannot be shown again (only its hash is kept).',
          ].join('\n'),
        );
      }
      return 0;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) {
        const where = values.endpoint ? `at ${values.endpoint}` : `in region ${(await client.config.region().catch(() => '?')) || '?'}`;
        throw new Error(`Table "${table}" was not found ${where}: check --table, --region and --endpoint.`);
      }
      if (values.endpoint && (error as NodeJS.ErrnoException).code === 'ECONNREFUSED') {
        throw new Error(`Could not reach DynamoDB at ${values.endpoint} (connection refused): is it running?`);
      }
      if (error instanceof Error && /region is missing/i.test(error.message)) {
        throw new Error('No AWS region configured: pass --region or set AWS_REGION.');
      }
      throw error;
    } finally {
      client.destroy();
    }
  },
};

/** Every command, by name. Add new ones here. */
export const commands: Record<string, Command> = {
  bootstrap,
  features: featuresCommand,
  segments: segmentsCommand,
  identities: identitiesCommand,
  audit: auditCommand,
  import: importCommand,
  export: exportCommand,
  diff: diffCommand,
  types: typesCommand,
  members: membersCommand,
  invitations: invitationsCommand,
};

export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((name) => name.length)) + 2;
  return [
    'Usage: vexilla <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, command]) => `  ${name.padEnd(width)}${command.summary}`),
    '',
    'Run "vexilla <command> --help" for the options of a command.',
  ].join('\n');
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    const asked = name !== undefined;
    (asked ? io.out : io.err)(usage());
    return asked ? 0 : 2;
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) {
    io.err(`Unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${command.usage}`);
      return 2;
    }
    io.err(`Error: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

// The SDK warns on every run that its 2027 releases will need Node 22; this project supports
// Node 20, so the warning is noise here. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
process.exitCode = await main(process.argv.slice(2), {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
});
