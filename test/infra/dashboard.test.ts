import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { CachePolicy } from 'aws-cdk-lib/aws-cloudfront';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../dashboard/csp.js';
import { ELEMENT_CACHE_CONTROL, ELEMENTS_PATH_PATTERN, VexillaDashboard } from '../../lib/dashboard.js';
import { ELEMENT_FILE } from '../../elements/build.js';
import { API_PATH_PATTERNS } from '../../lib/edge.js';
import { cachedRoutes } from '../../functions/edge/cache-rules.js';
import { logicalIdOf, synthVexilla } from './synth.js';

const { stack, template } = synthVexilla(undefined, { bundle: false });
const dashboard = stack.service.dashboard;
const bucketId = logicalIdOf(dashboard.bucket);
/** The dashboard's CSP as the template has it, references shown as `${LogicalId}` / `${AWS::Region}`. */
function cspIn(each: Template): string {
  const policy = Object.values(each.findResources('AWS::CloudFront::ResponseHeadersPolicy')).find((candidate) => String(candidate.Properties.ResponseHeadersPolicyConfig.Comment).includes('dashboard'));
  const value: unknown = policy?.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy;
  return flat(value);
}
/** A CloudFormation value as text: references as `${Name}`, other intrinsics as their JSON. */
function flat(part: unknown): string {
  if (typeof part === 'string') return part;
  const object = part as { 'Fn::Join'?: [string, unknown[]]; Ref?: string };
  if (object.Ref) return `\${${object.Ref}}`;
  if (object['Fn::Join']) return object['Fn::Join'][1].map(flat).join(object['Fn::Join'][0]);
  return JSON.stringify(part);
}
const connectSrc = (each: Template) => cspIn(each).split('; ').find((directive) => directive.startsWith('connect-src '))?.split(' ').slice(1);
const distribution = () => Object.values(template.findResources('AWS::CloudFront::Distribution'))[0]?.Properties.DistributionConfig;
const originIdOf = (pattern: string | undefined) => {
  const config = distribution();
  const behaviour = pattern === undefined ? config.DefaultCacheBehavior : config.CacheBehaviors.find((candidate: { PathPattern: string }) => candidate.PathPattern === pattern);
  return config.Origins.find((origin: { Id: string }) => origin.Id === behaviour.TargetOriginId);
};

describe('the dashboard at the edge', () => {
  it('lives in a private, encrypted bucket that only TLS and this distribution (origin access control) may read', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((candidate) => JSON.stringify(candidate.Properties.Bucket).includes(bucketId));
    const statements = policy?.Properties.PolicyDocument.Statement as { Effect: string; Principal: unknown; Action: unknown; Condition?: Record<string, Record<string, unknown>> }[];
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    const read = statements.find((statement) => JSON.stringify(statement.Principal).includes('cloudfront.amazonaws.com'));
    expect(read).toMatchObject({ Effect: 'Allow', Action: 's3:GetObject' });
    expect(JSON.stringify(read?.Condition?.StringEquals?.['AWS:SourceArn'])).toContain(logicalIdOf(stack.service.edge.distribution));
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: { OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' },
    });
    expect(originIdOf(undefined)).toMatchObject({ S3OriginConfig: { OriginAccessIdentity: '' }, OriginAccessControlId: { 'Fn::GetAtt': [logicalIdOf(dashboard.originAccessControl), 'Id'] } });
  });

  it('is deleted with the stack, files and all, whatever retainData says (it holds only built files)', () => {
    for (const each of [template, synthVexilla({ retainData: false }, { bundle: false }).template]) {
      const buckets = each.findResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
      const bucket = Object.entries(buckets).find(([id]) => id === bucketId);
      expect(bucket, 'the dashboard bucket, DeletionPolicy Delete').toBeDefined();
      each.hasResourceProperties('Custom::S3AutoDeleteObjects', { BucketName: { Ref: bucketId } });
    }
  });

  it('is the default behaviour; the APIs have their own, after the cached SDK paths, and the elements theirs', () => {
    const config = distribution();
    const patterns = config.CacheBehaviors.map((behaviour: { PathPattern: string }) => behaviour.PathPattern);
    expect(patterns).toEqual([cachedRoutes.flags.pathPattern, cachedRoutes.environmentDocument.pathPattern, ...API_PATH_PATTERNS, ELEMENTS_PATH_PATTERN]);
    expect(originIdOf(undefined).DomainName).toEqual({ 'Fn::GetAtt': [bucketId, 'RegionalDomainName'] });
    for (const pattern of API_PATH_PATTERNS) {
      expect(JSON.stringify(originIdOf(pattern).DomainName)).toContain('execute-api');
      const behaviour = config.CacheBehaviors.find((candidate: { PathPattern: string }) => candidate.PathPattern === pattern);
      expect(behaviour.AllowedMethods).toHaveLength(7);
      expect(behaviour.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // CachingDisabled
    }
    expect(config.DefaultCacheBehavior.AllowedMethods).toEqual(['GET', 'HEAD']);
    expect(config.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [logicalIdOf(dashboard.pageRouting), 'FunctionARN'] } }]);
    // No error page anywhere: it would turn the APIs' own 403s and 404s into index.html. (The
    // error responses there are only there to keep refusals out of the cache.)
    for (const response of config.CustomErrorResponses ?? []) expect(response).toEqual({ ErrorCode: response.ErrorCode, ErrorCachingMinTTL: 0 });
  });

  it('sends the strict Content-Security-Policy the local stack sends, and security headers', () => {
    expect(DASHBOARD_CSP).not.toContain('unsafe');
    template.hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
      ResponseHeadersPolicyConfig: {
        SecurityHeadersConfig: {
          ContentSecurityPolicy: { ContentSecurityPolicy: Match.anyValue(), Override: true },
          StrictTransportSecurity: Match.objectLike({ Override: true, IncludeSubdomains: true }),
          FrameOptions: { FrameOption: 'DENY', Override: true },
          ContentTypeOptions: { Override: true },
        },
      },
    });
    // Every directive but connect-src is exactly the local stack's (dashboard/csp.ts).
    const directives = (policy: string) => policy.split('; ').filter((directive) => !directive.startsWith('connect-src'));
    expect(directives(cspIn(template))).toEqual(directives(DASHBOARD_CSP));
    expect(distribution().DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({ Ref: logicalIdOf(dashboard.responseHeadersPolicy) });
  });

  it("lets the browser fetch from the Cognito issuer and its hosted domain to sign in, and from nowhere else", () => {
    // Discovery at cognito-idp.<region>, the token endpoint on the pool's hosted domain, whose name
    // is the one the domain resource declares.
    const [self, issuer, hosted] = connectSrc(template) ?? [];
    expect([self, issuer]).toEqual(["'self'", 'https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}']);
    const domain = Object.values(template.findResources('AWS::Cognito::UserPoolDomain'))[0]?.Properties.Domain;
    expect(hosted).toBe(`https://${flat(domain)}.auth.\${AWS::Region}.amazoncognito.com`);
    expect(connectSrc(template)).toHaveLength(3);
    const prefixed = synthVexilla({ identity: { domainPrefix: 'acme-flags' } }, { bundle: false });
    expect(connectSrc(prefixed.template)?.[2]).toBe('https://acme-flags.auth.${AWS::Region}.amazoncognito.com');
  });

  it("with the customer's own issuer, lets the browser fetch from that issuer's origin only (and a token endpoint's, when named)", () => {
    const own = synthVexilla({ identity: { externalIssuer: { issuer: 'https://acme.okta.com/oauth2/default', clientId: 'vexilla' } } }, { bundle: false });
    expect(connectSrc(own.template)).toEqual(["'self'", 'https://acme.okta.com']);
    const google = synthVexilla({ identity: { externalIssuer: { issuer: 'https://accounts.google.com', clientId: 'vexilla', tokenEndpointOrigins: ['https://oauth2.googleapis.com'] } } }, { bundle: false });
    expect(connectSrc(google.template)).toEqual(["'self'", 'https://accounts.google.com', 'https://oauth2.googleapis.com']);
    expect(() => synthVexilla({ identity: { externalIssuer: { issuer: 'https://accounts.google.com', clientId: 'vexilla', tokenEndpointOrigins: ['https://*.googleapis.com'] } } }, { bundle: false })).toThrow(/https origin/);
  });

  it('answers page paths with index.html and leaves files alone (the CloudFront Function)', () => {
    const code = Object.values(template.findResources('AWS::CloudFront::Function'))[0]?.Properties.FunctionCode as string;
    const handler = new Function(`${code}; return handler;`)() as (event: { request: { uri: string } }) => { uri: string };
    for (const [uri, expected] of [
      ['/', '/index.html'],
      ['/o/org_1/p/prj_1/e/env_1/flags/new_checkout', '/index.html'],
      ['/sign-in', '/index.html'],
      // Dots in feature names and identity identifiers do not make a page a file.
      ['/o/org_1/p/prj_1/e/env_1/flags/checkout.v2', '/index.html'],
      ['/o/org_1/p/prj_1/e/env_1/identities/ana@acme.com', '/index.html'],
      ['/assets/index-abc123.js', '/assets/index-abc123.js'],
      ['/favicon.svg', '/favicon.svg'],
    ]) expect(handler({ request: { uri: uri as string } }).uri, uri).toBe(expected);
  });

  it('deploys the files: hashed assets cached for a year, index.html revalidated (at most a second old at the edge), old assets kept', () => {
    // The assets, the page, and the elements (below).
    template.resourceCountIs('Custom::CDKBucketDeployment', 3);
    template.hasResourceProperties('Custom::CDKBucketDeployment', { Exclude: ['index.html'], SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' }, Prune: false });
    template.hasResourceProperties('Custom::CDKBucketDeployment', { Include: ['index.html'], SystemMetadata: { 'cache-control': 'no-cache' }, Prune: false });
    // CachingOptimized: its minimum TTL (1 s) bounds how long the edge keeps a `no-cache` index.html.
    expect(distribution().DefaultCacheBehavior.CachePolicyId).toBe(CachePolicy.CACHING_OPTIMIZED.cachePolicyId);
    expect(JSON.stringify(template.findResources('Custom::CDKBucketDeployment'))).not.toContain('DistributionId');
  });

  it('serves <vexilla-tenant-settings> at /elements/ from the same bucket, to module scripts on any origin, without credentials', () => {
    const config = distribution();
    const behaviour = config.CacheBehaviors.find((candidate: { PathPattern: string }) => candidate.PathPattern === ELEMENTS_PATH_PATTERN);
    expect(ELEMENTS_PATH_PATTERN).toBe('/elements/*');
    expect(behaviour).toMatchObject({ AllowedMethods: ['GET', 'HEAD'], ViewerProtocolPolicy: 'redirect-to-https', Compress: true, CachePolicyId: CachePolicy.CACHING_OPTIMIZED.cachePolicyId });
    expect(originIdOf(ELEMENTS_PATH_PATTERN)).toEqual(originIdOf(undefined));
    const policies = template.findResources('AWS::CloudFront::ResponseHeadersPolicy');
    const policy = policies[(behaviour.ResponseHeadersPolicyId as { Ref: string }).Ref]?.Properties.ResponseHeadersPolicyConfig;
    expect(policy.CorsConfig).toMatchObject({ AccessControlAllowOrigins: { Items: ['*'] }, AccessControlAllowMethods: { Items: ['GET', 'HEAD'] }, AccessControlAllowCredentials: false, OriginOverride: true });
    expect(policy.SecurityHeadersConfig.ContentTypeOptions).toEqual({ Override: true });
    // A stable URL customers write into their pages: cached minutes, not a year, so a deployment reaches them.
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketKeyPrefix: 'elements/',
      SystemMetadata: { 'cache-control': ELEMENT_CACHE_CONTROL, 'content-type': 'text/javascript; charset=utf-8' },
      Prune: false,
    });
    expect(ELEMENT_CACHE_CONTROL).toBe('public, max-age=300');
  });

  it('`cdk synth` builds the dashboard itself: the asset holds the built files', () => {
    // CDK's template validation only warns and costs seconds of CPU: test/infra/nag.test.ts runs it.
    const app = new App({ builtinCloudFormationValidation: false });
    const host = new Stack(app, 'DashboardOnly');
    new VexillaDashboard(host, 'Dashboard');
    const assembly = app.synth();
    // Assets are staged as directories, or as files (a zipped handler): only a directory can be the site.
    const staged = readdirSync(assembly.directory, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && entry.name.startsWith('asset.'))
      .map((entry) => join(assembly.directory, entry.name));
    const site = staged.find((dir) => readdirSync(dir).includes('index.html'));
    expect(site, 'an asset with index.html').toBeDefined();
    const html = readFileSync(join(site as string, 'index.html'), 'utf8');
    expect(html).toMatch(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
    expect(readdirSync(join(site as string, 'assets')).some((name) => name.endsWith('.js'))).toBe(true);
    expect(readdirSync(site as string)).not.toContain('.vite');
    // The element, built at synth too: the file the /elements/ behaviour serves.
    const element = staged.find((dir) => readdirSync(dir).includes(ELEMENT_FILE));
    expect(element, `an asset with ${ELEMENT_FILE}`).toBeDefined();
    expect(readFileSync(join(element as string, ELEMENT_FILE), 'utf8')).toContain('vexilla-tenant-settings');
  }, 180_000);
});
