import { CfnCondition, type CfnResource, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  AlarmStatusWidget,
  type CfnAlarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TextWidget,
  TreatMissingData,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IDistribution } from 'aws-cdk-lib/aws-cloudfront';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { table as tableDeclaration } from '../functions/data/table.js';
import { createAlarmTopic } from './alarm-topic.js';

/** Every alarm looks at five-minute windows: long enough to ignore a blip, short enough to page in time. */
export const ALARM_PERIOD = Duration.minutes(5);

/**
 * The alarm thresholds, as data. Lambda errors are unhandled exceptions and timeouts only (domain
 * errors are answered as 4xx, not thrown), so one is a bug worth a look; throttles of any kind mean
 * callers were turned away.
 */
export const alarmThresholds = {
  /** Percentage of API requests answered 5xx in a window... */
  api5xxPercent: 1,
  /** ...once the window holds at least this many requests (two failures in three are not an outage). */
  api5xxMinRequests: 20,
  functionErrors: 1,
  functionThrottles: 1,
  tableThrottleEvents: 1,
  /** Any message in a dead-letter queue is an event, delivery or schedule that did not happen. */
  deadLetterMessages: 1,
  /** How far (ms) the stream publisher may lag behind the newest record before changes count as late. */
  streamIteratorAgeMs: 60_000,
  /** Any scheduled change Scheduler could not deliver, dropped or dead-lettered. */
  schedulerFailures: 1,
  /**
   * How old (seconds) the oldest message of a work queue may get before its consumer counts as
   * stuck or starved. SQS counts a delayed message's age from when it was sent, delay included, so
   * the webhook queue, whose retries wait up to 15 minutes, gets more room than the document queue.
   */
  queueAgeSeconds: { 'document-queue': 300, 'webhook-queue': 1800 } as Readonly<Record<string, number>>,
  /** Any other work queue (one a later construct adds through watchWorkQueues). */
  defaultQueueAgeSeconds: 900,
  /** Percentage of CloudFront requests answered 5xx in a window (CloudFront's own 5xxErrorRate)... */
  cloudFront5xxPercent: 1,
  /** ...once the window holds at least this many requests. */
  cloudFront5xxMinRequests: 20,
} as const;

/** CloudFront publishes its metrics in us-east-1 only, whatever region the stack is in. */
export const CLOUDFRONT_METRICS_REGION = 'us-east-1';

/** A new alarm for `addAlarm`: what to watch and when to fire. */
export interface VexillaAlarmOptions {
  readonly metric: IMetric;
  readonly threshold: number;
  /** What the alarm means and what to do about it; shown in the notification. */
  readonly description: string;
  /** @default ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD */
  readonly comparisonOperator?: ComparisonOperator;
  /** @default 1 */
  readonly evaluationPeriods?: number;
  /** @default - evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /** No data means nothing happened (no requests, no throttles). @default TreatMissingData.NOT_BREACHING */
  readonly treatMissingData?: TreatMissingData;
}

export interface VexillaObservabilityProps {
  readonly httpApi: IHttpApi;
  /** The functions to watch, by name. */
  readonly functions: ReadonlyMap<string, IFunction>;
  readonly table: ITableV2;
  /**
   * The CloudFront distribution, for the dashboard (its metrics are in us-east-1, which alarms in
   * another region cannot read).
   * @default - no CloudFront widgets
   */
  readonly distribution?: IDistribution;
  /**
   * An e-mail address subscribed to the alarm topic. AWS sends it a confirmation link first.
   * @default - no subscription (subscribe to `alarmTopic` later, e.g. with AWS Chatbot)
   */
  readonly alarmEmail?: string;
  /**
   * Keep the topic's KMS key when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * Alarms and a dashboard for the whole service. Every alarm notifies one SNS topic (encrypted with
 * a KMS key CloudWatch may use, TLS-only), on alarm and on recovery. Later constructs (DLQs, the
 * stream publisher, the scheduler) plug their alarms in with `addAlarm` and their graphs with
 * `addWidgets`.
 */
export class VexillaObservability extends Construct {
  readonly alarmTopic: Topic;
  readonly dashboard: Dashboard;
  private readonly alarmList: Alarm[] = [];
  private readonly alarmScope: Construct;
  private readonly action: SnsAction;

  constructor(scope: Construct, id: string, props: VexillaObservabilityProps) {
    super(scope, id);
    validate(props);
    const stack = Stack.of(this);

    this.alarmTopic = createAlarmTopic(this, { alarmEmail: props.alarmEmail, retain: props.retain }).topic;
    this.action = new SnsAction(this.alarmTopic);
    this.alarmScope = new Construct(this, 'Alarms');
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) });
    // Dashboards take tags (CDK's CloudFormation spec, and the cost-allocation tags every resource
    // gets), but the schema of cfn-lint 1.51 predates that: it would report E3002 here.
    (this.dashboard.node.defaultChild as CfnResource).addMetadata('cfn-lint', { config: { ignore_checks: ['E3002'] } });

    // The alarm status widget reads this list when the template is written, so alarms that later
    // constructs add with addAlarm() show up in it too.
    this.dashboard.addWidgets(
      new TextWidget({ markdown: `# Vexilla (${stack.stackName})\nAPI, functions, table, edge, event pipeline and scheduled changes. Alarms notify the alarm topic.`, width: 24, height: 2 }),
      new AlarmStatusWidget({ title: 'Alarms', alarms: this.alarmList, width: 24, height: 3 }),
    );

    this.watchApi(props.httpApi);
    this.watchFunctions(props.functions);
    this.watchTable(props.table);
    if (props.distribution) this.watchDistribution(props.distribution);
  }

  /** Every alarm, in the order added. */
  get alarms(): readonly Alarm[] {
    return [...this.alarmList];
  }

  /** Adds an alarm that notifies the alarm topic (on alarm and on recovery) and shows on the dashboard. */
  addAlarm(id: string, options: VexillaAlarmOptions): Alarm {
    const alarm = new Alarm(this.alarmScope, id, {
      metric: options.metric,
      threshold: options.threshold,
      alarmDescription: options.description,
      comparisonOperator: options.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      datapointsToAlarm: options.datapointsToAlarm,
      treatMissingData: options.treatMissingData ?? TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
    this.alarmList.push(alarm);
    return alarm;
  }

  /** Alarms when any of these dead-letter queues holds a message, and graphs their depth. */
  watchDeadLetterQueues(queues: ReadonlyMap<string, IQueue>): void {
    // A label would turn the alarm's metric into a metric-math query; only the graph gets one.
    const depth = (queue: IQueue, label?: string) => queue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: Stats.MAXIMUM, ...(label ? { label } : {}) });
    for (const [name, queue] of queues) {
      this.addAlarm(`${name}-DeadLetters`, {
        metric: depth(queue),
        threshold: alarmThresholds.deadLetterMessages,
        description: `The ${name} dead-letter queue holds messages: events, deliveries or schedules that failed after every retry. Read them, fix the cause (the function's logs say why), then redrive them from the SQS console.`,
      });
    }
    this.addWidgets(new GraphWidget({ title: 'Dead-letter queue depth', left: [...queues].map(([name, queue]) => depth(queue, name)), width: 24 }));
  }

  /** Alarms when the stream publisher falls behind the table stream (events, documents and webhooks are late). */
  watchStreamPublisher(publisher: IFunction): void {
    const age = (label?: string) => publisher.metric('IteratorAge', { period: ALARM_PERIOD, statistic: Stats.MAXIMUM, ...(label ? { label } : {}) });
    this.addAlarm('StreamIteratorAge', {
      metric: age(),
      threshold: alarmThresholds.streamIteratorAgeMs,
      description: `The stream publisher is more than ${alarmThresholds.streamIteratorAgeMs / 1000} s behind the table stream: change events, documents and webhooks are late. Look at the publisher's errors (a failing batch is retried before it is skipped) and throttles.`,
    });
    this.addWidgets(new GraphWidget({ title: 'Stream publisher iterator age', left: [age('iterator age (ms)')], width: 12 }));
  }

  /** Alarms when Scheduler fails to run a scheduled change (target error, dropped, or dead-lettered). */
  watchScheduleGroup(group: IScheduleGroup): void {
    const options = { period: ALARM_PERIOD, statistic: Stats.SUM };
    const usingMetrics = { targetErrors: group.metricTargetErrors(options), dropped: group.metricDropped(options), deadLettered: group.metricSentToDLQ(options) };
    const failures = new MathExpression({
      expression: 'FILL(targetErrors, 0) + FILL(dropped, 0) + FILL(deadLettered, 0)',
      usingMetrics,
      label: 'Scheduled change failures',
      period: ALARM_PERIOD,
    });
    this.addAlarm('SchedulerFailures', {
      metric: failures,
      threshold: alarmThresholds.schedulerFailures,
      description: "EventBridge Scheduler could not run a scheduled change (the apply function failed to be invoked, or the invocation was dropped or dead-lettered). Look at the scheduler dead-letter queue and the apply function's logs; the change was not applied.",
    });
    this.addWidgets(
      new GraphWidget({ title: 'Scheduled changes', left: [group.metricAttempts({ statistic: Stats.SUM, label: 'invocations' }), failures], width: 12 }),
    );
  }

  /** Alarms when the oldest message of a work queue gets too old: its consumer is failing, throttled or starved. */
  watchWorkQueues(queues: ReadonlyMap<string, IQueue>): void {
    const age = (queue: IQueue, label?: string) => queue.metricApproximateAgeOfOldestMessage({ period: ALARM_PERIOD, statistic: Stats.MAXIMUM, ...(label ? { label } : {}) });
    for (const [name, queue] of queues) {
      const seconds = alarmThresholds.queueAgeSeconds[name] ?? alarmThresholds.defaultQueueAgeSeconds;
      this.addAlarm(`${name}-OldestMessage`, {
        metric: age(queue),
        threshold: seconds,
        description: `The oldest message of the ${name} is more than ${seconds / 60} minutes old: its consumer is failing, throttled or not keeping up, so documents, webhooks or jobs are late. Look at the consumer's errors, throttles and concurrency.`,
      });
    }
    this.addWidgets(new GraphWidget({ title: 'Work queue oldest message age (s)', left: [...queues].map(([name, queue]) => age(queue, name)), width: 24 }));
  }

  /**
   * Alarms on the share of CloudFront requests answered 5xx (origin failures and CloudFront's own
   * 502/504s, which the API's 5xx alarm never sees). CloudFront publishes its metrics in us-east-1
   * only, and an alarm can only watch metrics of its own region, so the alarm can live in this
   * stack only when it is deployed to us-east-1: `inThisStack` says what this stack knows. A stack
   * with an unresolved region gets the alarm under a CloudFormation condition (created only if
   * deployed to us-east-1); a stack in another region gets none here (bin/vexilla.ts deploys a
   * companion stack in us-east-1 for it, `VexillaEdgeAlarmsStack`).
   */
  alarmOnCloudFront5xx(distribution: IDistribution): Alarm | undefined {
    const region = Stack.of(this).region;
    if (!Token.isUnresolved(region) && region !== CLOUDFRONT_METRICS_REGION) return undefined;
    const alarm = this.addAlarm('CloudFront5xxRate', cloudFront5xxAlarmOptions(distribution.distributionId));
    if (Token.isUnresolved(region)) {
      const condition = new CfnCondition(this, 'InCloudFrontMetricsRegion', { expression: Fn.conditionEquals(Stack.of(this).region, CLOUDFRONT_METRICS_REGION) });
      (alarm.node.defaultChild as CfnAlarm).cfnOptions.condition = condition;
      // The alarm status widget must not name an alarm that may not exist.
      this.alarmList.splice(this.alarmList.indexOf(alarm), 1);
    }
    return alarm;
  }

  /** Adds a row of widgets to the dashboard. */
  addWidgets(...widgets: IWidget[]): void {
    this.dashboard.addWidgets(...widgets);
  }

  private watchApi(api: IHttpApi): void {
    const requests = api.metricCount({ period: ALARM_PERIOD, statistic: Stats.SUM });
    const errors = api.metricServerError({ period: ALARM_PERIOD, statistic: Stats.SUM });
    const { api5xxMinRequests: min, api5xxPercent: percent } = alarmThresholds;
    this.addAlarm('Api5xxRate', {
      metric: new MathExpression({
        expression: `IF(requests >= ${min}, 100 * FILL(errors, 0) / requests, 0)`,
        usingMetrics: { requests, errors },
        label: 'API 5xx (% of requests)',
        period: ALARM_PERIOD,
      }),
      threshold: percent,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: `More than ${percent}% of HTTP API requests were answered 5xx in 5 minutes (with at least ${min} requests). Look at the functions' errors and logs, and the API access logs.`,
    });
    this.addWidgets(
      new GraphWidget({ title: 'API requests', left: [api.metricCount({ statistic: Stats.SUM })], width: 8 }),
      new GraphWidget({
        title: 'API latency',
        left: [api.metricLatency({ statistic: Stats.p(50) }), api.metricLatency({ statistic: Stats.p(99) }), api.metricIntegrationLatency({ statistic: Stats.p(99) })],
        width: 8,
      }),
      new GraphWidget({ title: 'API 4xx and 5xx', left: [api.metricServerError({ statistic: Stats.SUM }), api.metricClientError({ statistic: Stats.SUM })], width: 8 }),
    );
  }

  private watchFunctions(functions: ReadonlyMap<string, IFunction>): void {
    for (const [name, fn] of functions) {
      this.addAlarm(`${name}-Errors`, {
        metric: fn.metricErrors({ period: ALARM_PERIOD, statistic: Stats.SUM }),
        threshold: alarmThresholds.functionErrors,
        description: `The ${name} function failed (an unhandled exception or a timeout) in the last 5 minutes. Its log group has the stack trace.`,
      });
      this.addAlarm(`${name}-Throttles`, {
        metric: fn.metricThrottles({ period: ALARM_PERIOD, statistic: Stats.SUM }),
        threshold: alarmThresholds.functionThrottles,
        description: `Lambda throttled the ${name} function in the last 5 minutes: the account's (or the function's) concurrency limit was reached, so API callers got errors or events waited for a retry. Request a higher concurrency quota.`,
      });
    }
    const each = (metric: (fn: IFunction) => IMetric) => [...functions].map(([, fn]) => metric(fn));
    const labelled = (stat: string) => (name: string, fn: IFunction) => fn.metricDuration({ statistic: stat, label: `${name} ${stat}` });
    this.addWidgets(
      new GraphWidget({ title: 'Function duration (p50, p99)', left: [...functions].flatMap(([name, fn]) => [labelled('p50')(name, fn), labelled('p99')(name, fn)]), width: 8 }),
      new GraphWidget({ title: 'Function errors', left: each((fn) => fn.metricErrors({ statistic: Stats.SUM })), width: 8 }),
      new GraphWidget({ title: 'Function throttles', left: each((fn) => fn.metricThrottles({ statistic: Stats.SUM })), width: 8 }),
    );
  }

  private watchTable(table: ITableV2): void {
    // On-demand tables still throttle (per-partition limits, account limits). The table's own
    // metrics leave out its indexes, whose write throttles also hold back writes to the table.
    const scopes: Record<string, string>[] = [
      { TableName: table.tableName },
      ...Object.keys(tableDeclaration.indexes).map((index) => ({ TableName: table.tableName, GlobalSecondaryIndexName: index })),
    ];
    const usingMetrics: Record<string, IMetric> = {};
    scopes.forEach((dimensionsMap, i) => {
      for (const [kind, metricName] of [['read', 'ReadThrottleEvents'], ['write', 'WriteThrottleEvents']] as const) {
        usingMetrics[`${kind}${i}`] = new Metric({ namespace: 'AWS/DynamoDB', metricName, dimensionsMap, statistic: Stats.SUM, period: ALARM_PERIOD });
      }
    });
    const throttles = new MathExpression({
      expression: Object.keys(usingMetrics).map((id) => `FILL(${id}, 0)`).join(' + '),
      usingMetrics,
      label: 'DynamoDB throttle events (table and indexes)',
      period: ALARM_PERIOD,
    });
    this.addAlarm('TableThrottles', {
      metric: throttles,
      threshold: alarmThresholds.tableThrottleEvents,
      description: 'DynamoDB throttled reads or writes on the Vexilla table or its indexes in the last 5 minutes. Look for a hot partition key (CloudWatch Contributor Insights) or an account throughput limit.',
    });
    this.addWidgets(
      new GraphWidget({
        title: 'DynamoDB consumed capacity',
        left: [table.metricConsumedReadCapacityUnits({ statistic: Stats.SUM }), table.metricConsumedWriteCapacityUnits({ statistic: Stats.SUM })],
        width: 12,
      }),
      new GraphWidget({ title: 'DynamoDB throttles', left: [throttles], width: 12 }),
    );
  }

  private watchDistribution(distribution: IDistribution): void {
    const metric = (metricName: string, statistic: string) =>
      new Metric({
        namespace: 'AWS/CloudFront',
        metricName,
        dimensionsMap: { DistributionId: distribution.distributionId, Region: 'Global' },
        statistic,
        region: CLOUDFRONT_METRICS_REGION,
      });
    this.addWidgets(
      new GraphWidget({ title: 'CloudFront requests', left: [metric('Requests', Stats.SUM)], width: 8 }),
      new GraphWidget({ title: 'CloudFront cache hit rate (%)', left: [metric('CacheHitRate', Stats.AVERAGE)], leftYAxis: { min: 0, max: 100 }, width: 8 }),
      new GraphWidget({ title: 'CloudFront error rates (%)', left: [metric('5xxErrorRate', Stats.AVERAGE), metric('4xxErrorRate', Stats.AVERAGE)], width: 8 }),
    );
  }
}

/**
 * The CloudFront 5xx alarm, as options for `addAlarm` (or an Alarm of its own in a us-east-1
 * stack): CloudFront's 5xxErrorRate, once a window holds enough requests to mean something. The
 * metrics carry no region: the alarm reads them where it lives, which must be us-east-1.
 */
export function cloudFront5xxAlarmOptions(distributionId: string): VexillaAlarmOptions {
  const metric = (metricName: string, statistic: string) =>
    new Metric({ namespace: 'AWS/CloudFront', metricName, dimensionsMap: { DistributionId: distributionId, Region: 'Global' }, statistic, period: ALARM_PERIOD });
  const { cloudFront5xxMinRequests: min, cloudFront5xxPercent: percent } = alarmThresholds;
  return {
    metric: new MathExpression({
      expression: `IF(requests >= ${min}, FILL(rate, 0), 0)`,
      usingMetrics: { requests: metric('Requests', Stats.SUM), rate: metric('5xxErrorRate', Stats.AVERAGE) },
      label: 'CloudFront 5xx (% of requests)',
      period: ALARM_PERIOD,
    }),
    threshold: percent,
    comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
    description: `More than ${percent}% of CloudFront requests were answered 5xx in 5 minutes (with at least ${min} requests): the API failed, or CloudFront could not reach it (502/504). Look at the API 5xx alarm, the functions' errors and the CloudFront access logs.`,
  };
}

function validate(props: VexillaObservabilityProps): void {
  const email = props.alarmEmail;
  if (email !== undefined && !Token.isUnresolved(email) && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new Error(`VexillaObservability: alarmEmail '${email}' is not an e-mail address.`);
  }
  if (props.functions.size === 0) throw new Error('VexillaObservability: no functions to watch.');
}
