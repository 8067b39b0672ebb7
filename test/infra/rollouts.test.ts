/**
 * Rollouts in the template: the guard-alarm rule on the default bus, built from the rule table
 * and narrowed to the deployment's guard alarms; its target; who may invoke the runner; and
 * least privilege on alarms (DescribeAlarms on the guard alarms only, by nobody else).
 */
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { defaultBusRules, eventPattern } from '../../functions/events/rules.js';
import { pipelineSettings } from '../../lib/events.js';
import { VexillaFunctions } from '../../lib/functions.js';
import { VexillaRollouts } from '../../lib/rollouts.js';
import { logicalIdOf, synthVexilla } from './synth.js';

const { stack, template } = synthVexilla(undefined, { bundle: false });
const { rollouts, functions, scheduler } = stack.service;
const ref = (construct: Parameters<typeof logicalIdOf>[0]) => ({ Ref: logicalIdOf(construct) });
const arnOf = (construct: Parameters<typeof logicalIdOf>[0], attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalIdOf(construct), attribute] });
const alarmArn = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:alarm:${name}`]] });
type Statement = { Action: string | string[]; Resource: unknown };
const asList = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Every IAM statement in a template that grants an action, with the roles it is attached to. */
function grants(json: Record<string, unknown>, action: string) {
  const resources = json.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .flatMap((policy) =>
      ((policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement ?? [])
        .filter((statement) => asList(statement.Action).includes(action))
        .map((statement) => ({ roles: policy.Properties.Roles, resource: statement.Resource })),
    );
}

describe('the guard-alarm rule', () => {
  it("is on the default bus (where CloudWatch puts alarm state changes), with the rule table's pattern narrowed to the guard alarms", () => {
    const rule = template.toJSON().Resources[logicalIdOf(rollouts.alarmRule)].Properties;
    const [declared] = defaultBusRules;

    expect(rule.EventBusName).toBeUndefined();
    expect(rule.EventPattern).toEqual({ ...eventPattern(declared!), detail: { state: { value: ['ALARM'] }, alarmName: [{ prefix: 'vexilla-guard-' }] } });
    expect(rule.State).toBe('ENABLED');
  });

  it('targets the rollout-runner, retrying, with a dead-letter queue of its own that EventBridge (for this rule only) may write to', () => {
    const rule = template.toJSON().Resources[logicalIdOf(rollouts.alarmRule)].Properties;
    expect(rule.Targets).toEqual([
      expect.objectContaining({
        Arn: arnOf(functions.get('rollout-runner')),
        DeadLetterConfig: { Arn: arnOf(rollouts.deadLetterQueue) },
        RetryPolicy: { MaximumEventAgeInSeconds: pipelineSettings.ruleTarget.maxEventAge.toSeconds(), MaximumRetryAttempts: pipelineSettings.ruleTarget.retryAttempts },
      }),
    ]);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(rollouts.deadLetterQueue)],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': arnOf(rollouts.alarmRule) } } })]) },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: arnOf(rollouts.deadLetterQueue, 'QueueName') }] });
  });

  it('is the only rule that invokes the runner, and the scheduler role the only role', () => {
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: arnOf(functions.get('rollout-runner')) } })).map((p) => p.Properties);
    expect(permissions).toEqual([{ Action: 'lambda:InvokeFunction', FunctionName: arnOf(functions.get('rollout-runner')), Principal: 'events.amazonaws.com', SourceArn: arnOf(rollouts.alarmRule) }]);
    expect(grants(template.toJSON(), 'lambda:InvokeFunction').filter((grant) => JSON.stringify(grant.resource) === JSON.stringify(arnOf(functions.get('rollout-runner'))))).toEqual([
      { roles: [ref(scheduler.role)], resource: arnOf(functions.get('rollout-runner')) },
    ]);
  });
});

describe('least privilege on alarms', () => {
  it('lets only the admin API and the runner describe alarms, and only the guard alarms', () => {
    const described = grants(template.toJSON(), 'cloudwatch:DescribeAlarms');
    const roleOf = (name: 'admin-api' | 'rollout-runner') => [ref(functions.roleOf(name))];

    expect(described).toEqual(
      expect.arrayContaining([
        { roles: roleOf('admin-api'), resource: alarmArn('vexilla-guard-*') },
        { roles: roleOf('rollout-runner'), resource: alarmArn('vexilla-guard-*') },
      ]),
    );
    expect(described).toHaveLength(2);
  });

  it('narrows the grant, the rule and what the admin API accepts to the alarms a deployment names: names, ARNs and prefixes', () => {
    const arn = 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:payments-5xx';
    const custom = synthVexilla({ guardAlarms: ['checkout-5xx', arn, 'team-a-*'] }, { bundle: false });
    const json = custom.template.toJSON();
    const service = custom.stack.service;

    const resources = grants(json, 'cloudwatch:DescribeAlarms').map((grant) => grant.resource);
    expect(resources).toHaveLength(2);
    for (const resource of resources) expect(resource).toEqual([alarmArn('checkout-5xx'), arn, alarmArn('team-a-*')]);
    expect(json.Resources[logicalIdOf(service.rollouts.alarmRule)].Properties.EventPattern.detail.alarmName).toEqual(['checkout-5xx', 'payments-5xx', { prefix: 'team-a-' }]);
    const variables = json.Resources[logicalIdOf(service.functions.get('admin-api'))].Properties.Environment.Variables;
    expect(custom.stack.resolve(service.rollouts.guardAlarmArns.join(','))).toEqual(variables.GUARD_ALARM_ARNS);
  });

  it("warns about '*' (every alarm of the account), and refuses entries that are not alarms", () => {
    const everything = synthVexilla({ guardAlarms: ['*'] }, { bundle: false });
    expect(everything.template.toJSON().Resources[logicalIdOf(everything.stack.service.rollouts.alarmRule)].Properties.EventPattern.detail).toEqual({ state: { value: ['ALARM'] } });
    expect(Annotations.fromStack(everything.stack).findWarning('*', Match.stringLikeRegexp('every CloudWatch alarm'))).toHaveLength(1);

    const bad = (guardAlarms: string[]) => () => {
      const app = new App();
      const scratch = new Stack(app, 'Scratch');
      new VexillaRollouts(scratch, 'Rollouts', { functions: {} as VexillaFunctions, scheduler: {} as never, guardAlarms });
    };
    expect(bad(['a*b*'])).toThrow(/not an alarm name, an alarm ARN or a name prefix/);
    expect(bad(['arn:aws:sqs:eu-west-1:123456789012:queue'])).toThrow(/not an alarm name/);
    expect(bad([])).toThrow(/at least one/);
  });
});
