import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { keyOf } from '../../functions/data/keys.js';
import { table } from '../../functions/data/table.js';
import { EVENT_SOURCE, eventRules, inboundRules, TENANT_UPDATE_DETAIL_TYPE } from '../../functions/events/rules.js';
import { OUTBOX_PARTITION_PREFIX, pipelineSettings } from '../../lib/events.js';
import { functionSettings } from '../../lib/functions.js';
import { MAX_RECEIVE_COUNT } from '../../lib/queues.js';
import { logicalIdOf, synthVexilla } from './synth.js';

// Synthesised once per file; nothing here looks at the functions' code, so no bundling.
const { stack, template } = synthVexilla(undefined, { bundle: false });
const { events, functions, scheduler, rollouts, jobs } = stack.service;
type Construct = Parameters<typeof logicalIdOf>[0];
const ref = (construct: Construct) => ({ Ref: logicalIdOf(construct) });
const arnOf = (construct: Construct, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalIdOf(construct), attribute] });
const resource = (construct: Construct) => template.toJSON().Resources[logicalIdOf(construct)] as { Type: string; Properties: Record<string, unknown> };
const mappingsOf = (name: Parameters<typeof functions.get>[0]) =>
  Object.values(template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: ref(functions.get(name)) } })).map((mapping) => mapping.Properties as Record<string, unknown>);

/** Every dead-letter queue in the stack: the functions' async failures, the pipeline's, the scheduler's, the guard-alarm rule's, the jobs'. */
const allDeadLetterQueues = [...functions.deadLetterQueues.values(), ...events.deadLetterQueues.values(), scheduler.deadLetterQueue, rollouts.deadLetterQueue, jobs.deadLetterQueue];

describe('the event bus and its rules', () => {
  it('has one rule per rule-table entry, on the custom bus, matching exactly its detail-types', () => {
    const rules = Object.values(template.findResources('AWS::Events::Rule')).map((rule) => rule.Properties as { EventBusName: unknown; EventPattern: unknown });
    // The other rules are on the default bus: the webhook and job sweeps' schedules and the guard-alarm rule (test/infra/rollouts.test.ts).
    expect(rules.filter((rule) => rule.EventBusName !== undefined)).toHaveLength(eventRules.length + inboundRules.length);
    expect(rules).toHaveLength(eventRules.length + inboundRules.length + 3);
    for (const rule of eventRules) {
      const created = resource(events.rules.get(rule.consumer)!).Properties;
      expect(created).toMatchObject({ EventBusName: ref(events.bus), State: 'ENABLED' });
      expect(created.EventPattern).toEqual({ source: [EVENT_SOURCE], 'detail-type': [...rule.detailTypes] });
    }
  });

  it('delivers each rule to its consumer, with a dead-letter queue of its own and a retry policy', () => {
    const expectedTarget = {
      'audit-writer': arnOf(functions.get('audit-writer')),
      'webhook-dispatcher': arnOf(functions.get('webhook-dispatcher')),
      'document-publisher': arnOf(events.documentQueue),
    };
    const seen = new Set<string>();
    for (const rule of eventRules) {
      const targets = resource(events.rules.get(rule.consumer)!).Properties.Targets as Record<string, unknown>[];
      expect(targets).toHaveLength(1);
      const dlq = events.deadLetterQueues.get(`${rule.consumer}-rule-target`)!;
      expect(targets[0]).toMatchObject({
        Arn: expectedTarget[rule.consumer],
        DeadLetterConfig: { Arn: arnOf(dlq) },
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
      });
      seen.add(logicalIdOf(dlq));
    }
    expect(seen.size).toBe(eventRules.length);
  });

  it('lets EventBridge (for this rule only) write to each target dead-letter queue and to the document queue', () => {
    for (const rule of [...eventRules, ...inboundRules]) {
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [ref(events.deadLetterQueues.get(`${rule.consumer}-rule-target`)!)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' }, Condition: { ArnEquals: { 'aws:SourceArn': arnOf(events.rules.get(rule.consumer)!) } } }),
          ]),
        },
      });
    }
  });

  it('lets each rule, and nothing else, invoke the Lambda functions it targets', () => {
    for (const consumer of ['audit-writer', 'webhook-dispatcher'] as const) {
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: arnOf(functions.get(consumer)) } }));
      const invokers = consumer === 'webhook-dispatcher' ? [events.rules.get(consumer)!, events.webhookSweep] : [events.rules.get(consumer)!];
      const expected = invokers.map((rule) => ({ Action: 'lambda:InvokeFunction', FunctionName: arnOf(functions.get(consumer)), Principal: 'events.amazonaws.com', SourceArn: arnOf(rule) }));
      expect(permissions.map((permission) => permission.Properties)).toEqual(expect.arrayContaining(expected));
      expect(permissions).toHaveLength(expected.length);
    }
  });

  it('has the webhook-dispatcher queue stuck deliveries again every five minutes', () => {
    expect(resource(events.webhookSweep).Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [{ Arn: arnOf(functions.get('webhook-dispatcher')), Input: JSON.stringify({ sweep: true }), RetryPolicy: { MaximumRetryAttempts: 2 } }],
    });
    expect(resource(events.webhookSweep).Properties).not.toHaveProperty('EventBusName');
  });

  it("delivers the customer's tenant.update events, from any source but Vexilla's own, to the tenant-updater, with a dead-letter queue and retries", () => {
    const rule = resource(events.rules.get('tenant-updater')!).Properties;
    expect(rule).toMatchObject({ EventBusName: ref(events.bus), State: 'ENABLED' });
    expect(rule.EventPattern).toEqual({ source: [{ 'anything-but': [EVENT_SOURCE] }], 'detail-type': [TENANT_UPDATE_DETAIL_TYPE] });
    const targets = rule.Targets as Record<string, unknown>[];
    expect(targets).toEqual([
      expect.objectContaining({
        Arn: arnOf(functions.get('tenant-updater')),
        DeadLetterConfig: { Arn: arnOf(events.deadLetterQueues.get('tenant-updater-rule-target')!) },
        RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
      }),
    ]);
    // Only that rule may invoke it; what it fails after Lambda's retries goes to its own queue.
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: arnOf(functions.get('tenant-updater')) } }));
    expect(permissions.map((permission) => permission.Properties)).toEqual([
      { Action: 'lambda:InvokeFunction', FunctionName: arnOf(functions.get('tenant-updater')), Principal: 'events.amazonaws.com', SourceArn: arnOf(events.rules.get('tenant-updater')!) },
    ]);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(functions.get('tenant-updater')),
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: arnOf(functions.deadLetterQueues.get('tenant-updater')!) } },
    });
  });

  it('archives Vexilla events for replay', () => {
    template.hasResourceProperties('AWS::Events::Archive', { SourceArn: arnOf(events.bus), EventPattern: { source: [EVENT_SOURCE] }, RetentionDays: 30 });
  });

  it('outputs the bus name', () => {
    template.hasOutput('EventBusName', { Value: ref(events.bus) });
  });
});

describe('the stream publisher', () => {
  it('reads the table stream in order, bisects a failing batch, and records what it gives up on', () => {
    const mappings = mappingsOf('publisher');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]).toMatchObject({
      EventSourceArn: arnOf(stack.table.table, 'StreamArn'),
      StartingPosition: 'TRIM_HORIZON',
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: pipelineSettings.stream.retryAttempts,
      MaximumRecordAgeInSeconds: 86400,
      ParallelizationFactor: 1,
      DestinationConfig: { OnFailure: { Destination: arnOf(events.deadLetterQueues.get('stream-publisher')!) } },
    });
    // The publisher throws to retry a whole batch; it reports no per-record failures.
    expect(mappings[0]).not.toHaveProperty('FunctionResponseTypes');
  });

  it('is invoked only for new outbox items, the records it publishes', () => {
    const [mapping] = mappingsOf('publisher');
    const filters = (mapping!.FilterCriteria as { Filters: { Pattern: string }[] }).Filters;
    expect(filters.map((filter) => JSON.parse(filter.Pattern))).toEqual([
      { eventName: ['INSERT'], dynamodb: { Keys: { [table.partitionKey]: { S: [{ prefix: OUTBOX_PARTITION_PREFIX }] } } } },
    ]);
    // The prefix is the one the data layer writes change events under.
    expect(keyOf({ type: 'event', orgId: 'org-1', at: '2026-01-01T00:00:00.000Z', id: 'e1' } as never).pk.startsWith(OUTBOX_PARTITION_PREFIX)).toBe(true);
  });
});

describe('the queues', () => {
  it('coalesce document rebuilds: batches of up to 100 within a second, two at a time, failures reported per message', () => {
    const mappings = mappingsOf('document-publisher');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]).toMatchObject({
      EventSourceArn: arnOf(events.documentQueue),
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('make one webhook delivery attempt per message, reporting failed messages only', () => {
    const mappings = mappingsOf('webhook-dispatcher');
    expect(mappings).toHaveLength(1);
    expect(mappings[0]).toMatchObject({ EventSourceArn: arnOf(events.webhookQueue), BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });

  it.each([
    ['document', 'document-publisher', 'document-queue'],
    ['webhook', 'webhook-dispatcher', 'webhook-queue'],
  ] as const)('keep %s messages hidden for six times the consumer timeout, and dead-letter them after repeated failures', (_, consumer, dlqName) => {
    const queue = consumer === 'document-publisher' ? events.documentQueue : events.webhookQueue;
    const properties = resource(queue).Properties;
    expect(properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * functionSettings[consumer].timeoutSeconds);
    expect(properties.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(events.deadLetterQueues.get(dlqName)!), maxReceiveCount: MAX_RECEIVE_COUNT });
  });

  it('are all encrypted and refuse requests without TLS', () => {
    const queues = Object.entries(template.findResources('AWS::SQS::Queue'));
    // The work queues: documents, webhook deliveries, jobs.
    expect(queues.length).toBe(allDeadLetterQueues.length + 3);
    for (const [id, queue] of queues) {
      expect(queue.Properties, id).toMatchObject({ SqsManagedSseEnabled: true });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) }, 
      });
    }
  });

  it('keep dead letters for 14 days', () => {
    for (const dlq of allDeadLetterQueues) expect(resource(dlq).Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });
});

describe('asynchronous invocations', () => {
  it.each(['audit-writer', 'webhook-dispatcher', 'apply-scheduled-change', 'rollout-runner', 'job-runner'] as const)('of %s are retried twice, then sent with their error to a queue of its own', (name) => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: ref(functions.get(name)),
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: arnOf(functions.deadLetterQueues.get(name)!) } },
    });
  });

  it('exist only for the functions EventBridge or Scheduler invoke', () => {
    expect([...functions.deadLetterQueues.keys()].sort()).toEqual(['apply-scheduled-change', 'audit-writer', 'job-runner', 'rollout-runner', 'tenant-updater', 'webhook-dispatcher']);
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 6);
  });
});

describe('the declared triggers', () => {
  it('are the ones wired: each function is invoked by exactly what functionSettings says', () => {
    const wired = (name: Parameters<typeof functions.get>[0]) => {
      const fn = functions.get(name);
      const triggers: string[] = [];
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: arnOf(fn) } })).map((permission) => permission.Properties.Principal);
      if (permissions.includes('apigateway.amazonaws.com')) triggers.push('http');
      const mappings = mappingsOf(name).map((mapping) => JSON.stringify(mapping.EventSourceArn));
      if (mappings.some((arn) => arn.includes('StreamArn'))) triggers.push('stream');
      if (permissions.includes('events.amazonaws.com')) triggers.push('bus');
      if (mappings.some((arn) => !arn.includes('StreamArn'))) triggers.push('queue');
      const invokers = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
        (policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).some(
          (statement) => statement.Action === 'lambda:InvokeFunction' && JSON.stringify(statement.Resource) === JSON.stringify(arnOf(fn)),
        ),
      );
      if (invokers.some((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([ref(scheduler.role)]))) triggers.push('scheduler');
      expect(invokers.length, `${name}: roles that may invoke it`).toBeLessThanOrEqual(1);
      return triggers;
    };
    for (const name of functions.functions.keys()) expect(wired(name), name).toEqual([...functionSettings[name].triggers]);
  });
});

describe('the scheduler', () => {
  it('has a schedule group of its own, named anew on every create and deleted with the stack (its schedules with it) before the apply function', () => {
    const groups = template.findResources('AWS::Scheduler::ScheduleGroup');
    expect(Object.keys(groups)).toEqual([logicalIdOf(scheduler.groupResource)]);
    const group = Object.values(groups)[0]!;
    // No Name: a stage destroyed and deployed again never meets the old (possibly still DELETING) group.
    expect(group.Properties ?? {}).not.toHaveProperty('Name');
    expect(group).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(group.DependsOn).toEqual(expect.arrayContaining([logicalIdOf(functions.get('apply-scheduled-change'))]));
    expect(scheduler.group.scheduleGroupName).toEqual(scheduler.groupResource.ref);
  });

  it('runs schedules with a role only Scheduler may assume, for this account and group', () => {
    expect(resource(scheduler.role).Properties.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' }, 'aws:SourceArn': arnOf(scheduler.groupResource) } },
        },
      ],
    });
  });

  it('lets that role invoke the apply function and the rollout-runner and write to its dead-letter queue, and nothing else', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [ref(scheduler.role)] } }));
    expect(policies).toHaveLength(1);
    expect(policies[0]!.Properties.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: arnOf(functions.get('apply-scheduled-change')) },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(scheduler.deadLetterQueue) },
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: arnOf(functions.get('rollout-runner')) },
    ]);
    expect(resource(scheduler.role).Properties).not.toHaveProperty('ManagedPolicyArns');
  });

  it('leaves the apply function with no resource policy: only the scheduler role can invoke it', () => {
    expect(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: Match.anyValue() } })).not.toEqual({});
    const apply = [ref(functions.get('apply-scheduled-change')), arnOf(functions.get('apply-scheduled-change'))].map((value) => JSON.stringify(value));
    for (const permission of Object.values(template.findResources('AWS::Lambda::Permission'))) {
      expect(apply).not.toContain(JSON.stringify(permission.Properties.FunctionName));
    }
  });
});

describe('alarms on the pipeline', () => {
  type Alarm = { MetricName?: string; Namespace?: string; Dimensions?: unknown[]; Threshold: number; Statistic?: string; Metrics?: { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] } } }[] };
  const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties as Alarm);

  it('fire as soon as any dead-letter queue holds a message', () => {
    for (const dlq of allDeadLetterQueues) {
      const found = alarms().filter((alarm) => alarm.MetricName === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(alarm.Dimensions) === JSON.stringify([{ Name: 'QueueName', Value: arnOf(dlq, 'QueueName') }]));
      expect(found, dlq.node.path).toHaveLength(1);
      expect(found[0]).toMatchObject({ Namespace: 'AWS/SQS', Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    }
  });

  it('fire when the stream publisher falls a minute behind the stream', () => {
    const found = alarms().filter((alarm) => alarm.MetricName === 'IteratorAge');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ Namespace: 'AWS/Lambda', Statistic: 'Maximum', Threshold: 60_000, Dimensions: [{ Name: 'FunctionName', Value: ref(functions.get('publisher')) }] });
  });

  it('fire when Scheduler fails, drops or dead-letters a scheduled change', () => {
    const found = alarms().filter((alarm) => alarm.Metrics?.some((metric) => metric.MetricStat?.Metric.MetricName === 'TargetErrorCount'));
    expect(found).toHaveLength(1);
    const stats = found[0]!.Metrics!.flatMap((metric) => (metric.MetricStat ? [metric.MetricStat.Metric] : []));
    const group = [{ Name: 'ScheduleGroup', Value: ref(scheduler.groupResource) }];
    expect(stats).toEqual(
      expect.arrayContaining(['TargetErrorCount', 'InvocationDroppedCount', 'InvocationsSentToDeadLetterCount'].map((MetricName) => ({ Namespace: 'AWS/Scheduler', MetricName, Dimensions: group }))),
    );
    expect(found[0]!.Metrics!.find((metric) => metric.Expression)!.Expression).toBe('FILL(targetErrors, 0) + FILL(dropped, 0) + FILL(deadLettered, 0)');
    expect(found[0]!.Threshold).toBe(1);
  });
});
