import { describe, expect, it } from 'vitest';
import { synthStages } from './synth.js';

// Issue 13 item 4: one stage in two regions of one account, and two stages in one region, must
// not collide on any name. Every resource type the stacks hold is classified here by where its
// name must be unique; a new type with a fixed name fails the last test until it is.
type Scope = 'account' | 'region';
const physicalName: Record<string, { path: string[]; unique: Scope }> = {
  'AWS::CloudFront::CachePolicy': { path: ['CachePolicyConfig', 'Name'], unique: 'account' },
  'AWS::CloudFront::OriginRequestPolicy': { path: ['OriginRequestPolicyConfig', 'Name'], unique: 'account' },
  'AWS::CloudFront::ResponseHeadersPolicy': { path: ['ResponseHeadersPolicyConfig', 'Name'], unique: 'account' },
  'AWS::CloudFront::Function': { path: ['Name'], unique: 'account' },
  'AWS::CloudFront::KeyValueStore': { path: ['Name'], unique: 'account' },
  'AWS::CloudFront::OriginAccessControl': { path: ['OriginAccessControlConfig', 'Name'], unique: 'account' },
  'AWS::IAM::Role': { path: ['RoleName'], unique: 'account' },
  'AWS::S3::Bucket': { path: ['BucketName'], unique: 'account' },
  'AWS::Events::EventBus': { path: ['Name'], unique: 'region' },
  'AWS::Events::Rule': { path: ['Name'], unique: 'region' },
  'AWS::Events::Archive': { path: ['ArchiveName'], unique: 'region' },
  'AWS::Scheduler::ScheduleGroup': { path: ['Name'], unique: 'region' },
  'AWS::DynamoDB::GlobalTable': { path: ['TableName'], unique: 'region' },
  'AWS::Lambda::Function': { path: ['FunctionName'], unique: 'region' },
  'AWS::Logs::LogGroup': { path: ['LogGroupName'], unique: 'region' },
  'AWS::SQS::Queue': { path: ['QueueName'], unique: 'region' },
  'AWS::SNS::Topic': { path: ['TopicName'], unique: 'region' },
  'AWS::CloudWatch::Alarm': { path: ['AlarmName'], unique: 'region' },
  'AWS::CloudWatch::Dashboard': { path: ['DashboardName'], unique: 'region' },
  'AWS::SecretsManager::Secret': { path: ['Name'], unique: 'region' },
  'AWS::Backup::BackupVault': { path: ['BackupVaultName'], unique: 'region' },
  'AWS::Backup::BackupPlan': { path: ['BackupPlan', 'BackupPlanName'], unique: 'region' },
  'AWS::SSM::Parameter': { path: ['Name'], unique: 'region' },
  // An HTTP API's name is a label: API Gateway does not require it to be unique.
  'AWS::ApiGatewayV2::Api': { path: [], unique: 'region' },
  // Cognito's hosted domain prefix is unique across every account in the region: made from the
  // stack's UUID (a reference, so never equal here) unless -c cognitoDomainPrefix names it.
  'AWS::Cognito::UserPoolDomain': { path: ['Domain'], unique: 'region' },
  'AWS::Cognito::UserPool': { path: ['UserPoolName'], unique: 'region' },
  // A federated provider's name is unique within its pool only, and every stack has its own pool.
  'AWS::Cognito::UserPoolIdentityProvider': { path: [], unique: 'region' },
};

/** Renders a synthesised value for comparison: pseudo parameters resolved, other references kept as `<ref>` (their names are generated, so unique). */
function render(value: unknown, env: { region: string; account: string }): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') {
    const ref = (value as { Ref?: string }).Ref;
    if (ref === 'AWS::Region') return env.region;
    if (ref === 'AWS::AccountId') return env.account;
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) {
      const parts = join[1].map((part) => render(part, env));
      return parts.some((part) => part === undefined) ? undefined : parts.join(join[0]);
    }
  }
  return undefined;
}

const account = '123456789012';
const deployments = synthStages(
  [
    { stage: 'prod', region: 'eu-west-1' },
    { stage: 'prod', region: 'us-east-2' },
    { stage: 'staging', region: 'eu-west-1' },
    // The edge alarms live in the main stack here, so us-east-1 is a case of its own.
    { stage: 'prod', region: 'us-east-1' },
  ].map((deployment) => ({ ...deployment, props: { backup: true } })),
  account,
);

/** Every explicit physical name of one deployment, with where it must be unique. */
function namesOf(deployment: (typeof deployments)[number]) {
  return deployment.templates.flatMap(({ stack, template }) => {
    const region = stack.region;
    return Object.entries(template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>).flatMap(([id, resource]) => {
      const rule = physicalName[resource.Type];
      if (!rule || rule.path.length === 0) return [];
      let value: unknown = resource.Properties;
      for (const key of rule.path) value = (value as Record<string, unknown> | undefined)?.[key];
      if (value === undefined) return [];
      const name = render(value, { region, account });
      return name === undefined ? [] : [{ id, type: resource.Type, name, region, unique: rule.unique }];
    });
  });
}

describe('physical names across stages and regions of one account', () => {
  it('each deployment is synthesised with the nag packs, the companion us-east-1 stack outside us-east-1', () => {
    expect(deployments.map((deployment) => deployment.templates.map(({ stack }) => `${stack.stackName}@${stack.region}`))).toEqual([
      ['Vexilla-prod@eu-west-1', 'Vexilla-prod-cloudfront-alarms@us-east-1'],
      ['Vexilla-prod@us-east-2', 'Vexilla-prod-cloudfront-alarms@us-east-1'],
      ['Vexilla-staging@eu-west-1', 'Vexilla-staging-cloudfront-alarms@us-east-1'],
      ['Vexilla-prod@us-east-1'],
    ]);
    // The names that matter are there to compare: CloudFront's policies at least.
    expect(namesOf(deployments[0]!).filter((name) => name.unique === 'account').length).toBeGreaterThanOrEqual(4);
  });

  it.each([
    ['one stage in two regions', 0, 1],
    ['two stages in one region', 0, 2],
    ['one stage in us-east-1 and in another region', 3, 0],
  ] as const)('%s: no two resources that must be unique share a name', (_, a, b) => {
    const left = namesOf(deployments[a]!);
    const right = namesOf(deployments[b]!);
    const clashes = left.flatMap((one) =>
      right.filter((other) => other.type === one.type && other.name === one.name && (one.unique === 'account' || other.region === one.region)).map((other) => `${one.type} ${one.name} (${one.id} / ${other.id})`),
    );
    expect(clashes).toEqual([]);
  });

  it('names nothing explicitly that this test does not classify', () => {
    const unclassified = deployments.flatMap((deployment) =>
      deployment.templates.flatMap(({ template }) =>
        Object.entries(template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>)
          .filter(([, resource]) => !(resource.Type in physicalName))
          .filter(([, resource]) => Object.entries(resource.Properties ?? {}).some(([key, value]) => /Name$/.test(key) && typeof value === 'string' && !['PolicyName', 'StageName', 'MetricName', 'AttributeName'].includes(key)))
          .map(([id, resource]) => `${resource.Type} ${id}`),
      ),
    );
    expect([...new Set(unclassified)]).toEqual([]);
  });
});
