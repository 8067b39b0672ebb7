import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { CloudWatchAlarms } from '../../functions/events/cloudwatch-alarms.js';

const cloudwatch = mockClient(CloudWatchClient);
afterEach(() => cloudwatch.reset());
const alarms = () => new CloudWatchAlarms(new CloudWatchClient({ region: 'eu-west-1' }));

describe('CloudWatchAlarms', () => {
  it('describes metric and composite alarms by name, and reads their states', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'api-5xx', AlarmArn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx', StateValue: 'OK', StateReason: 'fine', StateUpdatedTimestamp: new Date('2026-12-01T10:00:00Z') }],
      CompositeAlarms: [{ AlarmName: 'checkout-health', StateValue: 'ALARM' }],
    });

    const states = await alarms().describe(['api-5xx', 'checkout-health', 'missing']);

    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => call.args[0].input)).toEqual([
      { AlarmNames: ['api-5xx', 'checkout-health', 'missing'], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    ]);
    expect(states).toEqual([
      { name: 'api-5xx', arn: 'arn:aws:cloudwatch:eu-west-1:123456789012:alarm:api-5xx', state: 'OK', reason: 'fine', updatedAt: '2026-12-01T10:00:00.000Z' },
      { name: 'checkout-health', state: 'ALARM' },
    ]);
  });

  it('asks for at most 100 names per call, and follows NextToken', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `alarm-${i}`);
    cloudwatch
      .on(DescribeAlarmsCommand, { AlarmNames: names.slice(0, 100), AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })
      .resolves({ MetricAlarms: [{ AlarmName: 'alarm-0', StateValue: 'OK' }], NextToken: 'page-2' })
      .on(DescribeAlarmsCommand, { AlarmNames: names.slice(0, 100), AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: 'page-2' })
      .resolves({ MetricAlarms: [{ AlarmName: 'alarm-99', StateValue: 'INSUFFICIENT_DATA' }] })
      .on(DescribeAlarmsCommand, { AlarmNames: names.slice(100), AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] })
      .resolves({ MetricAlarms: [{ AlarmName: 'alarm-149', StateValue: 'ALARM' }] });

    const states = await alarms().describe(names);

    expect(cloudwatch.commandCalls(DescribeAlarmsCommand).map((call) => [call.args[0].input.AlarmNames?.length, call.args[0].input.NextToken])).toEqual([
      [100, undefined],
      [100, 'page-2'],
      [50, undefined],
    ]);
    expect(states.map((s) => `${s.name} ${s.state}`)).toEqual(['alarm-0 OK', 'alarm-99 INSUFFICIENT_DATA', 'alarm-149 ALARM']);
  });

  it('passes on failures (an access denied stalls the rollout; it never advances unchecked)', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(new Error('AccessDenied'));

    await expect(alarms().describe(['api-5xx'])).rejects.toThrow('AccessDenied');
  });
});
