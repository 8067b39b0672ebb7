import { Stack, type StackProps } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Construct } from 'constructs';
import { createAlarmTopic } from './alarm-topic.js';
import { CLOUDFRONT_METRICS_REGION, cloudFront5xxAlarmOptions } from './observability.js';

export interface VexillaEdgeAlarmsStackProps extends StackProps {
  /** The distribution of the Vexilla stack (a cross-region reference from it). */
  readonly distributionId: string;
  /**
   * An e-mail address to notify (it must confirm the subscription AWS sends).
   * @default - no subscriber
   */
  readonly alarmEmail?: string;
  /**
   * Keep the topic's KMS key when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * The CloudFront alarms of a Vexilla stack deployed outside us-east-1. CloudFront publishes its
 * metrics in us-east-1 only and a CloudWatch alarm watches metrics of its own region only
 * (github.com/aws/aws-cdk/issues/30483), so they live here, with a topic of their own in this
 * region (an alarm notifies a topic of its own region).
 */
export class VexillaEdgeAlarmsStack extends Stack {
  readonly alarm: Alarm;

  constructor(scope: Construct, id: string, props: VexillaEdgeAlarmsStackProps) {
    super(scope, id, { ...props, env: { ...props.env, region: CLOUDFRONT_METRICS_REGION }, crossRegionReferences: true });
    const { topic } = createAlarmTopic(this, { alarmEmail: props.alarmEmail, retain: props.retain });
    const options = cloudFront5xxAlarmOptions(props.distributionId);
    this.alarm = new Alarm(this, 'CloudFront5xxRate', {
      metric: options.metric,
      threshold: options.threshold,
      alarmDescription: options.description,
      comparisonOperator: options.comparisonOperator ?? ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    const action = new SnsAction(topic);
    this.alarm.addAlarmAction(action);
    this.alarm.addOkAction(action);
  }
}
