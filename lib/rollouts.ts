import { Annotations, ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { defaultBusRules, type DetailPattern } from '../functions/events/rules.js';
import { pipelineSettings } from './events.js';
import type { VexillaFunctions } from './functions.js';
import { deadLetterQueue } from './queues.js';
import type { VexillaScheduler } from './scheduler.js';

/** The guard alarms a deployment watches when it names none: alarms named with this prefix. */
export const DEFAULT_GUARD_ALARMS: readonly string[] = ['vexilla-guard-*'];

export interface VexillaRolloutsProps {
  /** The functions: the rollout-runner, and the admin API that starts rollouts. */
  readonly functions: VexillaFunctions;
  /** The schedule group and the role that run rollout steps (as they run scheduled changes). */
  readonly scheduler: VexillaScheduler;
  /**
   * The CloudWatch alarms (in this stack's account and region) rollouts may be guarded by: alarm
   * names, alarm ARNs, or name prefixes ending in `*` (`*` alone: every alarm, which is not least
   * privilege). The functions may describe exactly these, the alarm rule matches exactly these,
   * and the admin API refuses rollouts naming any other. A composite alarm named with the prefix
   * is the easy way to guard with alarms named otherwise.
   * @default ['vexilla-guard-*']
   */
  readonly guardAlarms?: readonly string[];
  /**
   * Keep the rule's dead-letter queue (and what it holds) when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

const NAME = /^[^\u0000-\u001f]{1,255}$/;

/** A guard-alarm entry's alarm name part (`*` kept) of a name or an `arn:…:alarm:<name>`. */
const namePart = (entry: string) => (entry.startsWith('arn:') ? entry.slice(entry.indexOf(':alarm:') + ':alarm:'.length) : entry);

/**
 * Progressive rollouts: the rollout-runner runs each step when its one-time schedule fires (the
 * scheduler role may invoke it), and an EventBridge rule on the account's default bus — where
 * CloudWatch puts `CloudWatch Alarm State Change` events, not on Vexilla's bus — invokes it when a
 * guard alarm enters ALARM. The rule's pattern comes from the rule table (`defaultBusRules` in
 * functions/events/rules.ts), narrowed to the guard alarms; its target retries and keeps what it
 * could not deliver in a dead-letter queue.
 *
 * Alarm names are runtime data, so least privilege comes from the deployment's `guardAlarms`:
 * `cloudwatch:DescribeAlarms` (which supports resource-level permissions on alarm ARNs) is
 * granted on those ARNs only, and the admin API refuses guard alarms outside them.
 */
export class VexillaRollouts extends Construct {
  /** The rule on the default bus for the guard alarms' state changes. */
  readonly alarmRule: Rule;
  /** Where alarm events the runner could not take are kept. */
  readonly deadLetterQueue: Queue;
  /** The alarm ARNs (a trailing `*` matches any suffix) rollouts may be guarded by. */
  readonly guardAlarmArns: readonly string[];

  constructor(scope: Construct, id: string, props: VexillaRolloutsProps) {
    super(scope, id);
    const entries = [...(props.guardAlarms ?? DEFAULT_GUARD_ALARMS)];
    if (entries.length === 0) throw new Error('VexillaRollouts: guardAlarms needs at least one alarm name, ARN or prefix*.');
    for (const entry of entries) {
      const name = namePart(entry);
      if ((entry.startsWith('arn:') && !entry.includes(':alarm:')) || !NAME.test(name) || name.slice(0, -1).includes('*')) {
        throw new Error(`VexillaRollouts: guardAlarms entry "${entry}" is not an alarm name, an alarm ARN or a name prefix ending in *.`);
      }
    }
    const stack = Stack.of(this);
    this.guardAlarmArns = entries.map((entry) =>
      entry.startsWith('arn:') ? entry : stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: entry, arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
    );
    const { functions, scheduler } = props;
    const runner = functions.get('rollout-runner');

    functions.connect('guardAlarms', this.guardAlarmArns);
    functions.setEnvironment({ ROLLOUT_RUNNER_ARN: runner.functionArn, GUARD_ALARM_ARNS: this.guardAlarmArns.join(',') });
    // Scheduler runs rollout steps with the scheduled changes' role: it may invoke the runner too.
    scheduler.role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['lambda:InvokeFunction'], resources: [runner.functionArn] }));
    scheduler.acknowledgeSchedulesWildcard(functions.roleOf('rollout-runner'), 'rollout-runner function');

    const [rule] = defaultBusRules;
    if (!rule) throw new Error('VexillaRollouts: the rule table has no default-bus rule.');
    const names = entries.map(namePart);
    const alarmName = names.includes('*') ? undefined : names.map((name) => (name.endsWith('*') ? { prefix: name.slice(0, -1) } : name));
    this.deadLetterQueue = deadLetterQueue(this, 'AlarmRuleDeadLetterQueue', 'the guard-alarm rule\'s target (the rollout-runner)', { retain: props.retain ?? true });
    this.alarmRule = new Rule(this, 'AlarmRule', {
      // No eventBus: the account's default bus, where CloudWatch puts alarm state changes.
      description: rule.description,
      eventPattern: {
        source: [rule.source as string],
        detailType: [...rule.detailTypes],
        detail: { ...(rule.detail as DetailPattern), ...(alarmName ? { alarmName } : {}) },
      },
      targets: [new LambdaFunction(runner, { deadLetterQueue: this.deadLetterQueue, ...pipelineSettings.ruleTarget })],
    });

    const wildcards = this.guardAlarmArns.filter((arn) => arn.endsWith('*'));
    if (names.includes('*')) Annotations.of(this).addWarningV2('vexilla:guardAlarmsAll', "guardAlarms '*' lets rollouts read every CloudWatch alarm of the account and region: name a prefix or the alarms instead.");
    for (const name of ['admin-api', 'rollout-runner'] as const) {
      for (const arn of wildcards) {
        Validations.of(functions.roleOf(name)).acknowledge({
          id: `AwsSolutions-IAM5[Resource::${stack.resolve(arn) === arn ? arn : arnPattern(stack, namePart(arn))}]`,
          reason: `cloudwatch:DescribeAlarms on the guard alarms the deployment declares (guardAlarms): alarms are named at run time, so the grant is the declared prefix ${namePart(arn)}, not every alarm.`,
        });
      }
    }
  }
}

/** How cdk-nag prints a formatted alarm ARN in a finding's id: a pseudo parameter by name, a known region or account as it is. */
const arnPattern = (stack: Stack, name: string) =>
  `arn:<AWS::Partition>:cloudwatch:${Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region}:${Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account}:alarm:${name}`;
