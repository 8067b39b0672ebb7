import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { table as tableDeclaration } from '../functions/data/table.js';
import { type FunctionName, publicRoutes, routes } from '../functions/http/routes.js';

/** What a statement is about: the table itself, or each of its declared indexes (by name). */
export type TableResource = 'table' | 'indexes';

/** One IAM statement on the single table, as data, so the infra test can assert it exactly. */
export interface TableAccess {
  readonly actions: readonly `dynamodb:${string}`[];
  readonly on: readonly TableResource[];
}

/** How one Lambda function is sized and what it may do. */
export interface FunctionSettings {
  readonly description: string;
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly tableAccess: readonly TableAccess[];
}

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
    description: 'Vexilla management API (/admin/v1)',
    memorySize: 512,
    timeoutSeconds: 10,
    tableAccess: [
      {
        // GetItem: reads by key. PutItem, DeleteItem: the items of the one write path's
        // TransactWriteItems; ConditionCheckItem lets such a transaction assert an item it does
        // not write (it reads nothing back). UpdateItem: the atomic counter that numbers
        // Flagsmith-format ids (DynamoStore.allocate).
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
        on: ['table'],
      },
      { actions: ['dynamodb:Query'], on: ['table', 'indexes'] },
    ],
  },
  'sdk-api': {
    description: 'Vexilla SDK API (/api/v1: Flagsmith SDK protocol; /ofrep/v1: OpenFeature OFREP)',
    memorySize: 1024,
    timeoutSeconds: 5,
    tableAccess: [
      {
        // GetItem: keys, environments, identities by key; BatchGetItem reads the same items, many
        // keys at a time. PutItem: an identity and its traits (a conditional put in a
        // TransactWriteItems). UpdateItem: the per-day flag evaluation counters (analytics).
        // No DeleteItem: the SDK API never deletes.
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        on: ['table'],
      },
      { actions: ['dynamodb:Query'], on: ['table', 'indexes'] },
    ],
  },
};

/** The functions the route table actually sends requests to; an unused name builds no Lambda. */
export const routedFunctionNames = (): FunctionName[] => [...new Set([...routes, ...publicRoutes].map((route) => route.function))];

/** The repository root, found from this file so synth works from any working directory. */
const projectRoot = fileURLToPath(new URL('..', import.meta.url));
export const entryOf = (name: FunctionName) => fileURLToPath(new URL(`../functions/http/${name}.ts`, import.meta.url));

/**
 * esbuild's ESM output has no `require`; CommonJS dependencies that call it (directly or through
 * esbuild's `__require` shim) get one from `createRequire`. The alias avoids clashing with any
 * `createRequire` import in the bundle itself.
 */
const REQUIRE_BANNER = "import { createRequire as __vexillaCreateRequire } from 'node:module'; const require = __vexillaCreateRequire(import.meta.url);";

export interface VexillaFunctionsProps {
  /** The single table every function reads and writes. */
  readonly table: ITableV2;
  /**
   * The functions to build.
   * @default - every function named by `routes` and `publicRoutes` in functions/http/routes.ts
   */
  readonly names?: readonly FunctionName[];
  /**
   * How long the functions' logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Keep the functions' log groups when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * One Node.js Lambda function per name, each bundled from `functions/http/<name>.ts` as ESM, with
 * its own role (no managed policies: only its log group, X-Ray, and the table actions declared in
 * `functionSettings`) and its own log group with a retention period.
 */
export class VexillaFunctions extends Construct {
  readonly functions: ReadonlyMap<FunctionName, NodejsFunction>;

  constructor(scope: Construct, id: string, props: VexillaFunctionsProps) {
    super(scope, id);
    const names = [...new Set(props.names ?? routedFunctionNames())];
    if (names.length === 0) throw new Error('VexillaFunctions: no functions to build (the route table names none).');
    const retain = props.retain ?? true;
    const functions = new Map<FunctionName, NodejsFunction>();

    for (const name of names) {
      const settings = functionSettings[name];
      const entry = entryOf(name);
      if (!existsSync(entry)) throw new Error(`VexillaFunctions: the route table sends requests to '${name}', but ${entry} does not exist.`);
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

      const fn = new NodejsFunction(group, 'Function', {
        entry,
        handler: 'handler',
        description: settings.description,
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        memorySize: settings.memorySize,
        timeout: Duration.seconds(settings.timeoutSeconds),
        tracing: Tracing.ACTIVE,
        role,
        logGroup,
        projectRoot,
        depsLockFilePath: fileURLToPath(new URL('../package-lock.json', import.meta.url)),
        environment: {
          TABLE_NAME: props.table.tableName,
          POWERTOOLS_SERVICE_NAME: `vexilla-${name}`,
          POWERTOOLS_METRICS_NAMESPACE: 'Vexilla',
          NODE_OPTIONS: '--enable-source-maps',
        },
        bundling: {
          format: OutputFormat.ESM,
          target: 'node22',
          mainFields: ['module', 'main'],
          banner: REQUIRE_BANNER,
          minify: true,
          sourceMap: true,
          sourceMapMode: SourceMapMode.DEFAULT,
          // Source maps only need names and positions; the sources would double the asset size.
          sourcesContent: false,
          // Bundle AWS SDK v3 too: the version that runs is the one in package-lock.json and the
          // tests, not whatever the runtime ships that week.
          externalModules: [],
        },
      });
      acknowledgeFunctionFindings(name, role, fn);
      functions.set(name, fn);
    }
    this.functions = functions;
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
function acknowledgeFunctionFindings(name: FunctionName, role: Role, fn: NodejsFunction): void {
  Validations.of(role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: `X-Ray active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so the ${name} role can only grant them on '*'. Its table and log permissions name exact ARNs.`,
  });
  const runtimeReason = `The ${name} function is pinned to nodejs22.x deliberately (Node.js 22 LTS, supported by Lambda into 2027): the runtime moves to a newer line as a reviewed change once the test suite passes on it, not automatically.`;
  Validations.of(fn).acknowledge({ id: 'AwsSolutions-L1', reason: runtimeReason });
  Validations.of(fn).acknowledge({ id: 'Serverless-LambdaLatestVersion', reason: runtimeReason });
  Validations.of(fn).acknowledge({
    id: 'Serverless-LambdaDLQ',
    reason: `The ${name} function is only invoked synchronously, by API Gateway: the caller receives the error, and there are no asynchronous invocations whose failed events a dead-letter queue could keep.`,
  });
}
