/**
 * CloudWatch's `CloudWatch Alarm State Change` events, which CloudWatch puts on the account's
 * default bus (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html):
 * read into an AlarmState, and built the same way for the local stack's simulated alarms.
 */
import * as z from 'zod';
import type { AlarmState, AlarmStateValue } from '../domain/entities.js';
import type { BusEntry } from './publisher.js';

export const ALARM_SOURCE = 'aws.cloudwatch';
export const ALARM_STATE_CHANGE = 'CloudWatch Alarm State Change';

const stateValue = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
const alarmEvent = z.looseObject({
  source: z.literal(ALARM_SOURCE),
  'detail-type': z.literal(ALARM_STATE_CHANGE),
  resources: z.array(z.string()).optional(),
  detail: z.looseObject({
    alarmName: z.string().min(1).max(255),
    state: z.looseObject({ value: stateValue, reason: z.string().optional(), timestamp: z.string().optional() }),
  }),
});

/** The alarm and its new state, or undefined for anything that is not an alarm state change. */
export function alarmStateOf(event: unknown): AlarmState | undefined {
  const parsed = alarmEvent.safeParse(event);
  if (!parsed.success) return undefined;
  const { detail, resources } = parsed.data;
  return {
    name: detail.alarmName,
    ...(resources?.[0] ? { arn: resources[0] } : {}),
    state: detail.state.value,
    ...(detail.state.reason !== undefined ? { reason: detail.state.reason } : {}),
    ...(detail.state.timestamp !== undefined ? { updatedAt: detail.state.timestamp } : {}),
  };
}

/** The bus entry CloudWatch would put for a state change (the local stack's simulation). */
export function alarmStateChangeEntry(alarm: AlarmState & { arn: string }, previous: AlarmStateValue, at: Date): BusEntry {
  return {
    Source: ALARM_SOURCE,
    DetailType: ALARM_STATE_CHANGE,
    EventBusName: 'default',
    Time: at,
    Resources: [alarm.arn],
    Detail: JSON.stringify({
      alarmName: alarm.name,
      state: { value: alarm.state, reason: alarm.reason ?? '', timestamp: at.toISOString() },
      previousState: { value: previous, reason: '', timestamp: at.toISOString() },
    }),
  };
}
