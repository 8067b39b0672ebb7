import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { allFunctionNames } from '../../lib/functions.js';
import { addNagPacks } from '../../lib/nag.js';
import { acknowledgments, logicalIdOf, synthVexilla } from './synth.js';

// Synthesised once, with what `cdk synth` runs: CDK's CloudFormation validation and both nag packs
// as validation plugins. Synthesis itself throws if a pack reports an error. The packs judge the
// template, not the code: the functions are not bundled here (test/infra/functions.test.ts does).
const { app, stack, packs } = synthVexilla(undefined, { bundle: false, cloudFormationValidation: true });

describe('cdk-nag', () => {
  it.each(['awsSolutions', 'serverless'] as const)('the %s pack finds nothing unacknowledged, warnings included', (pack) => {
    const report = packs[pack].validateScope(app);
    expect(report.violations.map((violation) => `${violation.ruleName} ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only the findings the design accepts, each on its own construct, each with a reason', () => {
    const found = acknowledgments(stack);
    const { events, functions, scheduler, rollouts, jobs } = stack.service;
    const pathOf = (construct: { node: { path: string } }) => construct.node.path;
    const redriveDeadLetterQueues = new Set([events.deadLetterQueues.get('document-queue'), events.deadLetterQueues.get('webhook-queue'), jobs.deadLetterQueue]);
    const deadLetterQueues = [...functions.deadLetterQueues.values(), ...events.deadLetterQueues.values(), scheduler.deadLetterQueue, rollouts.deadLetterQueue, jobs.deadLetterQueue];
    const expected = [
      ...allFunctionNames().flatMap((name) => [
        { id: 'AwsSolutions-IAM5[Resource::*]', path: `${stack.stackName}/Default/Functions/${name}/Role` },
        { id: 'AwsSolutions-L1', path: `${stack.stackName}/Default/Functions/${name}/Function` },
        { id: 'Serverless-LambdaLatestVersion', path: `${stack.stackName}/Default/Functions/${name}/Function` },
        { id: 'Serverless-LambdaDLQ', path: `${stack.stackName}/Default/Functions/${name}/Function` },
      ]),
      { id: 'AwsSolutions-APIG4', path: `${stack.stackName}/Default/Http/Routes` },
      // The default stack has no custom domain, WAF web ACL or geographic restriction: each is a prop.
      { id: 'AwsSolutions-CFR1', path: `${stack.stackName}/Default/Edge/Distribution` },
      { id: 'AwsSolutions-CFR2', path: `${stack.stackName}/Default/Edge/Distribution` },
      { id: 'AwsSolutions-CFR4', path: `${stack.stackName}/Default/Edge/Distribution` },
      { id: 'AwsSolutions-S1', path: `${stack.stackName}/Default/Edge/AccessLogs` },
      // Dead-letter queues need no dead-letter queue; cdk-nag recognises only those named in a redrive policy.
      ...deadLetterQueues.map((queue) => ({ id: 'Serverless-SQSRedrivePolicy', path: pathOf(queue) })),
      ...deadLetterQueues.filter((queue) => !redriveDeadLetterQueues.has(queue)).map((queue) => ({ id: 'AwsSolutions-SQS3', path: pathOf(queue) })),
      // SQS event source mappings take no on-failure destination: the queues' redrive policies do that.
      ...(['document-publisher', 'webhook-dispatcher', 'job-runner'] as const).map((name) => ({
        id: 'Serverless-LambdaEventSourceMappingDestination',
        path: pathOf(functions.get(name).node.children.find((child) => child.node.id.startsWith('SqsEventSource'))!),
      })),
      // A failed webhook or job sweep needs no keeping: the next run does the same work.
      { id: 'Serverless-EventBusDLQ', path: pathOf(events.webhookSweep) },
      { id: 'Serverless-EventBusDLQ', path: pathOf(jobs.sweep) },
      // The admin API manages the schedules of Vexilla's group, whose names are per scheduled change.
      // So does the rollout-runner, for rollout steps; both describe the guard alarms the deployment declares by prefix.
      ...(['admin-api', 'rollout-runner'] as const).flatMap((name) => [
        {
          id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${logicalIdOf(scheduler.groupResource)}>/*]`,
          path: `${stack.stackName}/Default/Functions/${name}/Role`,
        },
        { id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:vexilla-guard-*]', path: `${stack.stackName}/Default/Functions/${name}/Role` },
      ]),
      // The origin-verify secret is replaced by a deploy, not rotated in place.
      { id: 'AwsSolutions-SMG4', path: `${stack.stackName}/Default/OriginVerify` },
      // The dashboard bucket (CloudFront's access logs record its reads) and CDK's own deployment provider.
      { id: 'AwsSolutions-S1', path: pathOf(stack.service.dashboard.bucket) },
      ...[
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => `AwsSolutions-IAM5[Action::${action}]`),
        'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*]',
        `AwsSolutions-IAM5[Resource::<${logicalIdOf(stack.service.dashboard.bucket)}.Arn>/*]`,
        'AwsSolutions-L1',
        'Serverless-LambdaDLQ',
        'Serverless-LambdaTracing',
        'Serverless-LambdaLatestVersion',
      ].map((id) => ({ id, path: pathOf(stack.node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'))!) })),
    ];
    expect(found.map(({ id, path }) => ({ id, path }))).toEqual(expect.arrayContaining(expected));
    expect(found).toHaveLength(expected.length);
    for (const { reason } of found) expect(reason.length).toBeGreaterThan(80);
  });

  it('fails synthesis on an unacknowledged error, as `cdk synth` does', () => {
    const scratch = new App({ builtinCloudFormationValidation: false });
    const scratchStack = new Stack(scratch, 'Scratch');
    new LambdaFunction(scratchStack, 'Old', { runtime: Runtime.NODEJS_20_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({});') });
    addNagPacks(scratch);
    expect(() => Template.fromStack(scratchStack)).toThrow(/AwsSolutions-L1|AwsSolutions-IAM4/);
  });
});
