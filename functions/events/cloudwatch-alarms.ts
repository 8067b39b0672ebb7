/**
 * The AlarmsPort on Amazon CloudWatch (production): DescribeAlarms by name, metric and
 * composite alarms alike (DescribeAlarms returns only metric alarms unless asked for both). The
 * function's role may describe only the alarms the deployment watches (IAM resource-level
 * permissions on alarm ARNs), so it asks for those names only.
 */
import { type CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmState, AlarmStateValue } from '../domain/entities.js';
import type { AlarmsPort } from '../domain/ports.js';

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;

export class CloudWatchAlarms implements AlarmsPort {
  constructor(private readonly client: CloudWatchClient) {}

  async describe(names: readonly string[]): Promise<AlarmState[]> {
    const states: AlarmState[] = [];
    for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
      let token: string | undefined;
      do {
        const output = await this.client.send(
          new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + NAMES_PER_CALL), AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], ...(token ? { NextToken: token } : {}) }),
        );
        for (const alarm of [...(output.MetricAlarms ?? []), ...(output.CompositeAlarms ?? [])]) {
          if (!alarm.AlarmName || !alarm.StateValue) continue;
          states.push({
            name: alarm.AlarmName,
            ...(alarm.AlarmArn ? { arn: alarm.AlarmArn } : {}),
            state: alarm.StateValue as AlarmStateValue,
            ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
            ...(alarm.StateUpdatedTimestamp ? { updatedAt: alarm.StateUpdatedTimestamp.toISOString() } : {}),
          });
        }
        token = output.NextToken;
      } while (token);
    }
    return states;
  }
}
