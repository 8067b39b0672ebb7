import { ArnFormat, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';

export interface AlarmTopicProps {
  /**
   * An e-mail address subscribed to the topic. AWS sends it a confirmation link first.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Keep the topic's KMS key when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * The SNS topic alarms notify, created in `scope` as `AlarmTopic` with its key `AlarmTopicKey`:
 * encrypted with a customer managed key (CloudWatch cannot use the AWS managed SNS key), TLS only,
 * and open to CloudWatch alarms of this account and region alone, in the topic policy and in the
 * key policy.
 */
export function createAlarmTopic(scope: Construct, props: AlarmTopicProps = {}): { topic: Topic; key: Key } {
  const email = props.alarmEmail;
  if (email !== undefined && !Token.isUnresolved(email) && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw new Error(`createAlarmTopic: alarmEmail '${email}' is not an e-mail address.`);
  }
  const stack = Stack.of(scope);
  const key = new Key(scope, 'AlarmTopicKey', {
    description: `Encrypts the Vexilla alarm topic (${stack.stackName})`,
    enableKeyRotation: true,
    removalPolicy: (props.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    // The shortest wait KMS allows before a deleted key is gone (a throwaway stack's).
    pendingWindow: Duration.days(7),
  });
  // Only on behalf of this account's alarms in this region: the confused-deputy conditions AWS
  // documents for CloudWatch publishing to an SNS topic encrypted with a customer managed key
  // (docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services,
  // docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-confused-deputy.html).
  const fromAlarms = {
    StringEquals: { 'aws:SourceAccount': stack.account },
    ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
  };
  key.addToResourcePolicy(
    new PolicyStatement({
      sid: 'CloudWatchAlarmsUseTheKey',
      effect: Effect.ALLOW,
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: fromAlarms,
    }),
  );
  const topic = new Topic(scope, 'AlarmTopic', { displayName: 'Vexilla alarms', masterKey: key, enforceSSL: true });
  // With enforceSSL the topic gets a policy holding only the TLS deny: without this allow,
  // CloudWatch (a service principal, not an IAM identity of the account) could not publish
  // (docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html).
  topic.addToResourcePolicy(
    new PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      effect: Effect.ALLOW,
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: fromAlarms,
    }),
  );
  if (email !== undefined) {
    const subscription = topic.addSubscription(new EmailSubscription(email));
    Validations.of(subscription).acknowledge({
      id: 'Serverless-SNSRedrivePolicy',
      reason:
        'An e-mail subscription to the alarm topic: SNS already retries e-mail delivery, and a dead-letter queue of undelivered alarm e-mails would have nobody to tell (its own alarm would notify this same topic). The alarm history in CloudWatch keeps every state change.',
    });
  }
  return { topic, key };
}
