import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type Archive, EventBus, Match, Rule, RuleTargetInput, Schedule, type IRuleTarget } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { FilterCriteria, FilterRule, type IFunction, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { table as tableDeclaration } from '../functions/data/table.js';
import { type ConsumerName, EVENT_SOURCE, type EventRule, eventPattern, eventRules, type InboundConsumerName, inboundRules } from '../functions/events/rules.js';
import { type FunctionName, functionSettings } from './functions.js';
import { deadLetterQueue, MAX_RECEIVE_COUNT, workQueue } from './queues.js';

/**
 * The partition of the outbox items (change events, `keyOf({ kind: 'event' })` in
 * functions/data/keys.ts): the only stream records the publisher turns into events.
 */
export const OUTBOX_PARTITION_PREFIX = 'AUDIT#';

/** How each async path retries, as data (asserted by the infra tests). */
export const pipelineSettings = {
  /** EventBridge → target: retried with backoff for up to a day, then dead-lettered. */
  ruleTarget: { maxEventAge: Duration.hours(24), retryAttempts: 185 },
  /**
   * Stream → publisher: a failing batch is split in two until the bad record is alone, retried,
   * then recorded in the failure queue, so one record cannot block its shard for the stream's 24
   * hours. One batch per shard at a time keeps each item's changes in order.
   */
  stream: { batchSize: 100, retryAttempts: 10, maxRecordAge: Duration.hours(24), parallelizationFactor: 1 },
  /**
   * Bus → document queue → document-publisher: a one-second window and large batches turn a burst
   * of changes to an environment into one rebuild; two concurrent batches at most, so bursts
   * coalesce instead of fanning out.
   */
  documents: { batchSize: 100, maxBatchingWindow: Duration.seconds(1), maxConcurrency: 2 },
  /**
   * Delivery queue → webhook-dispatcher: one attempt per message, failures reported per message,
   * at most `maxConcurrency` batches at once (overridable with `webhookMaxConcurrency`), so a
   * backlog of deliveries cannot take the account's Lambda concurrency from the sdk-api.
   */
  deliveries: { batchSize: 10, maxConcurrency: 10 },
  /** How often the webhook-dispatcher queues stuck deliveries again (`{"sweep": true}`); a missed run waits for the next. */
  webhookSweep: { rate: Duration.minutes(5), retryAttempts: 2 },
} as const;

export interface VexillaEventsProps {
  /** The table whose stream carries the outbox items. */
  readonly table: ITableV2;
  /** The publisher and the consumers of the rule table, by name. */
  readonly functions: ReadonlyMap<FunctionName, IFunction>;
  /**
   * How long the bus archive keeps Vexilla's events for replay.
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
  /**
   * Keep the archive and the dead-letter queues (and what they hold) when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
  /**
   * The most webhook-dispatcher invocations the delivery queue may run at once (2-1000).
   * @default pipelineSettings.deliveries.maxConcurrency (10)
   */
  readonly webhookMaxConcurrency?: number;
}

/**
 * The event pipeline: the table stream feeds the publisher, which puts change events on a custom
 * bus; one rule per entry of the rule table (functions/events/rules.ts) delivers them to its
 * consumer, each target with its own dead-letter queue and retry policy. The document publisher
 * reads through a queue so bursts coalesce; the webhook dispatcher also consumes the delivery
 * queue it fills. Every dead-letter queue is listed in `deadLetterQueues` for alarms.
 */
export class VexillaEvents extends Construct {
  readonly bus: EventBus;
  readonly rules: ReadonlyMap<ConsumerName | InboundConsumerName, Rule>;
  /** The queue the document publisher reads: the document rule's target. */
  readonly documentQueue: Queue;
  /** One message per webhook delivery attempt. */
  readonly webhookQueue: Queue;
  /** Every dead-letter queue of the pipeline, by what it catches. */
  readonly deadLetterQueues: ReadonlyMap<string, IQueue>;
  /** The schedule on which the webhook-dispatcher queues stuck deliveries again. */
  readonly webhookSweep: Rule;
  /** The bus archive, for replay. */
  readonly archive: Archive;
  /** The queues Lambda functions consume, by name, for age-of-oldest-message alarms. */
  readonly workQueues: ReadonlyMap<string, IQueue>;

  constructor(scope: Construct, id: string, props: VexillaEventsProps) {
    super(scope, id);
    const fn = (name: FunctionName) => {
      const found = props.functions.get(name);
      if (!found) throw new Error(`VexillaEvents: no '${name}' function.`);
      return found;
    };
    const deadLetterQueues = new Map<string, IQueue>();
    const retain = props.retain ?? true;
    const webhookMaxConcurrency = props.webhookMaxConcurrency ?? pipelineSettings.deliveries.maxConcurrency;
    // Lambda's own bounds for an SQS event source's maximum concurrency.
    if (!Number.isInteger(webhookMaxConcurrency) || webhookMaxConcurrency < 2 || webhookMaxConcurrency > 1000) {
      throw new Error(`VexillaEvents: webhookMaxConcurrency must be a whole number from 2 to 1000, got ${String(webhookMaxConcurrency)}.`);
    }

    this.bus = new EventBus(this, 'Bus', { description: 'Vexilla change events (source "vexilla"); attach your own rules here too.' });
    // Lets an operator replay a window of events into the bus after fixing a consumer.
    // The bus keeps its generated, stack-derived name across a destroy and a deploy, so a retained
    // archive can be replayed into the new bus (a replay goes to the archive's source bus ARN).
    this.archive = this.bus.archive('Archive', { description: 'Vexilla change events, for replay', eventPattern: { source: [EVENT_SOURCE] }, retention: props.archiveRetention ?? Duration.days(30) });
    this.archive.applyRemovalPolicy(retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
    const dlq = { retain };

    // Stream → publisher.
    const streamFailures = deadLetterQueue(this, 'StreamFailures', "the stream publisher's event source mapping (its on-failure destination)", dlq);
    deadLetterQueues.set('stream-publisher', streamFailures);
    const { stream } = pipelineSettings;
    fn('publisher').addEventSource(
      new DynamoEventSource(props.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: stream.batchSize,
        bisectBatchOnError: true,
        retryAttempts: stream.retryAttempts,
        maxRecordAge: stream.maxRecordAge,
        parallelizationFactor: stream.parallelizationFactor,
        // The publisher throws on a rejected entry (the whole batch is retried; consumers dedupe),
        // so it reports no per-record failures.
        reportBatchItemFailures: false,
        onFailure: new SqsDlq(streamFailures),
        // Only new outbox items become events: the publisher is not invoked for the other writes
        // (identities, traits, analytics counters), which are most of the stream on the SDK path.
        filters: [FilterCriteria.filter({ eventName: FilterRule.isEqual('INSERT'), dynamodb: { Keys: { [tableDeclaration.partitionKey]: { S: FilterRule.beginsWith(OUTBOX_PARTITION_PREFIX) } } } })],
      }),
    );

    // Bus → document queue → document-publisher.
    const documentPublisher = fn('document-publisher');
    const documents = workQueue(this, 'DocumentQueue', { timeout: Duration.seconds(functionSettings['document-publisher'].timeoutSeconds), batchingWindow: pipelineSettings.documents.maxBatchingWindow }, dlq);
    this.documentQueue = documents.queue;
    deadLetterQueues.set('document-queue', documents.deadLetterQueue);
    documentPublisher.addEventSource(new SqsEventSource(this.documentQueue, { ...pipelineSettings.documents, reportBatchItemFailures: true }));

    // Delivery queue ↔ webhook-dispatcher.
    const dispatcher = fn('webhook-dispatcher');
    const deliveries = workQueue(this, 'WebhookQueue', { timeout: Duration.seconds(functionSettings['webhook-dispatcher'].timeoutSeconds) }, dlq);
    this.webhookQueue = deliveries.queue;
    deadLetterQueues.set('webhook-queue', deliveries.deadLetterQueue);
    dispatcher.addEventSource(
      new SqsEventSource(this.webhookQueue, { batchSize: pipelineSettings.deliveries.batchSize, maxConcurrency: webhookMaxConcurrency, reportBatchItemFailures: true }),
    );
    // Deliveries left pending or retrying by a dispatcher that died between commit and enqueue.
    const sweep = pipelineSettings.webhookSweep;
    this.webhookSweep = new Rule(this, 'WebhookSweep', {
      schedule: Schedule.rate(sweep.rate),
      description: 'Has the webhook-dispatcher queue stuck deliveries again',
      targets: [new LambdaFunction(dispatcher, { event: RuleTargetInput.fromObject({ sweep: true }), retryAttempts: sweep.retryAttempts })],
    });
    Validations.of(this.webhookSweep).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason: 'A failed sweep needs no keeping: the next one, minutes later, does the same work, and the function\'s errors alarm.',
    });

    // One rule per rule-table entry, each target with its own dead-letter queue.
    const targetOf: Record<ConsumerName, (dlq: IQueue) => IRuleTarget> = {
      'audit-writer': (dlq) => new LambdaFunction(fn('audit-writer'), { deadLetterQueue: dlq, ...pipelineSettings.ruleTarget }),
      'webhook-dispatcher': (dlq) => new LambdaFunction(dispatcher, { deadLetterQueue: dlq, ...pipelineSettings.ruleTarget }),
      'document-publisher': (dlq) => new SqsQueue(this.documentQueue, { deadLetterQueue: dlq, ...pipelineSettings.ruleTarget }),
    };
    // The customer's own events (inbound rules): a Lambda target, like the audit-writer's.
    const inboundTargetOf: Record<InboundConsumerName, (dlq: IQueue) => IRuleTarget> = {
      'tenant-updater': (dlq) => new LambdaFunction(fn('tenant-updater'), { deadLetterQueue: dlq, ...pipelineSettings.ruleTarget }),
    };
    const rules = new Map<ConsumerName | InboundConsumerName, Rule>();
    const ruleFor = <C extends ConsumerName | InboundConsumerName>(rule: EventRule<C>, target: (dlq: IQueue) => IRuleTarget) => {
      const group = new Construct(this, rule.consumer);
      const targetDlq = deadLetterQueue(group, 'TargetDeadLetterQueue', `the ${rule.consumer} rule's target`, dlq);
      deadLetterQueues.set(`${rule.consumer}-rule-target`, targetDlq);
      rules.set(rule.consumer, new Rule(group, 'Rule', { eventBus: this.bus, eventPattern: patternOf(rule), description: rule.description.slice(0, 512), targets: [target(targetDlq)] }));
    };
    for (const rule of eventRules) ruleFor(rule, targetOf[rule.consumer]);
    for (const rule of inboundRules) ruleFor(rule, inboundTargetOf[rule.consumer]);
    this.rules = rules;
    this.deadLetterQueues = deadLetterQueues;
    this.workQueues = new Map<string, IQueue>([
      ['document-queue', this.documentQueue],
      ['webhook-queue', this.webhookQueue],
    ]);

    const noDestination = (consumer: string) =>
      `SQS event source mappings take no on-failure destination: a message the ${consumer} function fails returns to its queue and, after ${MAX_RECEIVE_COUNT} receives, moves to the queue's own redrive dead-letter queue, which has an alarm.`;
    for (const [name, consumer] of [['document-publisher', documentPublisher], ['webhook-dispatcher', dispatcher]] as const) {
      for (const child of consumer.node.children) {
        if (child.node.id.startsWith('SqsEventSource')) Validations.of(child).acknowledge({ id: 'Serverless-LambdaEventSourceMappingDestination', reason: noDestination(name) });
      }
    }
  }
}

/** The rule table's pattern for a rule, in the shape CDK's EventPattern takes. */
function patternOf(rule: EventRule) {
  const pattern = eventPattern(rule);
  const source = pattern.source.flatMap((entry) => (typeof entry === 'string' ? [entry] : Match.anythingBut(...entry['anything-but'])));
  return { source, detailType: pattern['detail-type'] };
}
