import { Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { deadLetterQueue } from './queues.js';

export interface VexillaSchedulerProps {
  /** The function each schedule invokes (apply-scheduled-change). */
  readonly applyFunction: IFunction;
}

/**
 * What scheduled changes need from EventBridge Scheduler: a schedule group of Vexilla's own (the
 * admin API creates one-time schedules in it, and may touch no other group), the role Scheduler
 * assumes to run them (it may invoke the apply function and write to the dead-letter queue, and
 * VexillaRollouts lets it invoke the rollout-runner too; nothing else), and that dead-letter
 * queue for invocations Scheduler gave up on.
 */
export class VexillaScheduler extends Construct {
  readonly group: ScheduleGroup;
  readonly role: Role;
  readonly deadLetterQueue: Queue;
  /** `arn:…:schedule/<group>/*`: every schedule of the group, and nothing else. */
  readonly schedulesArn: string;

  constructor(scope: Construct, id: string, props: VexillaSchedulerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.group = new ScheduleGroup(this, 'Group');
    this.schedulesArn = stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.group.scheduleGroupName}/*` });
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', "Vexilla's schedules (each schedule's DeadLetterConfig)");

    // Only Scheduler, acting for a schedule of this group in this account, may assume the role
    // (the confused-deputy guard AWS documents for Scheduler execution roles).
    this.role = new Role(this, 'Role', {
      description: 'Assumed by EventBridge Scheduler to run Vexilla scheduled changes',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': this.group.scheduleGroupArn },
      }),
    });
    this.role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['lambda:InvokeFunction'], resources: [props.applyFunction.functionArn] }));
    this.role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
  }

  /** Accepts, on the role that creates and deletes schedules, the one wildcard it needs: the group's schedules. */
  acknowledgeSchedulesWildcard(role: IConstruct, who: string): void {
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.group.scheduleGroupName}/*]`,
      reason: `The ${who} creates and deletes one-time schedules named per scheduled change, so their names are not known in advance: the grant covers the schedules of Vexilla's own schedule group only, not other groups or accounts.`,
    });
  }
}
