/**
 * The local stack, composed once for `npm run dev`, the tests and the bench: the HTTP API
 * behind the edge cache, the stream publisher polling DynamoDB Local's stream into the
 * in-process bus (routed by the rule table), the consumers (audit-writer, document-publisher,
 * webhook-dispatcher with its delivery queue) and the scheduler of scheduled changes. DynamoDB
 * Local and the table are the caller's (dev.ts starts its own; tests share the globalSetup's).
 */
import type { DispatchOptions } from '../domain/webhook-deliveries.js';
import type { AdminApiOptions } from '../http/admin-api.js';
import { createTenantDemo, type TenantDemo } from './tenant-demo.js';
import { ensureAuditRecord } from '../events/consumers/audit-writer.js';
import { parseBusEvent } from '../events/consumers/bus-event.js';
import { createDebouncedPublisher, type DebouncedPublisher } from '../events/consumers/document-publisher.js';
import { wireWebhookDispatcher } from '../events/consumers/webhook-dispatcher.js';
import type { PublishBatchResult } from '../domain/use-cases/publish-documents.js';
import type { Deps } from '../domain/use-cases/support.js';
import { pendingJobIds, sweepJobs } from '../domain/use-cases/jobs.js';
import { leanDocumentTable } from '../data/lean-dynamodb.js';
import { TableStore } from '../data/table-store.js';
import { createLocalBus, type LocalBus } from '../events/local-bus.js';
import { consumeTenantUpdate } from '../events/consumers/tenant-updater.js';
import { eventRules, inboundRules } from '../events/rules.js';
import { EnvironmentCache } from '../http/sdk/environment-cache.js';
import { logger } from '../shared/logger.js';
import { localDynamoClientConfig } from './dynamodb-local.js';
import { originOf } from '../../dashboard/csp.js';
import { dashboardFiles } from './dashboard-files.js';
import { EdgeCache, type EdgeTtl } from './edge-cache.js';
import { LocalEdgeInvalidator } from './edge-invalidator.js';
import { type EventPipeline, startEventPipeline } from './event-pipeline.js';
import { handleEventBridgeRequest } from './local-eventbridge.js';
import { LocalDeadLetters } from './local-dead-letters.js';
import { localFunctions } from './functions.js';
import { type HttpServerOptions, startHttpServer } from './http-server.js';
import { createLocalDeliveryQueue } from './local-delivery-queue.js';
import { createLocalJobQueue } from './local-job-queue.js';
import { type LocalScheduler, startLocalScheduler } from './local-scheduler.js';

export interface LocalStackOptions {
  /** DynamoDB Local's endpoint; the table must exist, with its stream. */
  endpoint: string;
  tableName: string;
  /** @default 0 (any free port) */
  port?: number;
  /** @default () => new Date() */
  clock?: () => Date;
  onRequest?: HttpServerOptions['onRequest'];
  /** The longest pause between polls of a quiet stream; a write through the API polls at once. @default 1000 */
  idlePollMs?: number;
  /** Pause between stream polls when idle. @default 50 */
  pollMs?: number;
  /** @default 'LATEST' (see startEventPipeline) */
  startAt?: 'LATEST' | 'TRIM_HORIZON';
  /** The document-publisher's debounce per environment. @default 30 */
  debounceMs?: number;
  /** The sdk-api's snapshot check interval. @default 1000 */
  snapshotTtlMs?: number;
  /** Called after each document publish (tests and the bench count rebuilds with it). */
  onPublished?: (result: PublishBatchResult) => void;
  /** Webhook retry backoff, attempts and timeout. @default production's (60 s base, 5 attempts, 5 s) */
  webhooks?: DispatchOptions;
  /** How often the local scheduler looks for due scheduled changes; 0 leaves it to `scheduler.tick()`. @default 250 */
  schedulerIntervalMs?: number;
  /** How often stuck webhook deliveries are queued again (production: a scheduled rule); 0 never. @default 60000 */
  webhookSweepIntervalMs?: number;
  /** The built dashboard to serve at `/` (dist/dashboard). @default none: API routes only */
  dashboardDir?: string;
  /** The admin API's sign-in settings: the identity provider people sign in with. @default none (admin tokens only) */
  adminApi?: AdminApiOptions;
  /** How often jobs whose run died are queued again (production: a scheduled rule). @default 60000 */
  jobSweepIntervalMs?: number;
  /** Seconds an identity without overrides is kept unseen. @default 90 days */
  identityIdleSeconds?: number;
  /** The local edge's durations instead of the origin's (see EdgeTtl). @default the origin's Cache-Control */
  edgeTtl?: EdgeTtl;
}

export interface LocalStack {
  url: string;
  port: number;
  deps: Deps;
  /** The tenant settings demo page (`/demo/tenant-settings`): set up once the demo project exists. */
  tenantDemo: TenantDemo;
  bus: LocalBus;
  edge: EdgeCache;
  documents: DebouncedPublisher;
  scheduler: LocalScheduler;
  /** tenant.update events the tenant-updater refused or failed (production: its SQS on-failure queue). */
  tenantUpdateDeadLetters: LocalDeadLetters;
  /** Resolves once every event published so far has been handled by every consumer. */
  idle(): Promise<void>;
  /**
   * Stops polling, lets the consumers finish (for at most `graceMs`, default 5000: Ctrl-C must
   * not hang on a backlog), then closes the HTTP server.
   */
  stop(options?: { graceMs?: number }): Promise<void>;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  // The scheduler travels in deps, so the admin API's scheduled changes reach it; it reloads the
  // table's waiting schedules, so a restarted stack keeps them.
  // Imports and purges run in this process, through the job-runner's code.
  const jobs = createLocalJobQueue({ onError: (jobId, error) => logger.error('job run failed', { jobId, error: error as Error }) });
  const { deps, scheduler } = await startLocalScheduler({
    deps: {
      // The lean client (as the sdk-api runs in Lambda; lean-dynamodb.test.ts proves it reads and
      // writes items exactly as the AWS SDK's document client does): a seeded start and every
      // request cost a fraction of the CPU they cost through the SDK's middleware stack.
      store: new TableStore(leanDocumentTable(localDynamoClientConfig(options.endpoint)), options.tableName),
      clock: options.clock ?? (() => new Date()),
      // Local receivers live on 127.0.0.1; production refuses private targets.
      allowPrivateWebhookTargets: true,
      jobs,
      ...(options.identityIdleSeconds !== undefined ? { identityIdleSeconds: options.identityIdleSeconds } : {}),
    },
    intervalMs: options.schedulerIntervalMs ?? 250,
  });
  jobs.process(deps);
  // Jobs a previous run left unfinished carry on; later ones that die are queued again by the sweep.
  for (const jobId of await pendingJobIds(deps)) await jobs.enqueue(jobId);
  const jobSweeper = setInterval(() => {
    sweepJobs(deps, jobs).catch((error: unknown) => logger.error('job sweep failed', { error: error as Error }));
  }, options.jobSweepIntervalMs ?? 60_000).unref();
  const edge = new EdgeCache(Date.now, options.edgeTtl);
  let wakePipeline = () => {};
  const environmentCache = new EnvironmentCache(deps.store, { ttlMs: options.snapshotTtlMs ?? 1000 });
  const tenantDemo = createTenantDemo();
  const dashboard = options.dashboardDir ? dashboardFiles(options.dashboardDir, options.adminApi?.signIn ? [originOf(options.adminApi.signIn.issuer)] : []) : undefined;
  const server = await startHttpServer({
    port: options.port ?? 0,
    functions: localFunctions(deps, { environmentCache, ...(options.adminApi ? { adminApi: options.adminApi } : {}) }),
    // The same edge caching as CloudFront in production, stale-if-error included.
    edge,
    // The dashboard may fetch from the identity provider (discovery, token endpoint): its origin joins connect-src.
    // The tenant settings demo first (its page and script), then the dashboard's files.
    files: {
      serve: async (method: string, pathname: string) => {
        const demo = await tenantDemo.serve(method, pathname);
        if (demo) return demo;
        return dashboard?.serve(method, pathname);
      },
    },
    onRequest: (line) => {
      options.onRequest?.(line);
      // A write through the API: its stream records are there now, so the pipeline need not wait.
      if (line.method !== 'GET' && line.method !== 'HEAD' && line.method !== 'OPTIONS') wakePipeline();
    },
    eventBridge: (target, body) => handleEventBridgeRequest(bus, target, body, deps.clock()),
  });

  const tenantUpdateDeadLetters = new LocalDeadLetters();
  const bus = createLocalBus({
    // Vexilla's own rules, and those of the events the customer's systems put (tenant.update).
    rules: [...eventRules, ...inboundRules],
    onDeliveryFailed: (consumer, event, error) => {
      logger.error('event delivery failed', { consumer, eventId: event.detail.eventId, detailType: event['detail-type'], error: error as Error });
      // As Lambda's on-failure destination does once its retries are spent.
      if (consumer === 'tenant-updater') void tenantUpdateDeadLetters.send(event, { errorType: (error as Error).name ?? 'Error', errorMessage: (error as Error).message ?? String(error) });
    },
  });

  // --- Consumers, by the rule table's names. ---
  bus.subscribe('audit-writer', async (event) => {
    await ensureAuditRecord(deps.store, parseBusEvent(event), deps.clock());
  });
  // The local CloudFront: the sdk-api's snapshots are dropped too, as a Lambda cannot be told
  // but this process can, so the next request through the edge serves the new document.
  const documents = createDebouncedPublisher({
    deps,
    edge: new LocalEdgeInvalidator(edge, () => environmentCache.forget()),
    delayMs: options.debounceMs ?? 30,
    ...(options.onPublished ? { onPublished: options.onPublished } : {}),
  });
  bus.subscribe('document-publisher', (event) => documents.handle(event));
  bus.subscribe('tenant-updater', async (event) => {
    await consumeTenantUpdate(deps, tenantUpdateDeadLetters, event);
  });
  // Each delivery attempt on its own timer (SQS in production): a dead endpoint delays no other.
  const deliveries = createLocalDeliveryQueue({
    onError: (delivery, error) => logger.error('webhook attempt failed unexpectedly', { ...delivery, error: error as Error }),
  });
  const dispatcher = wireWebhookDispatcher({ deps, bus, queue: deliveries, ...(options.webhooks ? { options: options.webhooks } : {}) });
  const sweepMs = options.webhookSweepIntervalMs ?? 60_000;
  const sweeper =
    sweepMs > 0
      ? setInterval(() => {
          dispatcher.sweep().catch((error: unknown) => logger.error('webhook sweep failed', { error: error as Error }));
        }, sweepMs).unref()
      : undefined;

  let pipeline: EventPipeline;
  try {
    pipeline = await startEventPipeline({
      endpoint: options.endpoint,
      tableName: options.tableName,
      bus,
      pollMs: options.pollMs ?? 50,
      idlePollMs: options.idlePollMs ?? 1000,
      startAt: options.startAt ?? 'LATEST',
    });
    wakePipeline = () => pipeline.wake();
  } catch (error) {
    clearInterval(sweeper);
    clearInterval(jobSweeper);
    jobs.stop();
    await scheduler.stop();
    deliveries.stop();
    await server.close();
    throw error;
  }

  let stopped = false;
  return {
    url: server.url,
    port: server.port,
    deps,
    tenantDemo,
    bus,
    edge,
    documents,
    scheduler,
    tenantUpdateDeadLetters,
    async idle() {
      await jobs.idle();
      await bus.idle();
      await documents.idle();
      await deliveries.idle();
    },
    async stop(stopOptions = {}) {
      if (stopped) return;
      stopped = true;
      clearInterval(sweeper);
      clearInterval(jobSweeper);
      // A running job finishes its batch; what is left stays queued in the table for the next start.
      jobs.stop();
      await scheduler.stop();
      await pipeline.stop();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, stopOptions.graceMs ?? 5000);
      });
      const finish = async () => {
        await bus.idle();
        await documents.stop();
      };
      await Promise.race([finish(), grace]);
      clearTimeout(timer);
      // Waiting retries are dropped (their deliveries stay retrying in the table).
      deliveries.stop();
      await server.close();
    },
  };
}
