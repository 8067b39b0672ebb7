import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { allFunctionNames } from '../../lib/functions.js';
import { addNagPacks } from '../../lib/nag.js';
import { acknowledgments, logicalIdOf, synthVexilla } from './synth.js';

// Synthesised once, with everything `cdk synth` runs: CDK's CloudFormation validation and both
// nag packs as validation plugins. Synthesis itself throws if a pack reports an error.
const { app, stack, packs } = synthVexilla(undefined, { cloudFormationValidation: true });

describe('cdk-nag', () => {
  it.each(['awsSolutions', 'serverless'] as const)('the %s pack finds nothing unacknowledged, warnings included', (pack) => {
    const report = packs[pack].validateScope(app);
    expect(report.violations.map((violation) => `${violation.ruleName} ${violation.violatingResources.map((resource) => resource.constructPath).join(', ')}`)).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('acknowledges only the findings the design accepts, each on its own construct, each with a reason', () => {
    const found = acknowledgments(stack);
    const { events, functions, scheduler, jobs } = stack.service;
    const pathOf = (construct: { node: { path: string } }) => construct.node.path;
    const redriveDeadLetterQueues = new Set([events.deadLetterQueues.get('document-queue'), events.deadLetterQueues.get('webhook-queue'), jobs.deadLetterQueue]);
    const deadLetterQueues = [...functions.deadLetterQueues.values(), ...events.deadLetterQueues.values(), scheduler.deadLetterQueue, jobs.deadLetterQueue];
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
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/<${logicalIdOf(scheduler.groupResource)}>/*]`,
        path: `${stack.stackName}/Default/Functions/admin-api/Role`,
      },
      // The origin-verify secret is replaced by a deploy, not rotated in place.
      { id: 'AwsSolutions-SMG4', path: `${stack.stackName}/Default/OriginVerify` },
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
