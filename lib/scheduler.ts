import { RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnScheduleGroup, type IScheduleGroup, ScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { deadLetterQueue } from './queues.js';

export interface VexillaSchedulerProps {
  /** The function each schedule invokes (apply-scheduled-change). */
  readonly applyFunction: IFunction;
  /**
   * Keep the dead-letter queue (and what it holds) when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * What scheduled changes need from EventBridge Scheduler: a schedule group of Vexilla's own (the
 * admin API creates one-time schedules in it, and may touch no other group), the role Scheduler
 * assumes to run them (it may invoke the apply function and write to the dead-letter queue,
 * nothing else), and that dead-letter queue for invocations Scheduler gave up on.
 */
export class VexillaScheduler extends Construct {
  readonly group: IScheduleGroup;
  readonly role: Role;
  readonly deadLetterQueue: Queue;
  /** `arn:…:schedule/<group>/*`: every schedule of the group, and nothing else. */
  readonly schedulesArn: string;
  /** The CloudFormation schedule group (its name is generated at deploy time). */
  readonly groupResource: CfnScheduleGroup;

  constructor(scope: Construct, id: string, props: VexillaSchedulerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // No name: CloudFormation generates a new one on every create, so a stage destroyed and
    // deployed again never meets its old group (deleting one is asynchronous: it stays DELETING
    // until its schedules are gone, docs.aws.amazon.com/scheduler/latest/APIReference/API_DeleteScheduleGroup.html).
    // Always deleted with the stack, whatever retainData says: deleting a group deletes its
    // schedules, which would otherwise keep firing at an apply function that no longer exists.
    // The scheduled changes themselves stay in the table (status `waiting`); see the README.
    const group = new CfnScheduleGroup(this, 'Group', {});
    group.applyRemovalPolicy(RemovalPolicy.DESTROY);
    // Deleted before the apply function (CloudFormation deletes in reverse dependency order), so
    // no schedule of the group is left to fire at a deleted function.
    group.node.addDependency(props.applyFunction);
    this.groupResource = group;
    this.group = ScheduleGroup.fromScheduleGroupName(this, 'GroupRef', group.ref);
    this.schedulesArn = stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${group.ref}/*` });
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', "Vexilla's schedules (each schedule's DeadLetterConfig)", { retain: props.retain ?? true });

    // Only Scheduler, acting for a schedule of this group in this account, may assume the role
    // (the confused-deputy guard AWS documents for Scheduler execution roles).
    this.role = new Role(this, 'Role', {
      description: 'Assumed by EventBridge Scheduler to run Vexilla scheduled changes',
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': stack.account, 'aws:SourceArn': group.attrArn },
      }),
    });
    this.role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['lambda:InvokeFunction'], resources: [props.applyFunction.functionArn] }));
    this.role.addToPolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: ['sqs:SendMessage'], resources: [this.deadLetterQueue.queueArn] }));
  }

  /** Accepts, on the role that creates and deletes schedules, the one wildcard it needs: the group's schedules. */
  acknowledgeSchedulesWildcard(role: IConstruct, who: string): void {
    // cdk-nag names a Ref (a pseudo parameter's too) by its logical id in angle brackets.
    const stack = Stack.of(this);
    const groupId = stack.resolve(stack.getLogicalId(this.groupResource)) as string;
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:${region}:${account}:schedule/<${groupId}>/*]`,
      reason: `The ${who} creates and deletes one-time schedules named per scheduled change, so their names are not known in advance: the grant covers the schedules of Vexilla's own schedule group only, not other groups or accounts.`,
    });
  }
}
