/**
 * The management API over real HTTP, on DynamoDB Local, with a fresh table per test file.
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../functions/data/create-table.js';
import { DynamoStore } from '../../functions/data/dynamo-store.js';
import { leanDocumentTable } from '../../functions/data/lean-dynamodb.js';
import { TableStore } from '../../functions/data/table-store.js';
import { bootstrapOrganisation } from '../../functions/domain/use-cases/organisation.js';
import type { UserDirectory } from '../../functions/domain/ports.js';
import type { Deps } from '../../functions/domain/use-cases/support.js';
import type { AdminApiOptions } from '../../functions/http/admin-api.js';
import { type LocalScheduler, startLocalScheduler } from '../../functions/local/local-scheduler.js';
import { localFunctions } from '../../functions/local/functions.js';
import { createLocalJobQueue, type LocalJobQueue } from '../../functions/local/local-job-queue.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { startHttpServer } from '../../functions/local/http-server.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import type { TenantVerifierOptions } from '../../functions/http/tenant-token-verifier.js';
import { EnvironmentCache } from '../../functions/http/sdk/environment-cache.js';
import type { Write } from '../../functions/domain/ports.js';
import { testDynamoEndpoint } from './dynamodb.js';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  token?: string | undefined;
  body?: unknown;
  /** Sent as is, for malformed-body tests. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestApi {
  url: string;
  deps: Deps;
  tableName: string;
  organisationId: string;
  adminToken: string;
  /** The in-process scheduler (timer off: move the clock, then `tick()`). */
  scheduler: LocalScheduler;
  /** The in-process job queue (imports, purges): `idle()` waits for every queued job. */
  jobs: LocalJobQueue;
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  /** A new organisation with its own admin token (for isolation tests). */
  newOrganisation(name: string): Promise<{ organisationId: string; adminToken: string }>;
  close(): Promise<void>;
}

export interface TestApiOptions {
  /**
   * How long the sdk-api serves a snapshot before rebuilding it. Every write through this API's
   * store (HTTP, scheduler, jobs, or the test's own `deps.store.commit`) drops the snapshots at
   * once, as the local stack does when it publishes: this bounds only writes from elsewhere.
   * @default 1000
   */
  snapshotTtlMs?: number;
  clock?: () => Date;
  identityIdleSeconds?: number;
  /** How long an in-process job run works before handing the job back (short: exercise resuming). @default 5000 */
  jobSliceMs?: number;
  adminApi?: AdminApiOptions;
  tenantApi?: TenantVerifierOptions;
  directory?: UserDirectory;
  /**
   * The table's DynamoDB stream, for a test that reads it (startEventPipeline). Off otherwise:
   * DynamoDB Local's cost per write to a table with a stream grows with every stream record the
   * emulator has kept (it keeps them for the whole run), so a file that reads no stream must not
   * make every later file pay for it (bench/dynamodb-local.ts). @default false
   */
  stream?: boolean;
  /**
   * The store on the AWS SDK's DynamoDB client, as every function but the sdk-api has it in Lambda.
   * By default the store is on the sdk-api's lean client (functions/data/lean-dynamodb.ts): the same
   * store (functions/data/table-store.ts) over DynamoDB's JSON protocol, at a fraction of the AWS
   * SDK's CPU per call, which most files' thousands of calls paid for nothing they test. The files
   * that hunt for 5xx answers to hostile input and the management API's file keep the AWS SDK
   * (as do store-check, store-limits and the CLI's bootstrap), and lean-dynamodb.test.ts checks
   * both clients read and write the same items. @default false
   */
  awsSdkDynamoDb?: boolean;
}

export async function startTestApi(options: TestApiOptions = {}): Promise<TestApi> {
  const config = localDynamoClientConfig(testDynamoEndpoint());
  const tableName = `vexilla-test-${randomUUID().slice(0, 8)}`;
  const raw = new DynamoDBClient(config);
  await ensureTable(raw, tableName, { stream: options.stream ?? false });
  const jobs = createLocalJobQueue({ sliceMs: options.jobSliceMs ?? 5000 });
  // The sdk-api's lean client holds no AWS client; the document client is still made (and destroyed on close) so close() is one path.
  const client = documentClient(config);
  const store = options.awsSdkDynamoDb ? new DynamoStore(client, tableName) : new TableStore(leanDocumentTable(config), tableName);
  const environmentCache = new EnvironmentCache(store, { ttlMs: options.snapshotTtlMs ?? 1000 });
  forgetOnWrite(store, environmentCache);
  const { deps, scheduler } = await startLocalScheduler({
    // The local stack's policy: receivers on 127.0.0.1 are allowed.
    deps: {
      store,
      clock: options.clock ?? (() => new Date()),
      allowPrivateWebhookTargets: true,
      identityIdleSeconds: options.identityIdleSeconds,
      jobs,
      ...(options.directory ? { directory: options.directory } : {}),
    },
    intervalMs: 0,
  });
  jobs.process(deps);
  const server = await startHttpServer({
    port: 0,
    functions: localFunctions(deps, { environmentCache, ...(options.adminApi ? { adminApi: options.adminApi } : {}), ...(options.tenantApi ? { tenantApi: options.tenantApi } : {}) }),
  });
  const newOrganisation = async (name: string) => {
    const { organisation, secret } = await bootstrapOrganisation(deps, { name });
    return { organisationId: organisation.id, adminToken: secret };
  };
  const first = await newOrganisation('Test organisation');
  const call = async (method: string, path: string, options: CallOptions = {}): Promise<Reply> => {
    const token = 'token' in options ? options.token : first.adminToken;
    const headers: Record<string, string> = { ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${server.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
  };
  return {
    url: server.url,
    deps,
    tableName,
    scheduler,
    jobs,
    organisationId: first.organisationId,
    adminToken: first.adminToken,
    call,
    newOrganisation,
    close: async () => {
      jobs.stop();
      await scheduler.stop();
      await server.close();
      // The worker runs more files after this one (isolate: false): let go of the connections.
      client.destroy();
      raw.destroy();
    },
  };
}

/**
 * Read-your-writes for the sdk-api without rebuilding its snapshots on a timer: a committed write
 * drops them (and the key cache), unless it only stored identities' traits, which evaluations
 * read per request. A rebuild every 100 ms instead cost a dozen DynamoDB reads each time, more
 * the busier the machine (the time between requests grows, not the work per request).
 * An own `commit` property, so a test's copy of the store (Object.assign) keeps it.
 */
function forgetOnWrite(store: DynamoStore, cache: EnvironmentCache): void {
  const commit = store.commit.bind(store);
  const identityOnly = (write: Write) => (write.kind === 'put' ? write.entity.type : write.ref.type) === 'identity';
  store.commit = async (writes: Write[]) => {
    try {
      await commit(writes);
    } finally {
      if (!writes.every(identityOnly)) cache.forget();
    }
  };
}

/** A management call that must succeed (2xx): its body, or a failure naming the call and the answer. */
export async function okCall(api: TestApi, method: string, path: string, body?: unknown): Promise<any> {
  const reply = await api.call(method, path, body === undefined ? {} : { body });
  if (reply.status >= 300) throw new Error(`${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** A new project with a `production` environment and a server key: its ids, path prefix and keys. */
export async function projectWithEnvironment(api: TestApi, name: string) {
  const projectId: string = (await okCall(api, 'POST', `/admin/v1/organisations/${api.organisationId}/projects`, { name })).id;
  const P = `/admin/v1/projects/${projectId}`;
  const environment = await okCall(api, 'POST', `${P}/environments`, { name: 'production' });
  const envId: string = environment.environment.id;
  const serverKey: string = (await okCall(api, 'POST', `/admin/v1/environments/${envId}/server-keys`, { name: 'server' })).key;
  return { projectId, P, envId, clientKey: environment.clientKey as string, serverKey };
}
