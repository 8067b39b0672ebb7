import { TagManager } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { ORIGIN_VERIFY_HEADER } from '../../functions/http/origin-verify.js';
import { alarmThresholds } from '../../lib/observability.js';
import { acknowledgments, logicalIdOf, synthStages, synthVexilla } from './synth.js';

// Issue 13 item 6 and "production features users expect", as the template states them.
const { stack, template } = synthVexilla({ stage: 'prod', costTags: { CostCenter: '4711' } }, { bundle: false });
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown>; Condition?: string }>;
const ref = (construct: Parameters<typeof logicalIdOf>[0]) => ({ Ref: logicalIdOf(construct) });

describe('keeping callers off the execute-api endpoint', () => {
  const secret = () => stack.service.originVerifySecret!;
  const reference = () => ({ 'Fn::Join': ['', ['{{resolve:secretsmanager:', ref(secret()), ':SecretString:::}}']] });

  it('has CloudFront send a header whose value Secrets Manager generates, never written in the template', () => {
    expect(resources[logicalIdOf(secret())]!.Properties).toMatchObject({ GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true } });
    expect(resources[logicalIdOf(secret())]!.Properties).not.toHaveProperty('SecretString');
    const origins = (resources[logicalIdOf(stack.service.edge.distribution)]!.Properties.DistributionConfig as { Origins: { OriginCustomHeaders?: unknown[]; CustomOriginConfig?: unknown }[] }).Origins;
    expect(origins.find((origin) => origin.CustomOriginConfig)!.OriginCustomHeaders).toEqual([{ HeaderName: ORIGIN_VERIFY_HEADER, HeaderValue: reference() }]);
    // Not to the dashboard's bucket: the value is for the API alone.
    expect(origins.filter((origin) => !origin.CustomOriginConfig).map((origin) => origin.OriginCustomHeaders)).toEqual([undefined]);
  });

  it('gives the three API functions (CloudFront forwards /tenant/* too) the same reference to check against, and no other function', () => {
    for (const [name, fn] of stack.service.functions.functions) {
      const variables = (resources[logicalIdOf(fn)]!.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      if (name === 'sdk-api' || name === 'admin-api' || name === 'tenant-api') expect(variables.ORIGIN_VERIFY_SECRET, name).toEqual(reference());
      else expect(variables, name).not.toHaveProperty('ORIGIN_VERIFY_SECRET');
    }
  });

  it('can be turned off, which leaves neither the secret nor the header', () => {
    const open = synthVexilla({ originVerify: false }, { bundle: false }).template;
    open.resourceCountIs('AWS::SecretsManager::Secret', 0);
    expect(JSON.stringify(open.toJSON())).not.toContain(ORIGIN_VERIFY_HEADER);
    expect(JSON.stringify(open.toJSON())).not.toContain('ORIGIN_VERIFY_SECRET');
  });
});

describe('isolation under load', () => {
  it('throttles SDK and admin routes each at their own limits', () => {
    const stage = Object.values(resources).find((resource) => resource.Type === 'AWS::ApiGatewayV2::Stage')!;
    const settings = stage.Properties.RouteSettings as Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }>;
    expect(settings['GET /api/v1/flags']).toEqual({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 });
    expect(settings['POST /ofrep/v1/evaluate/flags']).toEqual({ ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 2000 });
    expect(settings['GET /admin/v1/organisations']).toEqual({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 });
    const custom = synthVexilla({ sdkThrottle: { rateLimit: 5000, burstLimit: 5000 }, adminThrottle: { rateLimit: 10 } }, { bundle: false }).template;
    custom.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      RouteSettings: Match.objectLike({ 'GET /api/v1/flags': { ThrottlingRateLimit: 5000, ThrottlingBurstLimit: 5000 }, 'GET /admin/v1/organisations': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 100 } }),
    });
  });

  it('caps the webhook dispatcher at ten concurrent batches of deliveries', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack.service.events.webhookQueue), 'Arn'] },
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('attaches a WAF web ACL when one is given, and needs no acknowledgement for it then', () => {
    const webAclArn = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/vexilla/0a1b2c3d-1111-2222-3333-444455556666';
    const guarded = synthVexilla({ webAclArn }, { bundle: false });
    guarded.template.hasResourceProperties('AWS::CloudFront::Distribution', { DistributionConfig: Match.objectLike({ WebACLId: webAclArn }) });
    expect(acknowledgments(guarded.stack).map(({ id }) => id)).not.toContain('AwsSolutions-CFR2');
  });
});

describe('alarms users expect', () => {
  it('fire when a work queue holds a message too old: its consumer is failing or starved', () => {
    for (const [name, queue] of stack.service.events.workQueues) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalIdOf(queue), 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: alarmThresholds.queueAgeSeconds[name],
      });
    }
    // The webhook queue's retries wait up to 15 minutes, which counts in a message's age.
    expect(alarmThresholds.queueAgeSeconds['webhook-queue']).toBeGreaterThan(15 * 60);
  });

  const cloudFrontAlarm = (json: Record<string, { Type: string; Properties: Record<string, unknown>; Condition?: string }>) =>
    Object.entries(json).find(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm' && JSON.stringify(resource.Properties).includes('5xxErrorRate'));

  it('fire on CloudFront 5xx only where its metrics are: under a us-east-1 condition when the region is not known', () => {
    const [, alarm] = cloudFrontAlarm(resources)!;
    expect(alarm.Condition).toBeDefined();
    expect(template.toJSON().Conditions[alarm.Condition!]).toEqual({ 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'us-east-1'] });
    expect(JSON.stringify(alarm.Properties)).toContain('"Region"');
    expect(alarm.Properties).toMatchObject({ Threshold: alarmThresholds.cloudFront5xxPercent, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [ref(stack.service.observability.alarmTopic)] });
  });

  it('fire on CloudFront 5xx from a stack in us-east-1 itself, and from a us-east-1 companion stack for any other region', () => {
    const [inUsEast1, inEurope] = synthStages([
      { stage: 'prod', region: 'us-east-1', props: { alarmEmail: 'ops@example.com' } },
      { stage: 'prod', region: 'eu-west-1', props: { alarmEmail: 'ops@example.com' } },
    ]);
    const main = inUsEast1!.templates[0]!.template.toJSON().Resources;
    expect(cloudFrontAlarm(main)?.[1].Condition).toBeUndefined();
    expect(inEurope!.templates).toHaveLength(2);
    expect(cloudFrontAlarm(inEurope!.templates[0]!.template.toJSON().Resources)).toBeUndefined();
    const companion = inEurope!.templates[1]!;
    expect(companion.stack.region).toBe('us-east-1');
    const [, alarm] = cloudFrontAlarm(companion.template.toJSON().Resources)!;
    // The distribution id comes from the main stack, through CDK's cross-region reference (SSM
    // parameters in us-east-1 that the main stack writes and this stack reads).
    expect(JSON.stringify(alarm.Properties)).toMatch(/ExportsReader[0-9A-F]+","\/cdk\/exports\/Vexilla-prod-cloudfront-alarms\/Vexillaprodeuwest1RefEdgeDistribution/);
    // Its own topic, with the same CloudWatch grants, and the same subscriber.
    companion.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    companion.template.hasResourceProperties('AWS::SNS::TopicPolicy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'CloudWatchAlarmsPublish' })]) } });
  });
});

describe('operations', () => {
  it('tags every resource that takes tags for cost allocation', () => {
    const untagged = stack.node
      .findAll()
      .filter((construct) => TagManager.isTaggable(construct))
      .filter((construct) => {
        const tags = (construct as unknown as { tags: TagManager }).tags.tagValues();
        return tags.Application !== 'Vexilla' || tags.Stage !== 'prod' || tags.CostCenter !== '4711';
      })
      .map((construct) => construct.node.path);
    expect(untagged).toEqual([]);
    // And as the template states it, e.g. on the table and a function.
    template.hasResourceProperties('AWS::Lambda::Function', { Tags: Match.arrayWith([{ Key: 'Application', Value: 'Vexilla' }, { Key: 'Stage', Value: 'prod' }]) });
  });

  it('backs the table up daily into a vault of its own when asked, with the policy AWS maintains for it', () => {
    template.resourceCountIs('AWS::Backup::BackupPlan', 0);
    const backedUp = synthVexilla({ backup: true, backupRetentionDays: 90 }, { bundle: false });
    backedUp.template.hasResourceProperties('AWS::Backup::BackupPlan', {
      BackupPlan: Match.objectLike({ BackupPlanRule: [Match.objectLike({ ScheduleExpression: 'cron(0 3 * * ? *)', Lifecycle: { DeleteAfterDays: 90 } })] }),
    });
    backedUp.template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: Match.objectLike({ Resources: [{ 'Fn::GetAtt': [logicalIdOf(backedUp.stack.table.table), 'Arn'] }] }),
    });
  });
});
