/**
 * `npm run dev`: the whole system on this machine. DynamoDB Local (persistent under
 * `.vexilla/data`, or in memory), the table, demo data, and the local stack (stack.ts): the API
 * over plain HTTP behind the edge cache, the stream publisher, the bus and its consumers.
 * The demo's secrets are written to `.vexilla/local.json`, the only place they exist.
 *
 *   npm run dev                     persistent data, port $PORT or 8080
 *   npm run dev -- --in-memory      throwaway database
 *   npm run dev -- --reset          delete .vexilla/data and .vexilla/local.json first
 *   npm run dev -- --port 9000
 *
 * People sign in at a local OpenID provider (oidc-provider, on loopback): its port and keys are
 * kept in `.vexilla/oidc.json`, so the issuer, and the people it signed in, survive a restart.
 */
import { LOCAL_BUS_NAME, LOCAL_EVENTBRIDGE_PATH } from './local-eventbridge.js';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { ensureTable } from '../data/create-table.js';
import { logger } from '../shared/logger.js';
import { identityIdleSecondsFromEnv } from '../shared/env.js';
import { checkJava, type DynamoDbLocalInstance, localDynamoClientConfig, startDynamoDbLocal } from './dynamodb-local.js';
import { watchLaunchers } from './launcher-watch.js';
import { type LocalOidcProvider, readProviderState, startLocalOidcProvider, writeProviderState } from './oidc-provider.js';
import { DEMO_USER, ensureDemo, ensureDemoMember, type LocalConfig } from './seed.js';
import { type LocalStack, startLocalStack } from './stack.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TABLE_NAME = 'vexilla-local';
const DEFAULT_PORT = 8080;

const USAGE = `Usage: npm run dev -- [options]

Options:
  --in-memory         Use a throwaway in-memory database (default: persistent, in <state-dir>/data)
  --reset             Delete <state-dir>/data and <state-dir>/local.json before starting
  --port <port>       HTTP port (default: $PORT or ${DEFAULT_PORT})
  --oidc-port <port>  The local sign-in provider's port (default: the last run's, else any free one)
  --state-dir <dir>   Where data and local.json live (default: <repo>/.vexilla)
  --pretty            One readable line per request instead of JSON logs
  --edge-max-age <s>  Keep edge answers fresh for <s> seconds (default: the origin's, 10)
  --edge-stale-while-revalidate <s>
                      Then serve them stale while refreshing for <s> seconds (default: the
                      origin's, 30); with both short, stale-if-error can be tried in seconds
  -h, --help          Show this help`;

const localConfigSchema = z.object({
  apiUrl: z.string(),
  adminToken: z.string().min(1),
  organisationId: z.string().min(1),
  projectId: z.string().min(1),
  environments: z.array(z.object({ id: z.string(), name: z.string(), clientKey: z.string(), serverKey: z.string() })),
  signIn: z.object({ issuer: z.string(), clientId: z.string(), demoEmail: z.string() }).optional(),
});

class UsageError extends Error {}

interface DevOptions {
  inMemory: boolean;
  reset: boolean;
  port: number;
  oidcPort: number | undefined;
  stateDir: string;
  pretty: boolean;
  edgeTtl: { maxAgeSeconds?: number; staleWhileRevalidateSeconds?: number };
}

const parsePort = (text: string, from: string): number => {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new UsageError(`Invalid port "${text}" (from ${from}): expected 0-65535.`);
  return port;
};

function parseOptions(argv: string[]): DevOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        'in-memory': { type: 'boolean', default: false },
        reset: { type: 'boolean', default: false },
        port: { type: 'string' },
        'oidc-port': { type: 'string' },
        'state-dir': { type: 'string' },
        pretty: { type: 'boolean', default: false },
        'edge-max-age': { type: 'string' },
        'edge-stale-while-revalidate': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const portText = values.port ?? (process.env.PORT || String(DEFAULT_PORT));
  const port = parsePort(portText, values.port !== undefined ? '--port' : 'PORT');
  const oidcPort = values['oidc-port'] !== undefined ? parsePort(values['oidc-port'], '--oidc-port') : undefined;
  const seconds = (flag: 'edge-max-age' | 'edge-stale-while-revalidate'): number | undefined => {
    const text = values[flag];
    if (text === undefined) return undefined;
    if (!/^\d{1,9}$/.test(text)) throw new UsageError(`Invalid --${flag} "${text}": expected whole seconds.`);
    return Number(text);
  };
  const maxAgeSeconds = seconds('edge-max-age');
  const staleWhileRevalidateSeconds = seconds('edge-stale-while-revalidate');
  return {
    inMemory: values['in-memory'],
    reset: values.reset,
    port,
    oidcPort,
    stateDir: resolve(values['state-dir'] ?? join(REPO_ROOT, '.vexilla')),
    pretty: values.pretty,
    edgeTtl: { ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}), ...(staleWhileRevalidateSeconds !== undefined ? { staleWhileRevalidateSeconds } : {}) },
  };
}

/** The previous run's config, if there is a readable one. */
async function readLocalConfig(file: string): Promise<LocalConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return localConfigSchema.parse(JSON.parse(text));
  } catch {
    logger.warn(`Ignoring unreadable ${file}: a new demo will be created`);
    return undefined;
  }
}

const shown = (path: string) => {
  const fromCwd = relative(process.cwd(), path);
  return fromCwd && !fromCwd.startsWith('..') ? fromCwd : path;
};

function banner(config: LocalConfig, details: { storage: string; dynamoEndpoint: string; javaPid: number | undefined; configFile: string; reused: boolean; dashboardBuilt: boolean }): string {
  const width = Math.max('Admin token'.length, 'SDK APIs'.length, 'Sign in'.length, ...config.environments.map((environment) => environment.name.length)) + 2;
  const label = (text: string) => text.padEnd(width);
  const evaluated = config.environments[0];
  const lines = [
    '',
    'Vexilla is running locally.',
    '',
    `  ${label('Dashboard')}${config.apiUrl}/${details.dashboardBuilt ? (config.signIn ? ` (Sign in with the local identity provider as ${config.signIn.demoEmail}, or with the admin token)` : ' (sign in with the admin token)') : ' (not built yet: run npm run build, then reload)'}`,
    `  ${label('Admin API')}${config.apiUrl}/admin/v1`,
    `  ${label('SDK APIs')}${config.apiUrl}/api/v1/ (Flagsmith SDKs), ${config.apiUrl}/ofrep/v1/ (OpenFeature)`,
    `  ${label('EventBridge')}${config.apiUrl}${LOCAL_EVENTBRIDGE_PATH} (PutEvents on bus ${LOCAL_BUS_NAME}: tenant.update)`,
    `  ${label('Admin token')}${config.adminToken}`,
    `  ${label('Tenant UI')}${config.apiUrl}/demo/tenant-settings (<vexilla-tenant-settings>, as a tenant's admin sees it in your product)`,
    ...(config.signIn
      ? [
          `  ${label('Sign in')}as ${config.signIn.demoEmail} (organisation admin; no password), or any address to try invitations,`,
          `  ${label('')}at the local OpenID provider ${config.signIn.issuer} (client ${config.signIn.clientId}, code + PKCE);`,
          `  ${label('')}send the ID token to ${config.apiUrl}/admin/v1 as Authorization: Bearer <token> (see ${config.apiUrl}/admin/v1/auth/config)`,
        ]
      : []),
  ];
  for (const environment of config.environments) {
    lines.push(`  ${label(environment.name)}client key  ${environment.clientKey}`);
    lines.push(`  ${label('')}server key  ${environment.serverKey}`);
  }
  lines.push(
    '',
    `  Demo data ${details.reused ? 'reused' : 'created'}; secrets saved in ${shown(details.configFile)}`,
    `  DynamoDB Local ${details.dynamoEndpoint} (Java pid ${details.javaPid ?? '?'}), table ${TABLE_NAME}, ${details.storage}`,
    '  Change pipeline: stream publisher, event bus, audit-writer, webhooks, document publisher, edge cache, scheduler',
    '',
    ...(evaluated
      ? [
          `  Evaluate a flag (${evaluated.name}):`,
          `  curl -X POST ${config.apiUrl}/ofrep/v1/evaluate/flags/new_checkout -H "Authorization: Bearer ${evaluated.clientKey}" -H 'content-type: application/json' -d '{"context":{"targetingKey":"ana"}}'`,
          '',
        ]
      : []),
    "  List the demo project's features:",
    `  curl -H "Authorization: Bearer ${config.adminToken}" ${config.apiUrl}/admin/v1/projects/${config.projectId}/features`,
    '',
    'Press Ctrl-C to stop.',
    '',
  );
  return lines.join('\n');
}

/** A port nobody listens on now (for `--port 0`: the provider must know the API's origin before it starts). */
function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

async function main(argv: string[]): Promise<void> {
  // The SDK warns that its 2027 releases will need Node 22; this project supports Node 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options: DevOptions | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(USAGE);
    return;
  }
  const { inMemory, reset, stateDir } = options;
  const dataDir = join(stateDir, 'data');
  const configFile = join(stateDir, 'local.json');
  const oidcFile = join(stateDir, 'oidc.json');

  let dynamo: DynamoDbLocalInstance | undefined;
  let stack: LocalStack | undefined;
  let identityProvider: LocalOidcProvider | undefined;
  let stopping = false;
  /** Stops everything, saying why in one line, then exits: nothing is left running. */
  const stop = async (why: string, code = 0): Promise<void> => {
    if (stopping) {
      // A second Ctrl-C: leave now; DynamoDB Local's exit hook still kills Java.
      process.exit(1);
    }
    stopping = true;
    console.log(`\nVexilla stopping (${why}): API, event pipeline, scheduler, sign-in provider and DynamoDB Local.`);
    try {
      // The stack stops polling the stream and lets the consumers finish before the API closes.
      await stack?.stop();
      await identityProvider?.close();
      await dynamo?.stop();
    } catch (error) {
      console.error(`Error while stopping: ${(error as Error).message}`);
      process.exit(1);
    }
    // Signals during startup land here too: exiting runs DynamoDB Local's exit hook.
    process.exit(code);
  };
  // SIGHUP: the terminal closed. All three stop everything, Java included.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(signal));
  // `kill <pid of npm run dev>` ends npm and its shell but not us: notice, and stop too.
  await watchLaunchers((launcher) => void stop(`${launcher.command.split(' ').slice(0, 3).join(' ')} (pid ${launcher.pid}) is gone`));

  try {
    await checkJava();
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }

  try {
    if (reset) {
      await rm(dataDir, { recursive: true, force: true });
      await rm(configFile, { force: true });
      await rm(oidcFile, { force: true });
      console.log(`Reset: deleted ${shown(dataDir)}, ${shown(configFile)} and ${shown(oidcFile)}`);
    }
    await mkdir(stateDir, { recursive: true });
    if (!inMemory) await mkdir(dataDir, { recursive: true });

    // The sign-in provider starts while Java does. It registers the dashboard's callback on the
    // API's origin, so that port is fixed first.
    const port = options.port === 0 ? await anyFreePort() : options.port;
    const saved = inMemory ? undefined : await readProviderState(oidcFile);
    const oidcPort = options.oidcPort ?? saved?.port ?? 0;
    const providerStarting = startLocalOidcProvider({
      port: oidcPort,
      appOrigins: [`http://localhost:${port}`, `http://127.0.0.1:${port}`],
      ...(saved ? { keys: saved.keys, cookieKeys: saved.cookieKeys } : {}),
      users: [DEMO_USER],
      anyEmail: true,
    }).then(
      (provider) => (identityProvider = provider),
      (error: unknown) => {
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
          throw new Error(`Port ${oidcPort} (the local sign-in provider's${options.oidcPort === undefined ? `, kept in ${shown(oidcFile)}` : ''}) is already in use: pass --oidc-port <port>.`);
        }
        throw error;
      },
    );
    // Awaited below; a failure meanwhile must not count as unhandled.
    providerStarting.catch(() => undefined);

    console.log(`Starting DynamoDB Local (${inMemory ? 'in memory' : `data in ${shown(dataDir)}`})...`);
    dynamo = await startDynamoDbLocal(inMemory ? { inMemory: true } : { dbPath: dataDir });
    void dynamo.exited.then(({ code, signal }) => {
      if (stopping) return;
      // Said once; the event pipeline meanwhile retries with backoff, quietly.
      console.error(`DynamoDB Local exited unexpectedly (${signal ?? `code ${code}`}): the API answers errors until npm run dev is restarted.`);
    });
    const clientConfig = localDynamoClientConfig(dynamo.endpoint);
    const raw = new DynamoDBClient(clientConfig);
    try {
      await ensureTable(raw, TABLE_NAME);
    } finally {
      raw.destroy();
    }

    const provider = await providerStarting;
    if (!inMemory) await writeProviderState(oidcFile, provider.state);

    try {
      stack = await startLocalStack({
        endpoint: dynamo.endpoint,
        tableName: TABLE_NAME,
        port,
        dashboardDir: join(REPO_ROOT, 'dist/dashboard'),
        adminApi: { signIn: provider.signIn },
        edgeTtl: options.edgeTtl,
        identityIdleSeconds: identityIdleSecondsFromEnv(),
        onRequest: (line) =>
          options.pretty
            ? console.log(`${new Date().toISOString().slice(11, 23)}  ${line.method.padEnd(6)} ${String(line.status).padEnd(4)} ${`${line.ms} ms`.padStart(9)}  ${line.path}`)
            : logger.info('request', line),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`Port ${port} is already in use: pass --port <port> or set PORT.`);
      }
      throw error;
    }

    // Seeded once the port is ours: a new demo's secrets must reach local.json, or they are lost.
    // The seed's burst of changes is published once it is complete: each change rebuilt both
    // environments' documents again (~200 of the ~500 calls a new demo made to DynamoDB Local).
    // Evaluations meanwhile read the store, as they do before any publish.
    const publishSeed = stack.documents.pause();
    const existing = await readLocalConfig(configFile);
    let demo: LocalConfig;
    try {
      demo = await ensureDemo(stack.deps, existing);
      await ensureDemoMember(stack.deps, demo, provider.issuer);
      const demoProject = await stack.deps.store.get({ type: 'project', id: demo.projectId });
      const demoEnvironment = await stack.deps.store.get({ type: 'environment', id: demo.environments[0]?.id ?? '' });
      if (demoProject && demoEnvironment) await stack.tenantDemo.setup(stack.deps, { apiUrl: `http://localhost:${stack.port}`, project: demoProject, environment: demoEnvironment });
    } finally {
      publishSeed();
    }
    // DynamoDB Local's port is picked at random: local.json says where it is (`vexilla bootstrap --endpoint`).
    const config: LocalConfig & { dynamoEndpoint: string; tableName: string; eventBridge: { endpoint: string; eventBusName: string } } = {
      ...demo,
      apiUrl: `http://localhost:${stack.port}`,
      dynamoEndpoint: dynamo.endpoint,
      // Where the customer's systems put tenant.update events locally (an EventBridgeClient's endpoint).
      eventBridge: { endpoint: `http://localhost:${stack.port}${LOCAL_EVENTBRIDGE_PATH}`, eventBusName: LOCAL_BUS_NAME },
      tableName: TABLE_NAME,
      signIn: { issuer: provider.issuer, clientId: provider.clientId, demoEmail: DEMO_USER.email },
    };
    // Written last, so its existence means the API is up; holds secrets, so owner-only.
    await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    console.log(
      banner(config, {
        storage: inMemory ? 'in memory (discarded on exit)' : `persistent in ${shown(dataDir)}`,
        dynamoEndpoint: dynamo.endpoint,
        javaPid: dynamo.javaPid,
        configFile,
        reused: demo === existing,
        dashboardBuilt: existsSync(join(REPO_ROOT, 'dist/dashboard/index.html')),
      }),
    );
  } catch (error) {
    if (stopping) return;
    console.error(`Could not start the local stack: ${(error as Error).message}`);
    await stack?.stop().catch(() => undefined);
    await identityProvider?.close().catch(() => undefined);
    await dynamo?.stop().catch(() => undefined);
    process.exit(1);
  }
}

await main(process.argv.slice(2));
