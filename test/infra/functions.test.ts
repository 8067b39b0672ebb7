import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { table } from '../../functions/data/table.js';
import { publicRoutes, routes } from '../../functions/http/routes.js';
import { allFunctionNames, asyncFunctionNames, type FunctionName, functionSettings, routedFunctionNames } from '../../lib/functions.js';
import { logicalIdOf, synthVexilla } from './synth.js';

// Synthesised once per file: each synth bundles every function with esbuild.
const { app, stack, template } = synthVexilla();
const built = stack.service.functions.functions;
const tableArn = { 'Fn::GetAtt': [logicalIdOf(stack.table.table), 'Arn'] };
const indexArns = Object.keys(table.indexes).map((index) => ({ 'Fn::Join': ['', [tableArn, `/index/${index}`]] }));

type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
/** A statement in a form that compares equal regardless of CloudFormation's single-item collapsing. */
const normalise = (statement: Statement) => ({
  Effect: statement.Effect,
  Action: [...asList(statement.Action)].sort(),
  Resource: asList(statement.Resource),
  ...(statement.Condition ? { Condition: statement.Condition } : {}),
});

function resourcesOf(name: FunctionName) {
  const fn = built.get(name);
  if (!fn) throw new Error(`no ${name} function`);
  const functionId = logicalIdOf(fn);
  const properties = template.toJSON().Resources[functionId].Properties as Record<string, unknown> & { Role: { 'Fn::GetAtt': [string, string] } };
  const roleId = properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
  return { functionId, properties, roleId, policies, logGroupId: logicalIdOf(fn.logGroup as unknown as CfnFunction) };
}

const names = allFunctionNames();

/**
 * CDK's own deployment-time custom resources for the dashboard bucket (lib/dashboard.ts): the
 * BucketDeployment that copies the built files and the auto-delete that empties the bucket when
 * the stack goes. They run only while CloudFormation deploys; every other function is Vexilla's.
 */
const cdkProvider = /^Custom(CDKBucketDeployment|S3AutoDeleteObjectsCustomResourceProvider)/;
const cdkProviderIds = Object.keys(template.toJSON().Resources as object).filter((id) => cdkProvider.test(id));

describe('the Lambda functions', () => {
  it('are the functions the route table sends requests to, and one per asynchronous concern', () => {
    expect(new Set(routedFunctionNames())).toEqual(new Set([...routes, ...publicRoutes].map((route) => route.function)));
    expect(asyncFunctionNames).toEqual(['publisher', 'audit-writer', 'webhook-dispatcher', 'document-publisher', 'tenant-updater', 'apply-scheduled-change', 'rollout-runner', 'job-runner']);
    expect([...built.keys()].sort()).toEqual([...names].sort());
    const functions = Object.keys(template.findResources('AWS::Lambda::Function'));
    expect(functions.filter((id) => !cdkProvider.test(id))).toHaveLength(names.length);
    expect(functions.filter((id) => cdkProvider.test(id))).toHaveLength(2);
  });

  it.each(names)('%s runs on Node.js 22 on arm64, traced, with its own memory, timeout and environment', (name) => {
    const { properties } = resourcesOf(name);
    const settings = functionSettings[name];
    expect(properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: settings.memorySize,
      Timeout: settings.timeoutSeconds,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: {
          TABLE_NAME: { Ref: logicalIdOf(stack.table.table) },
          POWERTOOLS_SERVICE_NAME: `vexilla-${name}`,
          POWERTOOLS_METRICS_NAMESPACE: 'Vexilla',
        },
      },
    });
  });

  it.each(names)('%s gets exactly the environment variables its code reads', (name) => {
    const { properties } = resourcesOf(name);
    const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    const expected: Record<FunctionName, string[]> = {
      'sdk-api': ['ORIGIN_VERIFY_SECRET'],
      'tenant-api': ['ORIGIN_VERIFY_SECRET'],
      'admin-api': ['SCHEDULE_GROUP_NAME', 'SCHEDULER_ROLE_ARN', 'APPLY_SCHEDULED_CHANGE_ARN', 'SCHEDULER_DLQ_ARN', 'ROLLOUT_RUNNER_ARN', 'GUARD_ALARM_ARNS', 'ORIGIN_VERIFY_SECRET', 'SIGN_IN_CONFIG', 'COGNITO_USER_POOL_ID', 'JOB_QUEUE_URL'],
      publisher: ['EVENT_BUS_NAME'],
      'audit-writer': [],
      'webhook-dispatcher': ['WEBHOOK_QUEUE_URL'],
      'document-publisher': ['DISTRIBUTION_ID'],
      'tenant-updater': ['TENANT_UPDATE_DLQ_URL'],
      'apply-scheduled-change': [],
      // Its own ARN (to schedule the next step on itself) comes from the invocation's context.
      'rollout-runner': ['SCHEDULE_GROUP_NAME', 'SCHEDULER_ROLE_ARN', 'SCHEDULER_DLQ_ARN'],
      'job-runner': ['JOB_QUEUE_URL'],
    };
    expect(Object.keys(variables).sort()).toEqual(['POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME', 'TABLE_NAME', ...expected[name]].sort());
    const values: Record<string, unknown> = {
      EVENT_BUS_NAME: ref(events.bus),
      WEBHOOK_QUEUE_URL: ref(events.webhookQueue),
      DISTRIBUTION_ID: ref(edge.distribution),
      SCHEDULE_GROUP_NAME: ref(scheduler.groupResource),
      ORIGIN_VERIFY_SECRET: originVerifyReference,
      SCHEDULER_ROLE_ARN: arnOf(scheduler.role),
      APPLY_SCHEDULED_CHANGE_ARN: arnOf(functions.get('apply-scheduled-change')),
      SCHEDULER_DLQ_ARN: arnOf(scheduler.deadLetterQueue),
      ROLLOUT_RUNNER_ARN: arnOf(functions.get('rollout-runner')),
      GUARD_ALARM_ARNS: guardAlarmArn,
      SIGN_IN_CONFIG: stack.resolve(stack.toJsonString(stack.service.identity.signIn)),
      COGNITO_USER_POOL_ID: ref(stack.service.identity.userPool!),
      JOB_QUEUE_URL: ref(jobs.queue),
      TENANT_UPDATE_DLQ_URL: ref(functions.deadLetterQueues.get('tenant-updater')!),
    };
    for (const variable of expected[name]) expect(variables[variable], variable).toEqual(values[variable]);
  });

  it('reserves concurrency for the sdk-api alone, so nothing else can starve the hot path', () => {
    for (const name of names) {
      const reserved = resourcesOf(name).properties.ReservedConcurrentExecutions;
      expect(reserved, name).toBe(name === 'sdk-api' ? 100 : undefined);
    }
  });

  it('sizes the hot path larger and shorter than the management API', () => {
    expect(functionSettings['admin-api']).toMatchObject({ memorySize: 512, timeoutSeconds: 10 });
    expect(functionSettings['sdk-api']).toMatchObject({ memorySize: 1024, timeoutSeconds: 5 });
  });

  it.each(names)('%s logs to a log group of its own, kept for a month', (name) => {
    const { properties, logGroupId } = resourcesOf(name);
    expect(properties.LoggingConfig).toEqual({ LogGroup: { Ref: logGroupId } });
    template.hasResource('AWS::Logs::LogGroup', Match.objectLike({ Properties: { RetentionInDays: 30 } }));
    expect(template.toJSON().Resources[logGroupId]).toMatchObject({ Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } });
  });

  it.each(names)('%s is bundled as minified ESM with a require shim, no source map and only the English zod locale, and loads', (name) => {
    const { properties } = resourcesOf(name);
    const key = (properties.Code as { S3Key: string }).S3Key;
    const dir = join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`);
    const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
    expect(code.startsWith("import { createRequire as __vexillaCreateRequire } from 'node:module'; const require = __vexillaCreateRequire(import.meta.url);")).toBe(true);
    // Minified: long lines (only template literals keep their line breaks).
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000);
    // No map shipped and none loaded: a map and --enable-source-maps cost every cold start.
    expect(code).not.toMatch(/sourceMappingURL/);
    expect(existsSync(join(dir, 'index.mjs.map'))).toBe(false);
    expect((properties.Environment as { Variables: Record<string, unknown> }).Variables).not.toHaveProperty('NODE_OPTIONS');
    // The whole asset: the entry and the chunks it loads, at init or on demand (zod is in a chunk).
    const asset = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.mjs'))
      .map((file) => readFileSync(join(dir, file), 'utf8'))
      .join('\n');
    // zod's other locales are dead weight (a namespace import keeps them out); English error
    // messages stay. A German message of zod's would mean every locale came back.
    expect(asset).toContain('Invalid input');
    expect(asset).not.toContain('Ungültige Eingabe');
    // The SDK's credential chain is replaced by the environment provider (lib/bundling.ts).
    expect(asset).not.toContain('sso_start_url');
    expect(asset).not.toContain('web_identity_token_file');
    // What Lambda does on a cold start, in a plain Node.js process: import the module, find the handler.
    const probe = `const m = await import(${JSON.stringify(pathToFileURL(join(dir, 'index.mjs')).href)}); console.log(typeof m.handler);`;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', probe], {
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', TABLE_NAME: 'unused' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(output.trim()).toBe('function');
  });
});

const ref = (construct: Parameters<typeof logicalIdOf>[0]) => ({ Ref: logicalIdOf(construct) });
const arnOf = (construct: Parameters<typeof logicalIdOf>[0], attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalIdOf(construct), attribute] });
const { events, scheduler, functions, edge, jobs } = stack.service;
/** What the functions get for the origin-verify secret: a dynamic reference, resolved at deploy time. */
const originVerifyReference = { 'Fn::Join': ['', ['{{resolve:secretsmanager:', ref(stack.service.originVerifySecret!), ':SecretString:::}}']] };
const sendTo = (queue: Parameters<typeof logicalIdOf>[0]) => ({ Effect: 'Allow', Action: ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage'], Resource: [arnOf(queue)] });
const consume = (queue: Parameters<typeof logicalIdOf>[0]) => ({
  Effect: 'Allow',
  Action: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage'],
  Resource: [arnOf(queue)],
});
const asyncFailures = (name: FunctionName) => sendTo(functions.deadLetterQueues.get(name)!);
/** The default guard alarms: those named with the prefix vexilla-guard-, in the stack's account and region. */
const guardAlarmArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:vexilla-guard-*']] };
const describeGuardAlarms = { Effect: 'Allow', Action: ['cloudwatch:DescribeAlarms'], Resource: [guardAlarmArn] };
const manageSchedules = {
  Effect: 'Allow',
  Action: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'],
  Resource: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':schedule/', ref(scheduler.groupResource), '/*']] }],
};
const passSchedulerRole = { Effect: 'Allow', Action: ['iam:PassRole'], Resource: [arnOf(scheduler.role)], Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } };
/** Every statement beyond the log group, X-Ray and the declared table access: the wiring each function's code needs. */
const wiring: Record<FunctionName, unknown[]> = {
  'sdk-api': [],
  'tenant-api': [],
  'admin-api': [
    manageSchedules,
    passSchedulerRole,
    describeGuardAlarms,
    // Invitations create accounts in this pool, and in no other.
    { Effect: 'Allow', Action: ['cognito-idp:AdminCreateUser'], Resource: [arnOf(stack.service.identity.userPool!)] },
    { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [arnOf(jobs.queue)] },
  ],
  publisher: [
    { Effect: 'Allow', Action: ['dynamodb:ListStreams'], Resource: [arnOf(stack.table.table, 'StreamArn')] },
    { Effect: 'Allow', Action: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], Resource: [arnOf(stack.table.table, 'StreamArn')] },
    { Effect: 'Allow', Action: ['events:PutEvents'], Resource: [arnOf(events.bus)] },
    sendTo(events.deadLetterQueues.get('stream-publisher')!),
  ],
  'audit-writer': [asyncFailures('audit-writer')],
  'webhook-dispatcher': [asyncFailures('webhook-dispatcher'), consume(events.webhookQueue), { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [arnOf(events.webhookQueue)] }],
  'document-publisher': [
    consume(events.documentQueue),
    {
      Effect: 'Allow',
      Action: ['cloudfront:CreateInvalidation'],
      Resource: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudfront::', { Ref: 'AWS::AccountId' }, ':distribution/', ref(edge.distribution)]] }],
    },
  ],
  // Its own on-failure queue, from Lambda (retries spent) and from its code (events no retry fixes).
  'tenant-updater': [asyncFailures('tenant-updater'), { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [arnOf(functions.deadLetterQueues.get('tenant-updater')!)] }],
  'apply-scheduled-change': [asyncFailures('apply-scheduled-change')],
  'rollout-runner': [asyncFailures('rollout-runner'), describeGuardAlarms, manageSchedules, passSchedulerRole],
  'job-runner': [asyncFailures('job-runner'), consume(jobs.queue), { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [arnOf(jobs.queue)] }],
};

describe('least privilege', () => {
  it.each(names)("%s's role has exactly its declared table statements, its wiring, its own log group, and X-Ray", (name) => {
    const { policies, roleId, logGroupId } = resourcesOf(name);
    expect(policies).toHaveLength(1);
    const statements = (policies[0]?.Properties.PolicyDocument.Statement as Statement[]).map(normalise);
    const arns: Record<'table' | 'indexes', unknown[]> = { table: [tableArn], indexes: indexArns };
    const expected = [
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: [{ 'Fn::GetAtt': [logGroupId, 'Arn'] }] },
      ...functionSettings[name].tableAccess.map((access) => ({ Effect: 'Allow', Action: [...access.actions].sort(), Resource: access.on.flatMap((on) => arns[on]) })),
      // X-Ray's actions have no resource-level permissions; CDK adds this for Tracing.ACTIVE.
      { Effect: 'Allow', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: ['*'] },
      ...wiring[name],
    ];
    expect(statements).toHaveLength(expected.length);
    expect(statements).toEqual(expect.arrayContaining(expected));
    // No managed policies (AWSLambdaBasicExecutionRole or any other) and no inline ones.
    expect(template.toJSON().Resources[roleId].Properties).not.toHaveProperty('ManagedPolicyArns');
    expect(template.toJSON().Resources[roleId].Properties).not.toHaveProperty('Policies');
  });

  it('grants no wildcard action, and a wildcard resource only to X-Ray', () => {
    for (const [id, policy] of Object.entries(template.findResources('AWS::IAM::Policy'))) {
      if (cdkProviderIds.includes(id)) {
        // CDK's grants: object-level s3 actions on the CDK asset bucket and the dashboard bucket only.
        const statements = policy.Properties.PolicyDocument.Statement as Statement[];
        for (const statement of statements) expect(asList(statement.Action).every((action) => action.startsWith('s3:')), id).toBe(true);
        expect(JSON.stringify(statements.map((statement) => statement.Resource))).not.toContain('"*"');
        continue;
      }
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        for (const action of asList(statement.Action)) expect(action).not.toContain('*');
        if (asList(statement.Resource).includes('*')) expect(asList(statement.Action).every((action) => action.startsWith('xray:'))).toBe(true);
      }
    }
  });

  it('grants index access for Query only, on indexes named one by one', () => {
    for (const settings of Object.values(functionSettings)) {
      for (const access of settings.tableAccess) {
        if (access.on.includes('indexes')) expect(access.actions).toEqual(['dynamodb:Query']);
        // Scans, table administration and stream reads are never part of a request path.
        expect(access.actions.filter((action) => /Scan|Table|Stream|BatchWrite|\*/.test(action))).toEqual([]);
      }
    }
  });

  it('keeps the SDK API from deleting anything', () => {
    expect(functionSettings['sdk-api'].tableAccess.flatMap((access) => access.actions)).not.toContain('dynamodb:DeleteItem');
  });
});
