import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { allFunctionNames } from '../../lib/functions.js';
import { alarmThresholds, VexillaObservability, type VexillaObservabilityProps } from '../../lib/observability.js';
import { logicalIdOf, synthVexilla } from './synth.js';

// Synthesised once per file, with both nag packs (synthesis throws on an unacknowledged error).
const { stack, template } = synthVexilla(undefined, { bundle: false });
const withEmail = synthVexilla({ alarmEmail: 'ops@example.com' }, { bundle: false });
const observability = stack.service.observability;
const topicRef = { Ref: logicalIdOf(observability.alarmTopic) };
const functionRef = (name: string) => ({ Ref: logicalIdOf(stack.service.functions.functions.get(name as never)!) });

type AlarmProperties = Record<string, unknown> & { Metrics?: { Id: string; Expression?: string; MetricStat?: { Metric: { MetricName: string; Dimensions: unknown[] } } }[] };
const alarms = () => Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties as AlarmProperties);
const alarmOn = (metricName: string, dimensions: unknown[]) => {
  const found = alarms().filter((alarm) => alarm.MetricName === metricName && JSON.stringify(alarm.Dimensions) === JSON.stringify(dimensions));
  expect(found, `${metricName} ${JSON.stringify(dimensions)}`).toHaveLength(1);
  return found[0]!;
};

describe('alarms', () => {
  it('fire on the API 5xx rate, as a percentage of requests once there are enough of them', () => {
    const [alarm] = alarms().filter((candidate) => candidate.Metrics?.some((metric) => metric.MetricStat?.Metric.MetricName === '5xx'));
    expect(alarm).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: alarmThresholds.api5xxPercent, EvaluationPeriods: 1, TreatMissingData: 'notBreaching' });
    const apiDimension = [{ Name: 'ApiId', Value: { Ref: logicalIdOf(stack.service.httpApi.api) } }];
    expect(alarm!.Metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Expression: `IF(requests >= ${alarmThresholds.api5xxMinRequests}, 100 * FILL(errors, 0) / requests, 0)`, ReturnData: true }),
        expect.objectContaining({ Id: 'requests', MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: 'Count', Dimensions: apiDimension }, Period: 300, Stat: 'Sum' } }),
        expect.objectContaining({ Id: 'errors', MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: apiDimension }, Period: 300, Stat: 'Sum' } }),
      ]),
    );
  });

  it.each(allFunctionNames())('fire on any error or throttle of the %s function', (name) => {
    const dimensions = [{ Name: 'FunctionName', Value: functionRef(name) }];
    for (const metricName of ['Errors', 'Throttles']) {
      expect(alarmOn(metricName, dimensions)).toMatchObject({
        Namespace: 'AWS/Lambda',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it('fire on any DynamoDB throttle, on the table or its indexes', () => {
    const tableRef = { Ref: logicalIdOf(stack.table.table) };
    const [alarm] = alarms().filter((candidate) => candidate.Metrics?.some((metric) => metric.MetricStat?.Metric.MetricName === 'ReadThrottleEvents'));
    expect(alarm).toMatchObject({ Threshold: alarmThresholds.tableThrottleEvents, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    const stats = alarm!.Metrics!.flatMap((metric) => (metric.MetricStat ? [metric.MetricStat.Metric] : []));
    expect(stats).toEqual(
      expect.arrayContaining([
        { Namespace: 'AWS/DynamoDB', MetricName: 'ReadThrottleEvents', Dimensions: [{ Name: 'TableName', Value: tableRef }] },
        { Namespace: 'AWS/DynamoDB', MetricName: 'WriteThrottleEvents', Dimensions: [{ Name: 'TableName', Value: tableRef }] },
        { Namespace: 'AWS/DynamoDB', MetricName: 'WriteThrottleEvents', Dimensions: [{ Name: 'GlobalSecondaryIndexName', Value: 'childrenByParent' }, { Name: 'TableName', Value: tableRef }] },
      ]),
    );
    const expression = alarm!.Metrics!.find((metric) => metric.Expression)!.Expression!;
    for (const metric of alarm!.Metrics!.filter((candidate) => candidate.MetricStat)) expect(expression).toContain(`FILL(${metric.Id}, 0)`);
  });

  it('all notify the alarm topic, on alarm and on recovery', () => {
    // The functions', the pipeline's, the scheduler's and the jobs' dead-letter queues.
    const deadLetterQueues = stack.service.functions.deadLetterQueues.size + stack.service.events.deadLetterQueues.size + 2;
    // API 5xx, errors and throttles per function, table throttles, each DLQ, iterator age,
    // scheduler failures, the three work queues' oldest message, CloudFront 5xx.
    expect(alarms()).toHaveLength(1 + 2 * allFunctionNames().length + 1 + deadLetterQueues + 2 + 3 + 1);
    for (const alarm of alarms()) expect(alarm).toMatchObject({ AlarmActions: [topicRef], OKActions: [topicRef], AlarmDescription: expect.any(String) });
  });
});

describe('the alarm topic', () => {
  // Issue 13 item 1: without these two grants no alarm notification is ever delivered.
  const fromAlarmsOfThisAccount = {
    StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
  };

  it('is encrypted with a rotating key that CloudWatch alarms of this account and region, and nobody else, may use', () => {
    const key = logicalIdOf(observability.node.findChild('AlarmTopicKey') as never);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    const statements = (template.toJSON().Resources[key].Properties.KeyPolicy.Statement as { Principal: unknown; Action: unknown; Condition?: unknown }[]).filter(
      (statement) => JSON.stringify(statement.Principal).includes('cloudwatch.amazonaws.com'),
    );
    expect(statements).toEqual([
      { Sid: 'CloudWatchAlarmsUseTheKey', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*', Condition: fromAlarmsOfThisAccount },
    ]);
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  it('lets CloudWatch alarms of this account and region publish, and refuses publishing without TLS', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          { Sid: 'CloudWatchAlarmsPublish', Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish', Resource: topicRef, Condition: fromAlarmsOfThisAccount },
        ]),
      },
    });
  });

  it('has an e-mail subscription only when alarmEmail is given', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    withEmail.template.resourceCountIs('AWS::SNS::Subscription', 1);
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: logicalIdOf(withEmail.stack.service.observability.alarmTopic) },
    });
  });
});

describe('the dashboard', () => {
  const body = () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    // Rendered with placeholders for the tokens, to read it as JSON.
    const join = (dashboards[0]!.Properties as { DashboardBody: { 'Fn::Join': [string, unknown[]] } }).DashboardBody['Fn::Join'][1];
    const text = join.map((part) => (typeof part === 'string' ? part : `{${JSON.stringify(part).replace(/"/g, "'")}}`)).join('');
    return JSON.parse(text) as { widgets: { type: string; properties: { title?: string; region?: string; metrics?: unknown[][]; alarms?: string[] } }[] };
  };
  const widget = (title: string) => {
    const found = body().widgets.find((candidate) => candidate.properties.title === title);
    expect(found, title).toBeDefined();
    return found!.properties;
  };
  const metricNames = (title: string) => (widget(title).metrics ?? []).map((metric) => `${String(metric[0])} ${String(metric[1])}`);

  it('shows API requests, latency and errors', () => {
    expect(metricNames('API requests')).toEqual(['AWS/ApiGateway Count']);
    expect(metricNames('API latency')).toEqual(expect.arrayContaining(['AWS/ApiGateway Latency', 'AWS/ApiGateway IntegrationLatency']));
    expect(metricNames('API 4xx and 5xx')).toEqual(expect.arrayContaining(['AWS/ApiGateway 5xx', 'AWS/ApiGateway 4xx']));
  });

  it('shows duration, errors and throttles for each function', () => {
    const functions = allFunctionNames().length;
    expect(metricNames('Function duration (p50, p99)')).toHaveLength(2 * functions);
    expect(metricNames('Function errors')).toEqual(Array(functions).fill('AWS/Lambda Errors'));
    expect(metricNames('Function throttles')).toEqual(Array(functions).fill('AWS/Lambda Throttles'));
  });

  it('shows DynamoDB consumed capacity and throttles', () => {
    expect(metricNames('DynamoDB consumed capacity')).toEqual(['AWS/DynamoDB ConsumedReadCapacityUnits', 'AWS/DynamoDB ConsumedWriteCapacityUnits']);
    expect(JSON.stringify(widget('DynamoDB throttles').metrics)).toContain('ReadThrottleEvents');
  });

  it('shows CloudFront requests, cache hit rate and errors, read from us-east-1', () => {
    const distribution = logicalIdOf(stack.service.edge.distribution);
    for (const [title, names] of [
      ['CloudFront requests', ['Requests']],
      ['CloudFront cache hit rate (%)', ['CacheHitRate']],
      ['CloudFront error rates (%)', ['5xxErrorRate', '4xxErrorRate']],
    ] as const) {
      const metrics = widget(title).metrics!;
      expect(metrics.map((metric) => metric[1])).toEqual(names);
      for (const metric of metrics) {
        expect(metric.slice(0, 1)).toEqual(['AWS/CloudFront']);
        expect(JSON.stringify(metric)).toContain(distribution);
        expect(metric).toContain('Global');
        expect(metric.at(-1)).toMatchObject({ region: 'us-east-1' });
      }
    }
  });

  it('shows dead-letter queue depth, the stream publisher iterator age and scheduled changes', () => {
    // The functions', the pipeline's, the scheduler's and the jobs' dead-letter queues.
    const deadLetterQueues = stack.service.functions.deadLetterQueues.size + stack.service.events.deadLetterQueues.size + 2;
    expect(metricNames('Dead-letter queue depth')).toEqual(Array(deadLetterQueues).fill('AWS/SQS ApproximateNumberOfMessagesVisible'));
    expect(metricNames('Stream publisher iterator age')).toEqual(['AWS/Lambda IteratorAge']);
    expect(JSON.stringify(widget('Scheduled changes').metrics)).toContain('InvocationAttemptCount');
    expect(JSON.stringify(widget('Scheduled changes').metrics)).toContain('TargetErrorCount');
  });

  it('lists every alarm, including those added later through addAlarm, but the conditional CloudFront one', () => {
    // An environment-agnostic stack creates the CloudFront alarm only in us-east-1 (a condition),
    // so the status widget cannot name it.
    expect(widget('Alarms').alarms).toHaveLength(alarms().length - 1);
  });
});

describe('VexillaObservability hooks and props', () => {
  const scratch = (props: Partial<VexillaObservabilityProps> = {}) => {
    const app = new App({ builtinCloudFormationValidation: false });
    const scope = new Stack(app, 'Scratch');
    const fn = new LambdaFunction(scope, 'Fn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('export const handler = async () => ({});') });
    const table = new TableV2(scope, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    const construct = new VexillaObservability(scope, 'Obs', { httpApi: new HttpApi(scope, 'Api'), functions: new Map([['fn', fn]]), table, ...props });
    return { scope, construct };
  };

  it('lets later constructs add alarms that notify the same topic', () => {
    const { scope, construct } = scratch();
    const before = construct.alarms.length;
    construct.addAlarm('DlqDepth', {
      metric: new Metric({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensionsMap: { QueueName: 'dlq' }, statistic: 'Maximum' }),
      threshold: 1,
      description: 'A dead-letter queue holds messages.',
    });
    expect(construct.alarms).toHaveLength(before + 1);
    const synthesized = Template.fromStack(scope);
    synthesized.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      AlarmActions: [{ Ref: logicalIdOf(construct.alarmTopic) }],
      OKActions: [{ Ref: logicalIdOf(construct.alarmTopic) }],
    });
    // The alarm status widget picked it up too.
    const dashboard = JSON.stringify(Object.values(synthesized.findResources('AWS::CloudWatch::Dashboard'))[0]);
    expect(dashboard).toContain(logicalIdOf(construct.alarms.at(-1)!));
  });

  it('leaves out the CloudFront widgets when there is no distribution', () => {
    const { scope } = scratch();
    expect(JSON.stringify(Template.fromStack(scope).findResources('AWS::CloudWatch::Dashboard'))).not.toContain('AWS/CloudFront');
  });

  it('refuses an alarm e-mail that is not an address', () => {
    expect(() => scratch({ alarmEmail: 'ops' })).toThrow(/not an e-mail address/);
  });
});
