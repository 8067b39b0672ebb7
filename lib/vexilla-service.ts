import { Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import { PriceClass } from 'aws-cdk-lib/aws-cloudfront';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '../functions/http/origin-verify.js';
import { ELEMENTS_PATH_PATTERN, VexillaDashboard, type VexillaDashboardProps } from './dashboard.js';
import { type CustomDomain, VexillaEdge } from './edge.js';
import { VexillaEvents } from './events.js';
import { VexillaFunctions } from './functions.js';
import { VexillaHttpApi } from './http-api.js';
import { VexillaIdentity, type VexillaIdentityProps } from './identity.js';
import { VexillaJobs } from './jobs.js';
import { VexillaObservability } from './observability.js';
import { VexillaRollouts } from './rollouts.js';
import { VexillaScheduler } from './scheduler.js';
import { type ExistingTable, VexillaTable } from './table.js';

/** Concurrency reserved for the sdk-api when none is given. */
export const DEFAULT_SDK_RESERVED_CONCURRENCY = 100;
/** How long the optional daily backups are kept when no retention is given. */
export const DEFAULT_BACKUP_RETENTION_DAYS = 35;

export interface VexillaServiceProps {
  /**
   * The dashboard's files.
   * @default - built from dashboard/ at synth (see VexillaDashboard)
   */
  readonly dashboardAssets?: VexillaDashboardProps['assets'];
  /**
   * Keep the data when the stack is deleted: the table (deletes refused too), the event archive,
   * the dead-letter queues and what they hold, the log groups, the alarm topic's key and the
   * CloudFront access logs. `false` is for throwaway stages: deleting the stack then leaves nothing.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * Serve a table kept by an earlier, deleted deployment of this stage instead of creating one.
   * @default - a new table
   */
  readonly existingTable?: ExistingTable;
  /**
   * How long function logs and API access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Throttling of each SDK route (/api/v1, /ofrep/v1): requests per second and burst. Every route
   * has limits of its own.
   * @default - 1000 requests per second, burst 2000
   */
  readonly sdkThrottle?: ThrottleSettings;
  /**
   * Throttling of each management route (/admin/v1), apart from the SDK routes', so a flood of
   * one never throttles the other.
   * @default - 50 requests per second, burst 100
   */
  readonly adminThrottle?: ThrottleSettings;
  /**
   * Concurrency reserved for the sdk-api function, so nothing else in the account (a webhook
   * backlog, a big import) can starve the SDK hot path; it also caps the sdk-api at that number.
   * Lambda keeps 100 of the account's concurrency unreserved, so an account whose quota is below
   * this plus 100 (new accounts may start at 10) needs 0 here, or a quota increase. 0 reserves none.
   * @default 100
   */
  readonly sdkReservedConcurrency?: number;
  /**
   * The most webhook-dispatcher invocations the delivery queue may run at once (2-1000).
   * @default 10
   */
  readonly webhookMaxConcurrency?: number;
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
   * Refuse requests that did not come through CloudFront: CloudFront sends a secret header (a
   * generated Secrets Manager secret, resolved at deploy time) that the API functions check, so
   * the execute-api endpoint answers 403 and nobody can go around the WAF, the cache or the limits.
   * @default true
   */
  readonly originVerify?: boolean;
  /**
   * An e-mail address to notify when an alarm fires or recovers (it must confirm the subscription).
   * @default - alarms notify the alarm topic, with no subscriber
   */
  readonly alarmEmail?: string;
  /**
   * The CloudWatch alarms progressive rollouts may be guarded by: names, ARNs or name prefixes
   * ending in `*` (see VexillaRollouts).
   * @default ['vexilla-guard-*']
   */
  readonly guardAlarms?: readonly string[];
  /**
   * Daily AWS Backup recovery points of the table, in a vault of the stack's own, on top of
   * point-in-time recovery (which covers 35 days). Needs `retainData` (a vault holding recovery
   * points cannot be deleted).
   * @default false
   */
  readonly backup?: boolean;
  /**
   * How many days each daily backup is kept.
   * @default 35
   */
  readonly backupRetentionDays?: number;
  /**
   * Ship source maps in the function bundles and run with `--enable-source-maps`: readable
   * stack traces, at the cost of a bigger bundle and a slower cold start.
   * @default false
   */
  readonly sourceMaps?: boolean;
  /**
   * How people sign in: Cognito (optionally federating a SAML or OpenID provider), or the
   * customer's own OpenID issuer. The dashboard's URLs come from the distribution.
   * @default - a Cognito user pool of Vexilla's own, people invited by email
   */
  readonly identity?: Omit<VexillaIdentityProps, 'appUrls' | 'retain'>;
  /**
   * Days an identity without overrides is kept after an SDK last saw it (DynamoDB's TTL then
   * deletes it); 0 keeps identities for ever.
   * @default 90
   */
  readonly identityIdleDays?: number;
}

/**
 * The whole Vexilla service as one construct: the single table, one Lambda function per function
 * the route table names and per asynchronous concern, the HTTP API in front of them, CloudFront in
 * front of that, the event pipeline (stream, bus, rules, queues), the scheduler for scheduled
 * changes, and alarms and a dashboard over all of it. `VexillaStack` deploys it on its own;
 * it can also be placed inside an existing stack. Every prop is validated before anything is built.
 */
export class VexillaService extends Construct {
  readonly data: VexillaTable;
  readonly functions: VexillaFunctions;
  readonly httpApi: VexillaHttpApi;
  readonly edge: VexillaEdge;
  readonly dashboard: VexillaDashboard;
  readonly events: VexillaEvents;
  readonly scheduler: VexillaScheduler;
  readonly rollouts: VexillaRollouts;
  readonly jobs: VexillaJobs;
  readonly observability: VexillaObservability;
  /** The secret CloudFront sends to the API, when `originVerify` is on. */
  readonly originVerifySecret?: Secret;
  /** The table's backup plan, when `backup` is on. */
  readonly backupPlan?: BackupPlan;
  readonly identity: VexillaIdentity;

  constructor(scope: Construct, id: string, props: VexillaServiceProps = {}) {
    super(scope, id);
    validateServiceProps(props);
    const retain = props.retainData ?? true;
    this.data = new VexillaTable(this, 'Data', { retain, existing: props.existingTable });
    this.functions = new VexillaFunctions(this, 'Functions', {
      table: this.data.table,
      retain,
      logRetention: props.logRetention,
      reservedConcurrency: { 'sdk-api': props.sdkReservedConcurrency ?? DEFAULT_SDK_RESERVED_CONCURRENCY },
      sourceMaps: props.sourceMaps,
      identityIdleDays: props.identityIdleDays,
    });
    this.httpApi = new VexillaHttpApi(this, 'Http', {
      functions: this.functions.functions,
      retain,
      accessLogRetention: props.logRetention,
      routeThrottles: { 'sdk-api': props.sdkThrottle, 'admin-api': props.adminThrottle },
      corsAllowOrigins: props.corsAllowOrigins,
    });

    if (props.originVerify ?? true) {
      // Generated by Secrets Manager at deploy time; only dynamic references to it are in the
      // template. Deleted with the stack: it guards the path to the API, it holds no data.
      this.originVerifySecret = new Secret(this, 'OriginVerify', {
        description: 'Vexilla: the header value CloudFront sends to the API, which refuses requests without it',
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
        removalPolicy: RemovalPolicy.DESTROY,
      });
      Validations.of(this.originVerifySecret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Not rotated automatically: CloudFront and the API functions read the value when the stack deploys (dynamic references), so a rotation is a deploy that replaces this secret. The value only keeps callers from going around CloudFront (its WAF, cache and limits); it opens no data, for which every request still needs its own environment key or admin token.',
      });
    }
    const originVerifyValue = this.originVerifySecret?.secretValue.unsafeUnwrap();

    this.dashboard = new VexillaDashboard(this, 'Dashboard', { assets: props.dashboardAssets });
    this.edge = new VexillaEdge(this, 'Edge', {
      httpApi: this.httpApi.api,
      site: this.dashboard.behavior,
      siteBehaviors: { [ELEMENTS_PATH_PATTERN]: this.dashboard.elementsBehavior },
      priceClass: props.priceClass ?? PriceClass.PRICE_CLASS_100,
      customDomain: props.customDomain,
      webAclArn: props.webAclArn,
      corsAllowOrigins: props.corsAllowOrigins,
      accessLogRetentionDays: props.logRetention,
      accessLogs: retain,
      ...(originVerifyValue ? { originVerifyHeader: { name: ORIGIN_VERIFY_HEADER, value: originVerifyValue } } : {}),
    });
    // The dashboard is served by the distribution: at the custom domain when there is one, and at its own name.
    const appUrls = [...new Set([this.edge.url, `https://${this.edge.distribution.distributionDomainName}`])];
    this.identity = new VexillaIdentity(this, 'Identity', { ...props.identity, appUrls, retain });
    this.dashboard.allowSignInFrom(this.identity.browserOrigins);
    this.events = new VexillaEvents(this, 'Events', { table: this.data.table, functions: this.functions.functions, retain, webhookMaxConcurrency: props.webhookMaxConcurrency });
    this.scheduler = new VexillaScheduler(this, 'Scheduler', { applyFunction: this.functions.get('apply-scheduled-change'), retain });
    this.jobs = new VexillaJobs(this, 'Jobs', { runner: this.functions.get('job-runner'), retain });

    // What each function may do on them is declared in functionSettings; here they get the ARNs.
    const functions = this.functions;
    functions.connect('eventBus', [this.events.bus.eventBusArn]);
    functions.connect('webhookQueue', [this.events.webhookQueue.queueArn]);
    functions.connect('distribution', [this.edge.distribution.distributionArn]);
    functions.connect('schedules', [this.scheduler.schedulesArn]);
    functions.connect('schedulerRole', [this.scheduler.role.roleArn]);
    functions.connect('userPool', this.identity.invitationPool ? [this.identity.invitationPool.userPoolArn] : []);
    functions.connect('jobQueue', [this.jobs.queue.queueArn]);
    const tenantUpdateDeadLetters = functions.deadLetterQueues.get('tenant-updater');
    functions.connect('tenantUpdateDeadLetters', tenantUpdateDeadLetters ? [tenantUpdateDeadLetters.queueArn] : []);
    this.scheduler.acknowledgeSchedulesWildcard(functions.roleOf('admin-api'), 'admin-api function');
    this.rollouts = new VexillaRollouts(this, 'Rollouts', { functions, scheduler: this.scheduler, guardAlarms: props.guardAlarms, retain });
    functions.setEnvironment({
      EVENT_BUS_NAME: this.events.bus.eventBusName,
      WEBHOOK_QUEUE_URL: this.events.webhookQueue.queueUrl,
      DISTRIBUTION_ID: this.edge.distribution.distributionId,
      SCHEDULE_GROUP_NAME: this.scheduler.group.scheduleGroupName,
      SCHEDULER_ROLE_ARN: this.scheduler.role.roleArn,
      APPLY_SCHEDULED_CHANGE_ARN: functions.get('apply-scheduled-change').functionArn,
      SCHEDULER_DLQ_ARN: this.scheduler.deadLetterQueue.queueArn,
      ORIGIN_VERIFY_SECRET: originVerifyValue,
      SIGN_IN_CONFIG: Stack.of(this).toJsonString(this.identity.signIn),
      // Empty: invitations create no accounts (federation, or the customer's own issuer).
      COGNITO_USER_POOL_ID: this.identity.invitationPool?.userPoolId ?? '',
      JOB_QUEUE_URL: this.jobs.queue.queueUrl,
      TENANT_UPDATE_DLQ_URL: tenantUpdateDeadLetters?.queueUrl,
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
        ['guard-alarm-rule-target', this.rollouts.deadLetterQueue],
        ['job-queue', this.jobs.deadLetterQueue],
      ]),
    );
    this.observability.watchWorkQueues(new Map([...this.events.workQueues, ['job-queue', this.jobs.queue]]));
    this.observability.alarmOnCloudFront5xx(this.edge.distribution);

    if (props.backup) this.backupPlan = this.backUpTable(props.backupRetentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS);
  }

  /** A daily backup plan for the table, in a vault of its own that the stack keeps. */
  private backUpTable(retentionDays: number): BackupPlan {
    // Vault and plan names are required and unique per region; the kept vault must not meet the
    // next deployment of the stage, so the names end with a piece of the stack's id, which
    // CloudFormation makes anew for every stack it creates (arn:...:stack/<name>/<uuid>).
    const stack = Stack.of(this);
    const creation = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', stack.stackId))));
    const vault = new BackupVault(this, 'BackupVault', { backupVaultName: `${stack.stackName}-table-${creation}`, removalPolicy: RemovalPolicy.RETAIN });
    const plan = new BackupPlan(this, 'BackupPlan', {
      backupPlanName: `${stack.stackName}-table-${creation}`,
      backupVault: vault,
      backupPlanRules: [
        new BackupPlanRule({
          ruleName: 'Daily',
          // 03:00 UTC, with AWS Backup's default start and completion windows.
          scheduleExpression: Schedule.cron({ minute: '0', hour: '3' }),
          deleteAfter: Duration.days(retentionDays),
        }),
      ],
    });
    const selection = plan.addSelection('Table', { resources: [BackupResource.fromArn(this.data.table.tableArn)] });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        "The role AWS Backup assumes to back the table up: AWSBackupServiceRolePolicyForBackup is the policy AWS maintains for exactly that (it follows each service's backup API), and the plan's selection names the one table.",
    });
    return plan;
  }
}

/** Every prop checked before anything is built, so a mistake fails `cdk synth` with its name. */
export function validateServiceProps(props: VexillaServiceProps): void {
  const fail = (message: string): never => {
    throw new Error(`VexillaService: ${message}`);
  };
  const wholeNumber = (name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) fail(`${name} must be a whole number from ${min} to ${max}, got ${String(value)}.`);
  };
  for (const [name, throttle] of [['sdkThrottle', props.sdkThrottle], ['adminThrottle', props.adminThrottle]] as const) {
    if (throttle?.rateLimit !== undefined && !(Number.isFinite(throttle.rateLimit) && throttle.rateLimit > 0)) fail(`${name}.rateLimit must be a positive number, got ${String(throttle.rateLimit)}.`);
    wholeNumber(`${name}.burstLimit`, throttle?.burstLimit, 1, 5000);
  }
  wholeNumber('sdkReservedConcurrency', props.sdkReservedConcurrency, 0, 10_000);
  wholeNumber('webhookMaxConcurrency', props.webhookMaxConcurrency, 2, 1000);
  // AWS Backup keeps a recovery point at least one day.
  wholeNumber('backupRetentionDays', props.backupRetentionDays, 1, 36_500);
  if (props.backupRetentionDays !== undefined && !props.backup) fail('backupRetentionDays needs backup: true.');
  if (props.backup && props.retainData === false) fail('backup needs retainData: a throwaway stage cannot be deleted with a vault that holds recovery points.');
  if (props.existingTable && props.retainData === false) fail('existingTable needs retainData: an adopted table is never the stack\'s to delete.');
  const origins = props.corsAllowOrigins;
  if (origins !== undefined) {
    if (origins.length === 0) fail('corsAllowOrigins must name at least one origin (or ["*"]).');
    for (const origin of origins) {
      if (Token.isUnresolved(origin) || origin === '*') continue;
      // An origin is scheme://host[:port], no path (the Origin header browsers send).
      if (!/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(origin)) fail(`corsAllowOrigins entry '${origin}' is not an origin (https://host[:port], or *).`);
    }
  }
  if (props.logRetention !== undefined && !Object.values(RetentionDays).includes(props.logRetention)) fail(`logRetention ${String(props.logRetention)} is not a retention CloudWatch Logs offers.`);
}
