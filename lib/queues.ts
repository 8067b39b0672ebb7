import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Dead-letter queues keep what failed for the longest SQS allows, to leave time to look and redrive. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

/** How many receives of a work-queue message before it moves to the queue's dead-letter queue. */
export const MAX_RECEIVE_COUNT = 5;

/** A queue that accepts TLS only and is encrypted with SQS-managed keys (which EventBridge, Scheduler and Lambda may all write to without a KMS grant). */
const secure = { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true } as const;

/** What happens to a dead-letter queue, and the failures it holds, when the stack is deleted. */
export interface DeadLetterOptions {
  /**
   * Keep the queue and its messages (for up to 14 days) when the stack is deleted, so what failed
   * can still be read and redriven (SQS `StartMessageMoveTask` to the new stack's queue).
   * @default true
   */
  readonly retain?: boolean;
}

const deadLetterProps = (options: DeadLetterOptions) => ({
  ...secure,
  retentionPeriod: DEAD_LETTER_RETENTION,
  removalPolicy: (options.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
});

/**
 * A dead-letter queue: nothing consumes it, its depth is alarmed, and messages are redriven by
 * hand. `of` says whose failures it keeps, for the nag acknowledgements.
 */
export function deadLetterQueue(scope: Construct, id: string, of: string, options: DeadLetterOptions = {}): Queue {
  return acknowledged(new Queue(scope, id, deadLetterProps(options)), of, { namedInRedrivePolicy: false });
}

function acknowledged(queue: Queue, of: string, options: { namedInRedrivePolicy: boolean }): Queue {
  Validations.of(queue).acknowledge({
    id: 'Serverless-SQSRedrivePolicy',
    reason: `This queue is the dead-letter queue of ${of}: nothing consumes it, its depth has an alarm, and its messages are redriven by hand once the cause is fixed. A dead-letter queue of a dead-letter queue would only move the problem.`,
  });
  // cdk-nag recognises a dead-letter queue only when another queue's redrive policy names it.
  if (!options.namedInRedrivePolicy) {
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: `This queue is the dead-letter queue of ${of}, named in that configuration rather than in a queue's redrive policy (which is all cdk-nag looks for); it needs no dead-letter queue of its own.`,
    });
  }
  return queue;
}

/**
 * A queue a Lambda function consumes, with its own dead-letter queue. The visibility timeout is
 * six times the consumer's timeout plus its batching window, as Lambda recommends, so a message
 * is not handed to a second invocation while the first may still be working on it.
 */
export function workQueue(
  scope: Construct,
  id: string,
  consumer: { timeout: Duration; batchingWindow?: Duration },
  options: DeadLetterOptions = {},
): { queue: Queue; deadLetterQueue: IQueue } {
  const dlq = acknowledged(new Queue(scope, `${id}DeadLetterQueue`, deadLetterProps(options)), `the ${id} queue (its redrive policy)`, { namedInRedrivePolicy: true });
  const seconds = 6 * consumer.timeout.toSeconds() + (consumer.batchingWindow?.toSeconds() ?? 0);
  const queue = new Queue(scope, id, { ...secure, visibilityTimeout: Duration.seconds(seconds), deadLetterQueue: { queue: dlq, maxReceiveCount: MAX_RECEIVE_COUNT } });
  return { queue, deadLetterQueue: dlq };
}
