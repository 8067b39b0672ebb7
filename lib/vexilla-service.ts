import { Stack } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { PriceClass } from 'aws-cdk-lib/aws-cloudfront';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type CustomDomain, VexillaEdge } from './edge.js';
import { VexillaEvents } from './events.js';
import { VexillaFunctions } from './functions.js';
import { VexillaHttpApi } from './http-api.js';
import { VexillaIdentity, type VexillaIdentityProps } from './identity.js';
import { VexillaObservability } from './observability.js';
import { VexillaScheduler } from './scheduler.js';
import { VexillaTable } from './table.js';

export interface VexillaServiceProps {
  /**
   * Keep the table (refusing deletes) and the log groups when the stack is deleted. Relax it only
   * for throwaway dev stacks.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * How long function logs and API access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Stage-wide API throttling, shared by all callers.
   * @default 1000 requests per second, burst 2000
   */
  readonly throttle?: ThrottleSettings;
  /**
   * Origins browsers may call the API from.
   * @default ['*']
   */
  readonly corsAllowOrigins?: string[];
  /**
   * Which CloudFront edge locations serve the API (and what they cost).
   * @default PriceClass.PRICE_CLASS_100 (North America and Europe)
   */
  readonly priceClass?: PriceClass;
  /**
   * A domain name of your own for the CloudFront distribution, with an ACM certificate for it in
   * us-east-1 (CloudFront uses no other region's). Viewers then need TLS 1.2 or later.
   * @default - the distribution's own `*.cloudfront.net` name
   */
  readonly customDomain?: CustomDomain;
  /**
   * An AWS WAF web ACL (WAFv2, CLOUDFRONT scope, created in us-east-1) for the distribution.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * An e-mail address to notify when an alarm fires or recovers (it must confirm the subscription).
   * @default - alarms notify the alarm topic, with no subscriber
   */
  readonly alarmEmail?: string;
  /**
   * How people sign in: Cognito (optionally federating a SAML or OpenID provider), or the
   * customer's own OpenID issuer. The dashboard's URLs come from the distribution.
   * @default - a Cognito user pool of Vexilla's own, people invited by email
   */
  readonly identity?: Omit<VexillaIdentityProps, 'appUrls' | 'retain'>;
}

/**
 * The whole Vexilla service as one construct: the single table, one Lambda function per function
 * the route table names and per asynchronous concern, the HTTP API in front of them, CloudFront in
 * front of that, the event pipeline (stream, bus, rules, queues), the scheduler for scheduled
 * changes, and alarms and a dashboard over all of it. `VexillaStack` deploys it on its own;
 * it can also be placed inside an existing stack.
 */
export class VexillaService extends Construct {
  readonly data: VexillaTable;
  readonly functions: VexillaFunctions;
  readonly httpApi: VexillaHttpApi;
  readonly edge: VexillaEdge;
  readonly events: VexillaEvents;
  readonly scheduler: VexillaScheduler;
  readonly observability: VexillaObservability;
  readonly identity: VexillaIdentity;

  constructor(scope: Construct, id: string, props: VexillaServiceProps = {}) {
    super(scope, id);
    const retain = props.retainData ?? true;
    this.data = new VexillaTable(this, 'Data', { retain });
    this.functions = new VexillaFunctions(this, 'Functions', { table: this.data.table, retain, logRetention: props.logRetention });
    this.httpApi = new VexillaHttpApi(this, 'Http', {
      functions: this.functions.functions,
      retain,
      accessLogRetention: props.logRetention,
      throttle: props.throttle,
      corsAllowOrigins: props.corsAllowOrigins,
    });
    this.edge = new VexillaEdge(this, 'Edge', {
      httpApi: this.httpApi.api,
      priceClass: props.priceClass ?? PriceClass.PRICE_CLASS_100,
      customDomain: props.customDomain,
      webAclArn: props.webAclArn,
      corsAllowOrigins: props.corsAllowOrigins,
      accessLogRetentionDays: props.logRetention,
    });
    // The dashboard is served by the distribution: at the custom domain when there is one, and at its own name.
    const appUrls = [...new Set([this.edge.url, `https://${this.edge.distribution.distributionDomainName}`])];
    this.identity = new VexillaIdentity(this, 'Identity', { ...props.identity, appUrls, retain });
    this.events = new VexillaEvents(this, 'Events', { table: this.data.table, functions: this.functions.functions });
    this.scheduler = new VexillaScheduler(this, 'Scheduler', { applyFunction: this.functions.get('apply-scheduled-change') });

    // What each function may do on them is declared in functionSettings; here they get the ARNs.
    const functions = this.functions;
    functions.connect('eventBus', [this.events.bus.eventBusArn]);
    functions.connect('webhookQueue', [this.events.webhookQueue.queueArn]);
    functions.connect('distribution', [this.edge.distribution.distributionArn]);
    functions.connect('schedules', [this.scheduler.schedulesArn]);
    functions.connect('schedulerRole', [this.scheduler.role.roleArn]);
    functions.connect('userPool', this.identity.invitationPool ? [this.identity.invitationPool.userPoolArn] : []);
    this.scheduler.acknowledgeSchedulesWildcard(functions.roleOf('admin-api'), 'admin-api function');
    functions.setEnvironment({
      EVENT_BUS_NAME: this.events.bus.eventBusName,
      WEBHOOK_QUEUE_URL: this.events.webhookQueue.queueUrl,
      DISTRIBUTION_ID: this.edge.distribution.distributionId,
      SCHEDULE_GROUP_NAME: this.scheduler.group.scheduleGroupName,
      SCHEDULER_ROLE_ARN: this.scheduler.role.roleArn,
      APPLY_SCHEDULED_CHANGE_ARN: functions.get('apply-scheduled-change').functionArn,
      SCHEDULER_DLQ_ARN: this.scheduler.deadLetterQueue.queueArn,
      SIGN_IN_CONFIG: Stack.of(this).toJsonString(this.identity.signIn),
      // Empty: invitations create no accounts (federation, or the customer's own issuer).
      COGNITO_USER_POOL_ID: this.identity.invitationPool?.userPoolId ?? '',
    });

    this.observability = new VexillaObservability(this, 'Observability', {
      httpApi: this.httpApi.api,
      functions: this.functions.functions,
      table: this.data.table,
      distribution: this.edge.distribution,
      alarmEmail: props.alarmEmail,
      retain,
    });
    this.observability.watchStreamPublisher(functions.get('publisher'));
    this.observability.watchScheduleGroup(this.scheduler.group);
    this.observability.watchDeadLetterQueues(
      new Map([
        ...[...functions.deadLetterQueues].map(([name, queue]) => [`${name}-async`, queue] as const),
        ...this.events.deadLetterQueues,
        ['scheduler', this.scheduler.deadLetterQueue],
      ]),
    );
  }
}
