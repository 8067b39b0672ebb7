/**
 * `vexilla bootstrap`: the first organisation and its admin token, written straight to the table
 * (there is no API token yet). Refuses when the table already has an organisation, unless
 * `--force`: each run would otherwise make one more, silently.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Command } from 'commander';
import { leaf, run } from '../command.js';
import { CliError, UsageError } from '../errors.js';

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** DynamoDB client settings: the default AWS chain, or DynamoDB Local's for a localhost endpoint. */
// The AWS SDK loads only when bootstrap runs: every other command starts faster without it.
const aws = async () => {
  const [{ ResourceNotFoundException }, { ScanCommand }, { DynamoStore }, { bootstrapOrganisation }, { localDynamoClientConfig }, { documentClient }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('@aws-sdk/lib-dynamodb'),
    import('../../functions/data/dynamo-store.js'),
    import('../../functions/domain/use-cases/organisation.js'),
    import('../../functions/local/dynamodb-local.js'),
    import('../../functions/shared/dynamodb.js'),
  ]);
  return { ResourceNotFoundException, ScanCommand, DynamoStore, bootstrapOrganisation, localDynamoClientConfig, documentClient };
};

export function dynamoConfig(
  options: { endpoint?: string | undefined; region?: string | undefined },
  localDynamoClientConfig: (endpoint: string) => DynamoDBClientConfig,
): DynamoDBClientConfig {
  const { endpoint, region } = options;
  if (endpoint === undefined) return region ? { region } : {};
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--endpoint must be a URL, like the dynamoEndpoint of .vexilla/local.json (got "${endpoint}").`);
  }
  if (LOCAL_HOSTS.has(url.hostname) || url.hostname.endsWith('.localhost')) {
    return { ...localDynamoClientConfig(endpoint), ...(region ? { region } : {}) };
  }
  return { endpoint, ...(region ? { region } : {}) };
}

/**
 * The organisations already in the table. A Scan (there is no "all organisations" index): run once
 * per deployment, on a table that is usually empty or small; it stops at the first page holding one.
 */
async function existingOrganisations(client: DynamoDBDocumentClient, table: string): Promise<{ id: string; name: string }[]> {
  const { ScanCommand } = await aws();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: 'begins_with(pk, :org) AND sk = :meta',
        ExpressionAttributeValues: { ':org': 'ORG#', ':meta': '#META' },
        ProjectionExpression: 'id, #n',
        ExpressionAttributeNames: { '#n': 'name' },
        ExclusiveStartKey: start,
      }),
    );
    if (page.Items?.length) return page.Items as { id: string; name: string }[];
    start = page.LastEvaluatedKey;
  } while (start);
  return [];
}

export function bootstrapCommand(program: Command): void {
  leaf(program, 'bootstrap', 'Create the first organisation of a table and an organisation-admin token (printed once)', [])
    .requiredOption('--table <name>', "the DynamoDB table (the stack's TableName output; the local stack's is vexilla-local)")
    .option('--region <region>', 'AWS region (default: from the environment / AWS config)')
    .option('--endpoint <url>', 'a DynamoDB endpoint, e.g. the local stack\'s (dynamoEndpoint in .vexilla/local.json)')
    .option('--name <name>', 'organisation name', 'Default organisation')
    .option('--force', 'create another organisation even though the table has one')
    .action(
      run(async (ctx, options: { table: string; region?: string; endpoint?: string; name: string; force?: boolean; json?: boolean }) => {
        const name = options.name.trim();
        if (!name) throw new UsageError('--name must not be empty.');
        const { ResourceNotFoundException, DynamoStore, bootstrapOrganisation, localDynamoClientConfig, documentClient } = await aws();
        const client = documentClient(dynamoConfig(options, localDynamoClientConfig));
        try {
          const existing = await existingOrganisations(client, options.table);
          if (existing.length && !options.force) {
            throw new CliError(
              `Table ${options.table} already has an organisation (${existing.map((o) => `"${o.name}" ${o.id}`).join(', ')}): bootstrap makes the first one.\n` +
                'Use an admin token of it (`vexilla tokens create` makes more), or pass --force to create another organisation.',
            );
          }
          const { organisation, secret } = await bootstrapOrganisation({ store: new DynamoStore(client, options.table), clock: () => new Date() }, { name });
          ctx.print(options.json, { organisationId: organisation.id, name: organisation.name, token: secret, another: existing.length > 0 }, () =>
            [
              existing.length
                ? `Created ANOTHER organisation "${organisation.name}" (${organisation.id}) in table ${options.table} (it already had ${existing.length}).`
                : `Created organisation "${organisation.name}" (${organisation.id}) in table ${options.table}.`,
              '',
              'Organisation admin token (store it now: it cannot be shown again, only its hash is kept):',
              '',
              `  ${secret}`,
              '',
              'Next: export VEXILLA_API_URL=<your API URL> VEXILLA_TOKEN=<the token>, then vexilla projects create <name>',
            ].join('\n'),
          );
        } catch (error) {
          if (error instanceof ResourceNotFoundException) {
            const where = options.endpoint ? `at ${options.endpoint}` : `in region ${(await client.config.region().catch(() => '?')) || '?'}`;
            throw new CliError(`Table "${options.table}" was not found ${where}: check --table, --region and --endpoint.`);
          }
          if (options.endpoint && ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED' || /ECONNREFUSED/.test(String((error as Error).message)))) {
            throw new CliError(`Could not reach DynamoDB at ${options.endpoint} (connection refused): is it running? The local stack's is dynamoEndpoint in .vexilla/local.json.`);
          }
          if (error instanceof Error && /region is missing/i.test(error.message)) throw new CliError('No AWS region configured: pass --region or set AWS_REGION.');
          if (error instanceof Error && /credential/i.test(error.message)) throw new CliError(`No AWS credentials: ${error.message} (aws configure, or AWS_PROFILE).`);
          throw error;
        } finally {
          client.destroy();
        }
      }),
    );
}
