import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AssetHashType, DockerImage, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Function as LambdaFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { table as tableDeclaration } from '../functions/data/table.js';
import { deadLetterQueue } from './queues.js';
import type { ConsumerName, InboundConsumerName } from '../functions/events/rules.js';
import { type FunctionName as RoutedFunctionName, publicRoutes, routes } from '../functions/http/routes.js';

/** The functions behind the HTTP API (named by the route table) and the asynchronous ones. */
export type AsyncFunctionName = 'publisher' | ConsumerName | InboundConsumerName | 'apply-scheduled-change' | 'rollout-runner' | 'job-runner';
export type FunctionName = RoutedFunctionName | AsyncFunctionName;

/** What a statement is about: the table itself, or each of its declared indexes (by name). */
export type TableResource = 'table' | 'indexes';

/** One IAM statement on the single table, as data, so the infra test can assert it exactly. */
export interface TableAccess {
  readonly actions: readonly `dynamodb:${string}`[];
  readonly on: readonly TableResource[];
}

/**
 * Resources other than the table that a function may act on. The construct that creates each one
 * supplies its ARNs through `VexillaFunctions.connect`, so the actions stay declared here.
 */
export type ServiceResource = 'eventBus' | 'webhookQueue' | 'distribution' | 'schedules' | 'schedulerRole' | 'guardAlarms' | 'userPool' | 'jobQueue' | 'tenantUpdateDeadLetters';

/** One IAM statement on a service resource, as data. */
export interface ResourceAccess {
  readonly actions: readonly string[];
  readonly on: ServiceResource;
  readonly conditions?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/** Environment variables (beyond TABLE_NAME and Powertools') that name resources created after the functions. */
export type EnvironmentVariable =
  | 'EVENT_BUS_NAME'
  | 'WEBHOOK_QUEUE_URL'
  | 'DISTRIBUTION_ID'
  | 'SCHEDULE_GROUP_NAME'
  | 'SCHEDULER_ROLE_ARN'
  | 'APPLY_SCHEDULED_CHANGE_ARN'
  | 'SCHEDULER_DLQ_ARN'
  | 'ROLLOUT_RUNNER_ARN'
  | 'GUARD_ALARM_ARNS'
  | 'ORIGIN_VERIFY_SECRET'
  | 'SIGN_IN_CONFIG'
  | 'COGNITO_USER_POOL_ID'
  | 'JOB_QUEUE_URL'
  | 'TENANT_UPDATE_DLQ_URL';

/**
 * What invokes a function. `bus` and `scheduler` invoke asynchronously: Lambda retries a failed
 * invocation itself, then sends it to the function's own dead-letter queue. `http` is synchronous
 * (the caller gets the error); `stream` and `queue` are event source mappings, whose failures go to
 * the mapping's destination or the queue's redrive.
 */
export type Trigger = 'http' | 'stream' | 'bus' | 'queue' | 'scheduler';

/** How one Lambda function is sized and what it may do. */
export interface FunctionSettings {
  /** The handler module, from the repository root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly triggers: readonly Trigger[];
  readonly tableAccess: readonly TableAccess[];
  readonly resourceAccess?: readonly ResourceAccess[];
  readonly environment?: readonly EnvironmentVariable[];
}

/** Asynchronous invocations are retried twice by Lambda (its maximum), then dead-lettered. */
export const ASYNC_RETRY_ATTEMPTS = 2;
/** An asynchronous invocation older than this is dead-lettered rather than run late. */
export const ASYNC_MAX_EVENT_AGE_HOURS = 6;

/**
 * Every function's size and permissions, declared once. Item actions (GetItem, PutItem, ...) only
 * make sense on the table; Query is the only action that reads an index, so only Query is
 * granted on the index ARNs, and those are named one by one from the table declaration rather
 * than `index/*`.
 *
 * TransactWriteItems has no IAM action of its own: DynamoDB authorises each item in it by the
 * item's action (PutItem, UpdateItem, DeleteItem, ConditionCheckItem).
 */
export const functionSettings: Readonly<Record<FunctionName, FunctionSettings>> = {
  'admin-api': {
    entry: 'functions/http/admin-api.ts',
    description: 'Vexilla management API (/admin/v1)',
    memorySize: 512,
    timeoutSeconds: 10,
    triggers: ['http'],
    tableAccess: [
      {
        // GetItem: reads by key; BatchGetItem: a request's authorisation reads (its token with
        // what its path names, then the project with the organisation). PutItem, DeleteItem: the
        // items of the one write path's TransactWriteItems; ConditionCheckItem lets such a
        // transaction assert an item it does not write (it reads nothing back). UpdateItem: the
        // atomic counter that numbers Flagsmith-format ids (DynamoStore.allocate).
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
        on: ['table'],
      },
      { actions: ['dynamodb:Query'], on: ['table', 'indexes'] },
    ],
    // Scheduled changes and rollout steps: one-time schedules in the Vexilla group (created and
    // cancelled), each run by the scheduler role, which the admin API may hand to Scheduler and to
    // nothing else. Rollouts read their guard alarms (and only those) before they start.
    resourceAccess: [
      { actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'], on: 'schedules' },
      { actions: ['iam:PassRole'], on: 'schedulerRole', conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } },
      { actions: ['cloudwatch:DescribeAlarms'], on: 'guardAlarms' },
      // Invitations create the person's account in Vexilla's own Cognito pool (when it has one).
      { actions: ['cognito-idp:AdminCreateUser'], on: 'userPool' },
      // Imports and purges: the job's first run is queued for the job-runner.
      { actions: ['sqs:SendMessage'], on: 'jobQueue' },
    ],
    environment: ['SCHEDULE_GROUP_NAME', 'SCHEDULER_ROLE_ARN', 'APPLY_SCHEDULED_CHANGE_ARN', 'SCHEDULER_DLQ_ARN', 'ROLLOUT_RUNNER_ARN', 'GUARD_ALARM_ARNS', 'ORIGIN_VERIFY_SECRET', 'SIGN_IN_CONFIG', 'COGNITO_USER_POOL_ID', 'JOB_QUEUE_URL'],
  },
  'sdk-api': {
    entry: 'functions/http/sdk-api.ts',
    description: 'Vexilla SDK API (/api/v1: Flagsmith SDK protocol; /ofrep/v1: OpenFeature OFREP)',
    memorySize: 1024,
    timeoutSeconds: 5,
    triggers: ['http'],
    tableAccess: [
      {
        // GetItem: keys, environments, identities and the published-document marker by key.
        // PutItem: an identity and its traits (a conditional put in a TransactWriteItems).
        // UpdateItem: the per-day flag evaluation counters (analytics). No DeleteItem: the SDK
        // API never deletes.
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        on: ['table'],
      },
      { actions: ['dynamodb:Query'], on: ['table', 'indexes'] },
    ],
    environment: ['ORIGIN_VERIFY_SECRET'],
  },
  'tenant-api': {
    entry: 'functions/http/tenant-api.ts',
    description: "Vexilla tenant API (/tenant/v1: tenant admins' self-service with tenant tokens)",
    memorySize: 512,
    timeoutSeconds: 10,
    triggers: ['http'],
    tableAccess: [
      {
        // GetItem: the environment, tenant and the tenant's override by key. PutItem, DeleteItem:
        // the tenant's override and its change event (one TransactWriteItems); ConditionCheckItem:
        // that the environment's governance did not change meanwhile.
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'],
        on: ['table'],
      },
      // The environment's snapshot and token keys (table), the tenant's history (index).
      { actions: ['dynamodb:Query'], on: ['table', 'indexes'] },
    ],
    environment: ['ORIGIN_VERIFY_SECRET'],
  },
  publisher: {
    entry: 'functions/events/stream-publisher.ts',
    description: 'Vexilla stream publisher: change events from the table stream onto the event bus',
    memorySize: 256,
    timeoutSeconds: 30,
    triggers: ['stream'],
    // Reads the stream only (granted with its event source mapping), never the table.
    tableAccess: [],
    resourceAccess: [{ actions: ['events:PutEvents'], on: 'eventBus' }],
    environment: ['EVENT_BUS_NAME'],
  },
  'audit-writer': {
    entry: 'functions/events/consumers/audit-writer.ts',
    description: 'Vexilla audit writer: one audit record per event id',
    memorySize: 256,
    timeoutSeconds: 10,
    triggers: ['bus'],
    // GetItem: the record; PutItem and ConditionCheckItem: the put-if-absent with its consumed marker.
    tableAccess: [{ actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'], on: ['table'] }],
  },
  'webhook-dispatcher': {
    entry: 'functions/events/consumers/webhook-dispatcher.ts',
    description: 'Vexilla webhook dispatcher: fans events out to webhooks and makes each delivery attempt',
    memorySize: 512,
    // A batch of up to 10 deliveries, each bounded by its own HTTP timeout.
    timeoutSeconds: 60,
    triggers: ['bus', 'queue'],
    // Query: the webhooks of an environment (and of a project's environments); GetItem and
    // PutItem: webhooks, deliveries and consumed markers.
    tableAccess: [
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], on: ['table'] },
      { actions: ['dynamodb:Query'], on: ['table', 'indexes'] },
    ],
    // Queues each delivery attempt (the first, and retries with a delay).
    resourceAccess: [{ actions: ['sqs:SendMessage'], on: 'webhookQueue' }],
    environment: ['WEBHOOK_QUEUE_URL'],
  },
  'document-publisher': {
    entry: 'functions/events/consumers/document-publisher.ts',
    description: "Vexilla document publisher: rebuilds environments' documents and invalidates the edge cache",
    memorySize: 1024,
    timeoutSeconds: 60,
    triggers: ['queue'],
    tableAccess: [
      // PutItem: the environment's published-document marker; DeleteItem: the marker of an
      // environment that no longer exists.
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'], on: ['table'] },
      { actions: ['dynamodb:Query'], on: ['table', 'indexes'] },
    ],
    resourceAccess: [{ actions: ['cloudfront:CreateInvalidation'], on: 'distribution' }],
    environment: ['DISTRIBUTION_ID'],
  },
  'tenant-updater': {
    entry: 'functions/events/consumers/tenant-updater.ts',
    description: "Vexilla tenant updates: applies tenant.update events from the customer's systems",
    memorySize: 512,
    timeoutSeconds: 30,
    triggers: ['bus'],
    // The tenants' write path: GetItem (project, tenant), PutItem and ConditionCheckItem (the
    // tenant and its change event in one transaction); Query: the project's segments and
    // environments for the document-room check. No DeleteItem: an event never deletes a tenant.
    tableAccess: [
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem'], on: ['table'] },
      { actions: ['dynamodb:Query'], on: ['table', 'indexes'] },
    ],
    // Events no retry can fix go to its own on-failure queue at once, with the reason.
    resourceAccess: [{ actions: ['sqs:SendMessage'], on: 'tenantUpdateDeadLetters' }],
    environment: ['TENANT_UPDATE_DLQ_URL'],
  },
  'apply-scheduled-change': {
    entry: 'functions/events/apply-scheduled-change.ts',
    description: 'Vexilla scheduled changes: applies one when its schedule fires',
    memorySize: 512,
    timeoutSeconds: 30,
    triggers: ['scheduler'],
    // The write path the admin API uses for feature states, less the id counter (UpdateItem),
    // which only creating features and segments needs.
    tableAccess: [
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'], on: ['table'] },
      { actions: ['dynamodb:Query'], on: ['table', 'indexes'] },
    ],
  },
  'rollout-runner': {
    entry: 'functions/events/rollout-runner.ts',
    description: 'Vexilla rollouts: serves a step when its schedule fires, rolls back when a guard alarm enters ALARM',
    memorySize: 512,
    timeoutSeconds: 30,
    triggers: ['bus', 'scheduler'],
    // The write path of feature states, as apply-scheduled-change has it; Query also lists the
    // running rollouts an alarm may roll back.
    tableAccess: [
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'], on: ['table'] },
      { actions: ['dynamodb:Query'], on: ['table', 'indexes'] },
    ],
    // Reads the guard alarms before each step; schedules the next step on itself (through the
    // scheduler role) and deletes the one it replaces.
    resourceAccess: [
      { actions: ['cloudwatch:DescribeAlarms'], on: 'guardAlarms' },
      { actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'], on: 'schedules' },
      { actions: ['iam:PassRole'], on: 'schedulerRole', conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } },
    ],
    environment: ['SCHEDULE_GROUP_NAME', 'SCHEDULER_ROLE_ARN', 'SCHEDULER_DLQ_ARN'],
  },
  'job-runner': {
    entry: 'functions/events/job-runner.ts',
    description: 'Vexilla jobs: imports and purges, in batches, each run handing its job on before the timeout',
    // A 5 MB document is parsed and planned in memory.
    memorySize: 1024,
    // Long runs, few hand-backs: each run plans its job again before it carries on.
    timeoutSeconds: 300,
    triggers: ['bus', 'queue'],
    // The write path of imports (states, versions, overrides, identities, events, the job and its
    // progress: PutItem, ConditionCheckItem) and of purges (DeleteItem); Query for plans and sweeps.
    tableAccess: [
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:ConditionCheckItem'], on: ['table'] },
      { actions: ['dynamodb:Query'], on: ['table', 'indexes'] },
    ],
    // A run that hands its job back queues the next one.
    resourceAccess: [{ actions: ['sqs:SendMessage'], on: 'jobQueue' }],
    environment: ['JOB_QUEUE_URL'],
  },
};

/** The functions that run the event pipeline, scheduled changes, rollouts and jobs, whatever the route table holds. */
export const asyncFunctionNames: readonly AsyncFunctionName[] = ['publisher', 'audit-writer', 'webhook-dispatcher', 'document-publisher', 'tenant-updater', 'apply-scheduled-change', 'rollout-runner', 'job-runner'];

/** Whether something invokes the function asynchronously (so it needs a dead-letter queue of its own). */
export const invokedAsynchronously = (name: FunctionName): boolean => functionSettings[name].triggers.some((trigger) => trigger === 'bus' || trigger === 'scheduler');

/** The functions the route table actually sends requests to; an unused name builds no Lambda. */
export const routedFunctionNames = (): RoutedFunctionName[] => [...new Set([...routes, ...publicRoutes].map((route) => route.function))];

/** Every function the service deploys: the routed ones and the asynchronous ones. */
export const allFunctionNames = (): FunctionName[] => [...routedFunctionNames(), ...asyncFunctionNames];

/** The repository root, found from this file so synth works from any working directory. */
const projectRoot = fileURLToPath(new URL('..', import.meta.url));
export const entryOf = (name: FunctionName) => fileURLToPath(new URL(`../${functionSettings[name].entry}`, import.meta.url));

/**
 * A function's code: its entry bundled by lib/bundling.ts (split ESM, `index.mjs` and chunks)
 * with CDK's local bundling, so no Docker. The asset hash is of the output: an unchanged bundle
 * redeploys nothing. esbuild's plugins need its asynchronous API and `tryBundle` is synchronous,
 * so the build runs in a child process (lib/build-function.ts, through its launcher lib/build-function.mjs).
 */
function functionCode(name: FunctionName, options: { sourceMaps: boolean }): Code {
  return Code.fromAsset(projectRoot, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the API; never used: local bundling either succeeds or throws.
      image: DockerImage.fromRegistry('node:22-slim'),
      local: {
        tryBundle(outputDir: string): boolean {
          const args = [fileURLToPath(new URL('./build-function.mjs', import.meta.url)), functionSettings[name].entry, outputDir, ...(options.sourceMaps ? ['--source-maps'] : [])];
          try {
            execFileSync(process.execPath, args, { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit'] });
          } catch (error) {
            throw new Error(`Bundling the ${name} function failed: ${(error as Error).message}`);
          }
          return true;
        },
      },
    },
  });
}

export interface VexillaFunctionsProps {
  /** The single table every function reads and writes. */
  readonly table: ITableV2;
  /**
   * The functions to build.
   * @default - every function named by `routes` and `publicRoutes` in functions/http/routes.ts, and the asynchronous ones
   */
  readonly names?: readonly FunctionName[];
  /**
   * How long the functions' logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Keep the functions' log groups and dead-letter queues when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
  /**
   * Concurrency reserved for (and capped at) each function, by name; 0 or absent reserves none.
   * Reserving for the sdk-api keeps a backlog elsewhere (webhooks, imports, a flood of admin calls)
   * from taking the account's concurrency away from the SDK hot path.
   * @default - none reserved
   */
  readonly reservedConcurrency?: Partial<Record<FunctionName, number>>;
  /**
   * Ship source maps in the bundles and run with `--enable-source-maps` (readable stack traces,
   * at the cost of a larger asset and a slower cold start).
   * @default false
   */
  readonly sourceMaps?: boolean;
  /**
   * Days an identity without overrides is kept after an SDK last saw it (0: for ever); sets
   * IDENTITY_IDLE_DAYS on the functions that read or write identities.
   * @default - the code's default, 90 days
   */
  readonly identityIdleDays?: number;
}

/** The functions that read or write identities, so apply the identity retention setting. */
export const IDENTITY_RETENTION_READERS: readonly FunctionName[] = ['sdk-api', 'admin-api', 'job-runner'];

/**
 * One Node.js Lambda function per name, each bundled from its declared entry as ESM, with its own
 * role (no managed policies: only its log group, X-Ray, and the actions declared in
 * `functionSettings`) and its own log group with a retention period. A function invoked
 * asynchronously also gets a dead-letter queue of its own.
 *
 * Resources created later (the bus, queues, distribution, scheduler) are wired in with `connect`
 * and `setEnvironment`; synthesis fails if a declared resource or variable was never supplied.
 */
export class VexillaFunctions extends Construct {
  readonly functions: ReadonlyMap<FunctionName, LambdaFunction>;
  /** The dead-letter queue of each asynchronously invoked function. */
  readonly deadLetterQueues: ReadonlyMap<FunctionName, Queue>;
  private readonly roles = new Map<FunctionName, Role>();
  private readonly connected = new Set<ServiceResource>();
  private readonly environmentSet = new Set<EnvironmentVariable>();

  constructor(scope: Construct, id: string, props: VexillaFunctionsProps) {
    super(scope, id);
    const names = [...new Set(props.names ?? allFunctionNames())];
    if (names.length === 0) throw new Error('VexillaFunctions: no functions to build.');
    if (props.identityIdleDays !== undefined && !(Number.isFinite(props.identityIdleDays) && props.identityIdleDays >= 0)) {
      throw new Error(`VexillaFunctions: identityIdleDays must be 0 or more days, got ${props.identityIdleDays}.`);
    }
    const retain = props.retain ?? true;
    const sourceMaps = props.sourceMaps ?? false;
    for (const [name, reserved] of Object.entries(props.reservedConcurrency ?? {})) {
      if (!Number.isInteger(reserved) || reserved! < 0) throw new Error(`VexillaFunctions: reserved concurrency for ${name} must be a whole number of 0 or more, got ${String(reserved)}.`);
    }
    const functions = new Map<FunctionName, LambdaFunction>();
    const deadLetterQueues = new Map<FunctionName, Queue>();

    for (const name of names) {
      const settings = functionSettings[name];
      const entry = entryOf(name);
      if (!existsSync(entry)) throw new Error(`VexillaFunctions: the '${name}' function's entry ${entry} does not exist.`);
      const group = new Construct(this, name);

      const logGroup = new LogGroup(group, 'Logs', {
        retention: props.logRetention ?? RetentionDays.ONE_MONTH,
        removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      });
      const role = new Role(group, 'Role', {
        assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
        description: `Runs the Vexilla ${name} function`,
      });
      // In place of AWSLambdaBasicExecutionRole: writes to this function's own log group only.
      // (The group exists before the function, so no logs:CreateLogGroup.)
      role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
      for (const statement of tableStatements(props.table, settings.tableAccess)) role.addToPolicy(statement);
      this.roles.set(name, role);

      // Lambda retries a failed asynchronous invocation, then sends the event, with the error, to
      // this queue instead of dropping it.
      const asyncDeadLetterQueue = invokedAsynchronously(name)
        ? deadLetterQueue(group, 'DeadLetterQueue', `the ${name} function's asynchronous invocations (its on-failure destination)`, { retain })
        : undefined;
      if (asyncDeadLetterQueue) deadLetterQueues.set(name, asyncDeadLetterQueue);

      const fn = new LambdaFunction(group, 'Function', {
        code: functionCode(name, { sourceMaps }),
        handler: 'index.handler',
        description: settings.description,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        memorySize: settings.memorySize,
        timeout: Duration.seconds(settings.timeoutSeconds),
        ...(props.reservedConcurrency?.[name] ? { reservedConcurrentExecutions: props.reservedConcurrency[name] } : {}),
        tracing: Tracing.ACTIVE,
        role,
        logGroup,
        ...(asyncDeadLetterQueue ? { onFailure: new SqsDestination(asyncDeadLetterQueue), retryAttempts: ASYNC_RETRY_ATTEMPTS, maxEventAge: Duration.hours(ASYNC_MAX_EVENT_AGE_HOURS) } : {}),
        environment: {
          TABLE_NAME: props.table.tableName,
          POWERTOOLS_SERVICE_NAME: `vexilla-${name}`,
          POWERTOOLS_METRICS_NAMESPACE: 'Vexilla',
          ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
          ...(props.identityIdleDays !== undefined && IDENTITY_RETENTION_READERS.includes(name) ? { IDENTITY_IDLE_DAYS: String(props.identityIdleDays) } : {}),
        },
      });
      acknowledgeFunctionFindings(name, role, fn);
      functions.set(name, fn);
    }
    this.functions = functions;
    this.deadLetterQueues = deadLetterQueues;
    this.node.addValidation({ validate: () => this.unwired() });
  }

  /** The function by name; throws if it was not built. */
  get(name: FunctionName): LambdaFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new Error(`VexillaFunctions: no '${name}' function was built.`);
    return fn;
  }

  /** The function's role, e.g. to acknowledge a nag finding on it. */
  roleOf(name: FunctionName): Role {
    const role = this.roles.get(name);
    if (!role) throw new Error(`VexillaFunctions: no '${name}' function was built.`);
    return role;
  }

  /** Grants every function the actions it declares on `resource`, on exactly these ARNs (none: the resource does not exist in this deployment). */
  connect(resource: ServiceResource, arns: readonly string[]): void {
    this.connected.add(resource);
    if (arns.length === 0) return;
    for (const [name, role] of this.roles) {
      for (const access of functionSettings[name].resourceAccess ?? []) {
        if (access.on !== resource) continue;
        role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: [...access.actions], resources: [...arns], ...(access.conditions ? { conditions: access.conditions } : {}) }));
      }
    }
  }

  /** Sets each variable on the functions that declare it; `undefined` leaves it out on purpose. */
  setEnvironment(values: Partial<Record<EnvironmentVariable, string | undefined>>): void {
    for (const [variable, value] of Object.entries(values) as [EnvironmentVariable, string | undefined][]) {
      this.environmentSet.add(variable);
      if (value === undefined) continue;
      for (const [name, fn] of this.functions) if (functionSettings[name].environment?.includes(variable)) fn.addEnvironment(variable, value);
    }
  }

  /** Declared resources and variables that nothing supplied: a deployed function would fail on them. */
  private unwired(): string[] {
    return [...this.functions.keys()].flatMap((name) => [
      ...(functionSettings[name].resourceAccess ?? []).filter((access) => !this.connected.has(access.on)).map((access) => `The ${name} function needs '${access.on}', which was never connected.`),
      ...(functionSettings[name].environment ?? []).filter((variable) => !this.environmentSet.has(variable)).map((variable) => `The ${name} function needs ${variable}, which was never set.`),
    ]);
  }
}

/** The IAM statements for a function's declared table access. */
export function tableStatements(table: ITableV2, access: readonly TableAccess[]): PolicyStatement[] {
  const arns: Record<TableResource, string[]> = {
    table: [table.tableArn],
    indexes: Object.keys(tableDeclaration.indexes).map((index) => `${table.tableArn}/index/${index}`),
  };
  return access.map(
    (statement) => new PolicyStatement({ effect: Effect.ALLOW, actions: [...statement.actions], resources: statement.on.flatMap((on) => arns[on]) }),
  );
}

/** The nag findings a function's design accepts, each on the narrowest construct it concerns. */
function acknowledgeFunctionFindings(name: FunctionName, role: Role, fn: LambdaFunction): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: `X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so the ${name} role can only grant them on '*'. Its table and log permissions name exact ARNs.`,
  });
  const runtimeReason = `The ${name} function is pinned to nodejs22.x deliberately (Node.js 22 LTS, supported by Lambda into 2027): the runtime moves to a newer line as a reviewed change once the test suite passes on it, not automatically.`;
  Validations.of(fn).acknowledge({ id: 'AwsSolutions-L1', reason: runtimeReason });
  Validations.of(fn).acknowledge({ id: 'Serverless-LambdaLatestVersion', reason: runtimeReason });
  const triggers = functionSettings[name].triggers;
  const noDeadLetterQueue: Partial<Record<Trigger, string>> = {
    http: `The ${name} function is only invoked synchronously, by API Gateway: the caller receives the error, and there are no asynchronous invocations whose failed events a dead-letter queue could keep.`,
    stream: `The ${name} function is only invoked by its DynamoDB stream event source mapping, which is not an asynchronous invocation: failed batches are bisected, retried, then recorded in the mapping's own on-failure queue.`,
    queue: `The ${name} function is only invoked by its SQS event source mapping, which is not an asynchronous invocation: a failed message returns to its queue and, after maxReceiveCount receives, moves to that queue's redrive dead-letter queue.`,
  };
  const only = triggers.length === 1 ? triggers[0] : undefined;
  const reason = only ? noDeadLetterQueue[only] : undefined;
  if (reason) Validations.of(fn).acknowledge({ id: 'Serverless-LambdaDLQ', reason });
  if (invokedAsynchronously(name)) {
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason: `The ${name} function's failed asynchronous invocations go to an on-failure destination (an SQS queue of its own, alarmed), which AWS recommends over the older dead-letter queue setting: its records carry the error and the request context along with the event. Having both would send every failure twice.`,
    });
  }
}
