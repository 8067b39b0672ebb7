import { readFileSync } from 'node:fs';
import { PriceClass } from 'aws-cdk-lib/aws-cloudfront';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { configFromContext, type ContextOption, contextOptions } from '../../lib/context.js';
import { synthVexilla } from './synth.js';

// Issue 13 item 8: every setting a customer needs, as VexillaService props and `-c` context,
// checked before anything is built, and listed in one table in the README.
const fromContext = (values: Partial<Record<ContextOption, string>>, all: string[] = Object.keys(values)) => configFromContext((name) => values[name], all);

describe('-c context options', () => {
  it('turn into the stack props, each parsed to its type', () => {
    const config = fromContext({
      stage: 'prod',
      region: 'eu-west-1',
      retainData: 'true',
      tableName: 'kept',
      tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/kept/stream/2025-01-01T00:00:00.000',
      logRetentionDays: '90',
      sdkRateLimit: '2000',
      sdkBurstLimit: '4000',
      adminRateLimit: '20',
      adminBurstLimit: '40',
      sdkReservedConcurrency: '200',
      webhookMaxConcurrency: '5',
      corsAllowOrigins: 'https://app.example.com, https://admin.example.com',
      priceClass: 'All',
      domainName: 'flags.example.com',
      certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666',
      webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/vexilla/0a1b2c3d-1111-2222-3333-444455556666',
      originVerify: 'false',
      alarmEmail: 'ops@example.com',
      backup: 'true',
      backupRetentionDays: '90',
      sourceMaps: 'true',
      identityIdleDays: '30',
      tags: 'CostCenter=4711,Team=platform',
      samlMetadataUrl: 'https://idp.example.com/app/saml/metadata',
      userPoolId: 'eu-west-1_AbCdEf123',
    });
    expect(config).toMatchObject({ stage: 'prod', stackId: 'Vexilla-prod', region: 'eu-west-1' });
    expect(config.props).toEqual({
      description: 'Vexilla feature flags and remote config (prod)',
      stage: 'prod',
      retainData: true,
      existingTable: { tableName: 'kept', tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/kept/stream/2025-01-01T00:00:00.000' },
      logRetention: RetentionDays.THREE_MONTHS,
      sdkThrottle: { rateLimit: 2000, burstLimit: 4000 },
      adminThrottle: { rateLimit: 20, burstLimit: 40 },
      sdkReservedConcurrency: 200,
      webhookMaxConcurrency: 5,
      corsAllowOrigins: ['https://app.example.com', 'https://admin.example.com'],
      priceClass: PriceClass.PRICE_CLASS_ALL,
      customDomain: { domainName: 'flags.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666' },
      webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/vexilla/0a1b2c3d-1111-2222-3333-444455556666',
      originVerify: false,
      alarmEmail: 'ops@example.com',
      backup: true,
      backupRetentionDays: 90,
      sourceMaps: true,
      identityIdleDays: 30,
      costTags: { CostCenter: '4711', Team: 'platform' },
      identity: { saml: { metadataUrl: 'https://idp.example.com/app/saml/metadata' }, existingUserPoolId: 'eu-west-1_AbCdEf123' },
    });
  });

  it('name your own OpenID issuer, with the other origins its token endpoint lives on', () => {
    const config = fromContext({
      oidcIssuer: 'https://accounts.google.com',
      oidcClientId: 'vexilla',
      oidcTrustEmail: 'true',
      oidcTokenEndpointOrigins: 'https://oauth2.googleapis.com, https://www.googleapis.com',
    });
    expect(config.props.identity).toEqual({
      externalIssuer: { issuer: 'https://accounts.google.com', clientId: 'vexilla', trustEmail: true, tokenEndpointOrigins: ['https://oauth2.googleapis.com', 'https://www.googleapis.com'] },
    });
    expect(() => fromContext({ oidcTokenEndpointOrigins: 'https://oauth2.googleapis.com' })).toThrow(/oidcTokenEndpointOrigins need oidcIssuer/);
  });

  it('default to a dev stage with every prop left to its documented default', () => {
    expect(fromContext({})).toEqual({ stage: 'dev', stackId: 'Vexilla-dev', props: { description: 'Vexilla feature flags and remote config (dev)', stage: 'dev' } });
  });

  it.each([
    [{ retainData: 'no' }, /retainData must be true or false/],
    [{ sdkRateLimit: 'fast' }, /sdkRateLimit must be a number/],
    [{ logRetentionDays: '31' }, /logRetentionDays 31 is not a CloudWatch Logs retention/],
    [{ priceClass: '300' }, /priceClass must be 100, 200 or All/],
    [{ domainName: 'flags.example.com' }, /domainName and certificateArn together/],
    [{ tableName: 'kept' }, /tableName and tableStreamArn together/],
    [{ stage: 'prod_1' }, /stage must start with a letter/],
    [{ region: 'europe' }, /not an AWS region name/],
    [{ tags: 'aws:owner=me' }, /tags must be Key=Value pairs/],
  ] as [Partial<Record<ContextOption, string>>, RegExp][])('refuse %o with a message naming the option', (values, message) => {
    expect(() => fromContext(values)).toThrow(message);
  });

  it('refuse an option nobody declared (a typo), but let CDK its own', () => {
    expect(() => fromContext({}, ['alarmEmial'])).toThrow(/unknown option 'alarmEmial'/);
    expect(() => fromContext({}, ['aws:cdk:bundling-stacks', '@aws-cdk/core:checkSecretUsage'])).not.toThrow();
  });

  it('are all in the README configuration table, with nothing there that is not an option', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Configuration'));
    const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| ---')));
    const documented = [...table.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.keys(contextOptions).sort());
  });
});

describe('VexillaService props are checked before anything is built', () => {
  it.each([
    [{ sdkThrottle: { rateLimit: 0 } }, /sdkThrottle.rateLimit must be a positive number/],
    [{ adminThrottle: { burstLimit: 1.5 } }, /adminThrottle.burstLimit must be a whole number/],
    [{ sdkReservedConcurrency: -1 }, /sdkReservedConcurrency must be a whole number/],
    [{ webhookMaxConcurrency: 1 }, /webhookMaxConcurrency must be a whole number from 2 to 1000/],
    [{ backup: true, retainData: false }, /backup needs retainData/],
    [{ backupRetentionDays: 10 }, /backupRetentionDays needs backup/],
    [{ corsAllowOrigins: ['app.example.com'] }, /is not an origin/],
    [{ corsAllowOrigins: [] }, /at least one origin/],
    [{ webAclArn: 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/0a1b2c3d-1111-2222-3333-444455556666' }, /not the ARN of a WAFv2 web ACL of CLOUDFRONT scope/],
    [{ alarmEmail: 'ops' }, /not an e-mail address/],
  ] as const)('%o is refused', (props, message) => {
    expect(() => synthVexilla(props as never, { bundle: false })).toThrow(message);
  });
});
