/**
 * CloudWatch alarms in the local stack: every alarm exists, in state OK until a simulated change
 * (the admin API's `simulated-alarms`, the CLI's `rollouts alarm`) sets it. A change puts the
 * event CloudWatch would put on the account's default bus on a local default bus, routed by the
 * same rule table (`defaultBusRules`) to the same handler the rollout-runner Lambda calls, so an
 * alarm rolls rollouts back on a laptop exactly as it does in AWS.
 */
import type { AlarmState, AlarmStateValue } from '../domain/entities.js';
import type { AlarmsPort } from '../domain/ports.js';
import { handleAlarmStateChange } from '../domain/use-cases/rollouts.js';
import type { Deps } from '../domain/use-cases/support.js';
import { alarmStateChangeEntry, alarmStateOf } from '../events/alarm-events.js';
import { createLocalBus } from '../events/local-bus.js';
import { defaultBusRules } from '../events/rules.js';
import { logger } from '../shared/logger.js';

/** Local alarms live in a pretend account and region. */
export const localAlarmArn = (name: string) => `arn:aws:cloudwatch:local:000000000000:alarm:${name}`;

export interface LocalAlarmsOptions {
  clock: () => Date;
  /** The dependencies the alarm handler rolls back with (read when an alarm fires). */
  deps: () => Deps;
}

export function createLocalAlarms(options: LocalAlarmsOptions): AlarmsPort {
  const states = new Map<string, AlarmState>();
  const bus = createLocalBus({
    rules: defaultBusRules,
    onDeliveryFailed: (consumer, event, error) => logger.error('alarm event delivery failed', { consumer, resources: event.resources, error: error as Error }),
  });
  bus.subscribe('rollout-runner', async (event) => {
    const alarm = alarmStateOf(event);
    if (alarm) await handleAlarmStateChange(options.deps(), alarm);
  });
  const current = (name: string): AlarmState => states.get(name) ?? { name, arn: localAlarmArn(name), state: 'OK', reason: 'Not simulated yet', updatedAt: new Date(0).toISOString() };

  return {
    async describe(names) {
      return names.map(current);
    },
    async simulate(name: string, state: AlarmStateValue, reason: string) {
      const before = current(name);
      const at = options.clock();
      const after: AlarmState & { arn: string } = { name, arn: localAlarmArn(name), state, reason, updatedAt: at.toISOString() };
      states.set(name, after);
      // Like CloudWatch, an event only when the state changes.
      if (before.state === state) return { changed: false };
      await bus.put([alarmStateChangeEntry(after, before.state, at)]);
      await bus.idle();
      return { changed: true };
    },
  };
}
