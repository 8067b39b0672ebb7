import { PriceClass } from 'aws-cdk-lib/aws-cloudfront';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { VexillaStackProps } from './vexilla-stack.js';

/**
 * Every `-c name=value` option of `cdk deploy` / `cdk synth`, declared once: bin/vexilla.ts turns
 * them into VexillaStack props, and the README's configuration table lists each (a test checks).
 * Values arrive as strings; each is parsed and checked here, so a typo fails synth with its name.
 */
export const contextOptions = {
  stage: 'stack name suffix (Vexilla-<stage>) and the Stage tag; letters, digits and hyphens',
  region: 'the region to deploy to (default: the CLI profile\'s); outside us-east-1 adds the CloudFront alarm stack',
  retainData: 'true or false: keep the table, archive, dead letters, logs and keys when the stack is deleted',
  tableName: 'adopt the table a deleted stack of this stage kept (with tableStreamArn)',
  tableStreamArn: 'that table\'s stream ARN (the TableStreamArn output)',
  logRetentionDays: 'days to keep function and access logs (a CloudWatch Logs retention: 1, 3, 5, 7, 14, 30, 60, 90, ...)',
  sdkRateLimit: 'requests per second of each SDK route',
  sdkBurstLimit: 'burst of each SDK route',
  adminRateLimit: 'requests per second of each management route',
  adminBurstLimit: 'burst of each management route',
  sdkReservedConcurrency: 'concurrency reserved for the sdk-api (0: none)',
  webhookMaxConcurrency: 'most concurrent webhook-dispatcher batches (2-1000)',
  corsAllowOrigins: 'comma-separated origins browsers may call from, or *',
  priceClass: 'CloudFront price class: 100, 200 or All',
  domainName: 'a custom domain for CloudFront (with certificateArn)',
  certificateArn: 'its ACM certificate, in us-east-1',
  webAclArn: 'a WAFv2 web ACL (CLOUDFRONT scope) for the distribution',
  originVerify: 'true or false: the API refuses requests that did not come through CloudFront',
  alarmEmail: 'an address notified of alarms (confirm the e-mail AWS sends)',
  backup: 'true or false: daily AWS Backup of the table',
  backupRetentionDays: 'days each daily backup is kept',
  sourceMaps: 'true or false: source maps in the function bundles',
  identityIdleDays: 'days an identity without overrides is kept unseen (0: for ever)',
  tags: 'extra cost-allocation tags, Key=Value,Key2=Value2',
  guardAlarms: 'comma-separated CloudWatch alarms rollouts may be guarded by: names, ARNs or name prefixes ending in * (default: vexilla-guard-*)',
  samlMetadataUrl: 'sign-in: federate a SAML identity provider through Cognito (its metadata URL)',
  samlEmailAttribute: 'the SAML attribute holding the email (default: the emailaddress claim URI)',
  samlGroupsAttribute: 'the SAML attribute holding the groups (default: groups)',
  federationOidcIssuer: 'sign-in: federate an OpenID provider through Cognito (with federationOidcClientId and federationOidcSecretArn)',
  federationOidcClientId: 'its client id',
  federationOidcSecretArn: 'a Secrets Manager secret whose value is its client secret',
  oidcIssuer: 'sign-in: your own OpenID issuer instead of Cognito (with oidcClientId)',
  oidcClientId: "the dashboard's client id at that issuer",
  oidcAudience: "the API audience of that issuer's access tokens, to accept them too",
  oidcGroupsClaim: 'the claim listing groups (default: groups, then cognito:groups)',
  oidcTrustEmail: 'true or false: every email that issuer asserts counts as verified (issuers without email_verified)',
  oidcTokenEndpointOrigins: "comma-separated https origins of that issuer's token endpoint when it is on another host (Google: https://oauth2.googleapis.com)",
  cognitoDomainPrefix: 'the hosted sign-in domain prefix (default: stack name and the stack\'s UUID)',
  cognitoThreatProtection: 'true or false: Cognito threat protection on the Plus plan (default: true)',
  userPoolId: 'the user pool a deleted stage kept (its UserPoolId output), adopted with its people',
} as const;

export type ContextOption = keyof typeof contextOptions;

/** What bin/vexilla.ts builds: the stack's id and props, and the region if one was named. */
export interface VexillaAppConfig {
  readonly stage: string;
  readonly stackId: string;
  readonly region?: string;
  readonly props: VexillaStackProps;
}

/**
 * Turns context values into the stack's props. `all` is every context key the app got (CDK's own
 * keys have a ':' or start with '@'); any other key that is not an option is refused as a typo.
 */
export function configFromContext(get: (name: ContextOption) => string | undefined, all: readonly string[] = [], defaults: { region?: string } = {}): VexillaAppConfig {
  const fail = (message: string): never => {
    throw new Error(`Context: ${message}`);
  };
  const unknown = all.filter((key) => !key.includes(':') && !key.startsWith('@') && !(key in contextOptions));
  if (unknown.length > 0) fail(`unknown option ${unknown.map((key) => `'${key}'`).join(', ')}; the options are ${Object.keys(contextOptions).join(', ')}.`);

  const text = (name: ContextOption) => {
    const value = get(name)?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const bool = (name: ContextOption) => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') fail(`${name} must be true or false, got '${value}'.`);
    return value === 'true';
  };
  const number = (name: ContextOption) => {
    const value = text(name);
    if (value === undefined) return undefined;
    if (!/^\d+(\.\d+)?$/.test(value)) fail(`${name} must be a number, got '${value}'.`);
    return Number(value);
  };

  const stage = text('stage') ?? 'dev';
  if (!/^[A-Za-z][A-Za-z0-9-]{0,39}$/.test(stage)) fail(`stage must start with a letter and hold only letters, digits and hyphens (40 at most), got '${stage}'.`);
  const region = text('region') ?? defaults.region;
  if (region !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) fail(`region '${region}' is not an AWS region name.`);

  const domainName = text('domainName');
  const certificateArn = text('certificateArn');
  if (Boolean(domainName) !== Boolean(certificateArn)) fail('pass domainName and certificateArn together.');
  const tableName = text('tableName');
  const tableStreamArn = text('tableStreamArn');
  if (Boolean(tableName) !== Boolean(tableStreamArn)) fail('pass tableName and tableStreamArn together.');

  const logRetentionDays = number('logRetentionDays');
  const retention = logRetentionDays === undefined ? undefined : (Object.values(RetentionDays).find((days) => days === logRetentionDays) as RetentionDays | undefined);
  if (logRetentionDays !== undefined && retention === undefined) {
    fail(`logRetentionDays ${logRetentionDays} is not a CloudWatch Logs retention (${Object.values(RetentionDays).filter((days) => typeof days === 'number').join(', ')}).`);
  }
  const priceClasses: Record<string, PriceClass> = { '100': PriceClass.PRICE_CLASS_100, '200': PriceClass.PRICE_CLASS_200, All: PriceClass.PRICE_CLASS_ALL };
  const priceClassText = text('priceClass');
  if (priceClassText !== undefined && !(priceClassText in priceClasses)) fail(`priceClass must be 100, 200 or All, got '${priceClassText}'.`);

  const throttle = (rate: ContextOption, burst: ContextOption) => {
    const rateLimit = number(rate);
    const burstLimit = number(burst);
    return rateLimit === undefined && burstLimit === undefined ? undefined : { ...(rateLimit !== undefined ? { rateLimit } : {}), ...(burstLimit !== undefined ? { burstLimit } : {}) };
  };
  const tags = text('tags');
  const costTags = tags === undefined ? undefined : Object.fromEntries(tags.split(',').map((pair) => {
    const match = /^\s*([\w.:/=+@ -]{1,128}?)\s*=\s*([\w.:/=+@ -]{0,256}?)\s*$/.exec(pair);
    if (!match || match[1]!.toLowerCase().startsWith('aws:')) fail(`tags must be Key=Value pairs separated by commas (keys not starting with aws:), got '${pair}'.`);
    return [match![1]!, match![2]!];
  }));
  const origins = text('corsAllowOrigins');
  const identity = identityFrom(text, bool, fail);

  const definedOnly = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as T;
  const props: VexillaStackProps = definedOnly({
    description: `Vexilla feature flags and remote config (${stage})`,
    stage,
    retainData: bool('retainData'),
    existingTable: tableName && tableStreamArn ? { tableName, tableStreamArn } : undefined,
    logRetention: retention,
    sdkThrottle: throttle('sdkRateLimit', 'sdkBurstLimit'),
    adminThrottle: throttle('adminRateLimit', 'adminBurstLimit'),
    sdkReservedConcurrency: number('sdkReservedConcurrency'),
    webhookMaxConcurrency: number('webhookMaxConcurrency'),
    corsAllowOrigins: origins?.split(',').map((origin) => origin.trim()),
    priceClass: priceClassText === undefined ? undefined : priceClasses[priceClassText],
    customDomain: domainName && certificateArn ? { domainName, certificateArn } : undefined,
    webAclArn: text('webAclArn'),
    originVerify: bool('originVerify'),
    alarmEmail: text('alarmEmail'),
    backup: bool('backup'),
    backupRetentionDays: number('backupRetentionDays'),
    sourceMaps: bool('sourceMaps'),
    identityIdleDays: number('identityIdleDays'),
    costTags,
    guardAlarms: text('guardAlarms')?.split(',').map((entry) => entry.trim()).filter(Boolean),
    identity,
  });
  return { stage, stackId: `Vexilla-${stage}`, ...(region ? { region } : {}), props };
}

/** How people sign in, from the sign-in options: Cognito (federated or not), or the customer's own issuer. */
function identityFrom(text: (name: ContextOption) => string | undefined, bool: (name: ContextOption) => boolean | undefined, fail: (message: string) => never): VexillaStackProps['identity'] {
  const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));
  const list = (name: ContextOption) => text(name)?.split(',').map((entry) => entry.trim()).filter(Boolean);
  const oidcIssuer = text('oidcIssuer');
  const cognitoOnly = (['samlMetadataUrl', 'federationOidcIssuer', 'cognitoDomainPrefix', 'cognitoThreatProtection', 'userPoolId'] as const).filter((name) => text(name) !== undefined);
  if (oidcIssuer) {
    const clientId = text('oidcClientId') ?? fail('pass oidcClientId with oidcIssuer.');
    if (cognitoOnly.length > 0) fail(`oidcIssuer replaces Cognito: ${cognitoOnly.join(', ')} cannot go with it.`);
    return { externalIssuer: { issuer: oidcIssuer, clientId, ...optional('audience', text('oidcAudience')), ...optional('groupsClaim', text('oidcGroupsClaim')), ...optional('trustEmail', bool('oidcTrustEmail')), ...optional('tokenEndpointOrigins', list('oidcTokenEndpointOrigins')) } };
  }
  const externalOnly = (['oidcClientId', 'oidcAudience', 'oidcGroupsClaim', 'oidcTrustEmail', 'oidcTokenEndpointOrigins'] as const).filter((name) => text(name) !== undefined);
  if (externalOnly.length > 0) fail(`${externalOnly.join(', ')} need oidcIssuer.`);
  const samlMetadataUrl = text('samlMetadataUrl');
  const federation = [text('federationOidcIssuer'), text('federationOidcClientId'), text('federationOidcSecretArn')] as const;
  if (federation.some(Boolean) && !federation.every(Boolean)) fail('pass federationOidcIssuer, federationOidcClientId and federationOidcSecretArn together.');
  const [issuer, clientId, clientSecretArn] = federation;
  const cognito = {
    ...(samlMetadataUrl ? { saml: { metadataUrl: samlMetadataUrl, ...optional('emailAttribute', text('samlEmailAttribute')), ...optional('groupsAttribute', text('samlGroupsAttribute')) } } : {}),
    ...(issuer && clientId && clientSecretArn ? { oidcFederation: { issuer, clientId, clientSecretArn } } : {}),
    ...optional('domainPrefix', text('cognitoDomainPrefix')),
    ...optional('threatProtection', bool('cognitoThreatProtection')),
    ...optional('existingUserPoolId', text('userPoolId')),
  };
  // Nothing said: Cognito with its defaults, and the prop left out like every other default.
  return Object.keys(cognito).length > 0 ? cognito : undefined;
}
