import { Duration, Validations } from 'aws-cdk-lib';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { functionSettings } from './functions.js';
import { MAX_RECEIVE_COUNT, workQueue } from './queues.js';

/** How jobs are run, as data (asserted by the infra tests). */
export const jobSettings = {
  /** One job per invocation; at most two runs at once, so a burst of purges never crowds the table. */
  runs: { batchSize: 1, maxConcurrency: 2 },
  /** How often jobs whose run died are queued again (`{"sweep": true}`); a missed sweep waits for the next. */
  sweep: { rate: Duration.minutes(5), retryAttempts: 2 },
} as const;

export interface VexillaJobsProps {
  /** The job-runner function. */
  readonly runner: IFunction;
  /**
   * Keep the dead-letter queue (and the job runs it holds) when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * Background jobs (imports, purges): the queue the admin API and the job-runner put runs on, the
 * runner's event source mapping, and the schedule that queues again jobs whose run died.
 */
export class VexillaJobs extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: IQueue;
  readonly sweep: Rule;

  constructor(scope: Construct, id: string, props: VexillaJobsProps) {
    super(scope, id);
    const runs = workQueue(this, 'JobQueue', { timeout: Duration.seconds(functionSettings['job-runner'].timeoutSeconds) }, { retain: props.retain ?? true });
    this.queue = runs.queue;
    this.deadLetterQueue = runs.deadLetterQueue;
    const source = new SqsEventSource(this.queue, { ...jobSettings.runs, reportBatchItemFailures: true });
    props.runner.addEventSource(source);
    for (const child of props.runner.node.children) {
      if (child.node.id.startsWith('SqsEventSource')) {
        Validations.of(child).acknowledge({
          id: 'Serverless-LambdaEventSourceMappingDestination',
          reason: `SQS event source mappings take no on-failure destination: a job run that fails returns its message to the queue and, after ${MAX_RECEIVE_COUNT} receives, moves to the queue's own redrive dead-letter queue, which has an alarm. The job itself stays in the table, where the sweep finds it.`,
        });
      }
    }
    this.sweep = new Rule(this, 'Sweep', {
      schedule: Schedule.rate(jobSettings.sweep.rate),
      description: 'Has the job-runner queue again jobs whose run died',
      targets: [new LambdaFunction(props.runner, { event: RuleTargetInput.fromObject({ sweep: true }), retryAttempts: jobSettings.sweep.retryAttempts })],
    });
    Validations.of(this.sweep).acknowledge({
      id: 'Serverless-EventBusDLQ',
      reason: "A failed sweep needs no keeping: the next one, minutes later, does the same work, and the function's errors alarm.",
    });
  }
}
