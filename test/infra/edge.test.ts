import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { CachePolicy, OriginRequestPolicy, PriceClass } from 'aws-cdk-lib/aws-cloudfront';
import { describe, expect, it } from 'vitest';
import { cors } from '../../functions/http/cors.js';
import { EDGE_KEY_LENGTH, edgeCacheControl, viewerCacheControl, viewerVary } from '../../functions/edge/cache-rules.js';
import { viewerRequestSource } from '../../functions/edge/viewer-request.js';
import { isEdgeRoute, routes } from '../../functions/http/routes.js';
import { API_PATH_PATTERNS, cachedRoutes, edgeCaching, edgeTtls, VexillaEdge, type VexillaEdgeProps } from '../../lib/edge.js';
import { ELEMENTS_PATH_PATTERN } from '../../lib/dashboard.js';
import { acknowledgments, logicalIdOf, synthVexilla } from './synth.js';

// Synthesised once per file, with both nag packs (synthesis throws on an unacknowledged error).
const { stack, template } = synthVexilla(undefined, { bundle: false });
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
const edge = stack.service.edge;

interface Behaviour {
  PathPattern?: string;
  CachePolicyId: unknown;
  OriginRequestPolicyId: unknown;
  ResponseHeadersPolicyId: unknown;
  FunctionAssociations?: { EventType: string; FunctionARN: unknown }[];
  ViewerProtocolPolicy: string;
  AllowedMethods: string[];
  CachedMethods?: string[];
  TargetOriginId: string;
}
const config = () => resources[logicalIdOf(edge.distribution)]!.Properties.DistributionConfig as {
  DefaultCacheBehavior: Behaviour;
  CacheBehaviors: Behaviour[];
  Origins: { DomainName: unknown; Id: string; CustomOriginConfig: Record<string, unknown> }[];
  [key: string]: unknown;
};
const policyOf = (ref: unknown) => resources[(ref as { Ref: string }).Ref]!.Properties;
const cacheKeyOf = (behaviour: Behaviour) =>
  (policyOf(behaviour.CachePolicyId).CachePolicyConfig as {
    DefaultTTL: number;
    MinTTL: number;
    MaxTTL: number;
    ParametersInCacheKeyAndForwardedToOrigin: {
      HeadersConfig: { HeaderBehavior: string; Headers?: string[] };
      QueryStringsConfig: { QueryStringBehavior: string; QueryStrings?: string[] };
      CookiesConfig: { CookieBehavior: string };
    };
  });
const forwardedBy = (behaviour: Behaviour) =>
  policyOf(behaviour.OriginRequestPolicyId).OriginRequestPolicyConfig as {
    HeadersConfig: { HeaderBehavior: string; Headers?: string[] };
    QueryStringsConfig: { QueryStringBehavior: string; QueryStrings?: string[] };
    CookiesConfig: { CookieBehavior: string };
  };
const behaviourFor = (pattern: string) => {
  const behaviour = config().CacheBehaviors.find((candidate) => candidate.PathPattern === pattern);
  expect(behaviour, pattern).toBeDefined();
  return behaviour!;
};
const cachedPatterns: (string | undefined)[] = [cachedRoutes.flags.pathPattern, cachedRoutes.environmentDocument.pathPattern];
/** The two cached SDK behaviours. */
const cachedBehaviours = () => config().CacheBehaviors.filter((behaviour) => cachedPatterns.includes(behaviour.PathPattern));
/** The uncached API behaviours (the dashboard holds the default behaviour: test/infra/dashboard.test.ts). */
const apiBehaviours = () => config().CacheBehaviors.filter((behaviour) => API_PATH_PATTERNS.includes(behaviour.PathPattern as string));
/** CloudFront path patterns: `*` matches any run of characters, `?` exactly one. */
const matches = (pattern: string, path: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`).test(path);

describe('the distribution', () => {
  it('sends every API behaviour to the HTTP API, over HTTPS with TLS 1.2 (the dashboard bucket, also serving /elements/*, is the only other origin)', () => {
    const { Origins } = config();
    expect(Origins).toHaveLength(2);
    const api = Origins.find((origin) => origin.CustomOriginConfig);
    expect(api!.DomainName).toEqual({
      'Fn::Join': ['', [{ Ref: logicalIdOf(stack.service.httpApi.api) }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]],
    });
    expect(api!.CustomOriginConfig).toEqual({ OriginProtocolPolicy: 'https-only', OriginSSLProtocols: ['TLSv1.2'] });
    const apiBound = config().CacheBehaviors.filter((behaviour) => behaviour.PathPattern !== ELEMENTS_PATH_PATTERN);
    expect(apiBound.map((behaviour) => behaviour.TargetOriginId)).toEqual(apiBound.map(() => api!.Id));
    expect(config().CacheBehaviors.find((behaviour) => behaviour.PathPattern === ELEMENTS_PATH_PATTERN)?.TargetOriginId).toBe(config().DefaultCacheBehavior.TargetOriginId);
    // No API path falls through to the dashboard: every route matches a behaviour of the API.
    for (const route of routes.filter((route) => !isEdgeRoute(route))) expect(config().CacheBehaviors.some((behaviour) => matches(behaviour.PathPattern!, route.path)), route.path).toBe(true);
  });

  it('caches exactly two API behaviours, flags and the environment document, with and without the trailing slash', () => {
    const cachingDisabled = CachePolicy.CACHING_DISABLED.cachePolicyId;
    const patterns = config().CacheBehaviors.filter((behaviour) => behaviour.CachePolicyId !== cachingDisabled && behaviour.PathPattern !== ELEMENTS_PATH_PATTERN).map((behaviour) => behaviour.PathPattern);
    expect(patterns).toEqual(['/api/v1/flags*', '/api/v1/environment-document*']);
    expect(patterns).toEqual([cachedRoutes.flags.pathPattern, cachedRoutes.environmentDocument.pathPattern]);
    for (const path of ['/api/v1/flags', '/api/v1/flags/']) expect(matches(cachedRoutes.flags.pathPattern, path), path).toBe(true);
    for (const path of ['/api/v1/environment-document', '/api/v1/environment-document/']) expect(matches(cachedRoutes.environmentDocument.pathPattern, path), path).toBe(true);
    // The neighbours stay uncached: identities, analytics and OFREP answers depend on more than the key.
    for (const path of ['/api/v1/identities/', '/api/v1/analytics/flags/', '/ofrep/v1/evaluate/flags', '/admin/v1/organisations']) {
      expect(patterns.some((pattern) => matches(pattern!, path)), path).toBe(false);
    }
  });

  it('caches only GET and HEAD on those behaviours, and lets preflights through', () => {
    for (const behaviour of cachedBehaviours()) {
      expect(behaviour.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS']);
      expect(behaviour.CachedMethods).toEqual(['GET', 'HEAD']);
    }
  });

  it('keys flags by the environment key alone', () => {
    const key = cacheKeyOf(behaviourFor('/api/v1/flags*')).ParametersInCacheKeyAndForwardedToOrigin;
    expect(key.HeadersConfig).toEqual({ HeaderBehavior: 'whitelist', Headers: ['X-Environment-Key'] });
    expect(key.QueryStringsConfig).toEqual({ QueryStringBehavior: 'none' });
    expect(key.CookiesConfig).toEqual({ CookieBehavior: 'none' });
  });

  it('keys the environment document by the environment key and the page', () => {
    const key = cacheKeyOf(behaviourFor('/api/v1/environment-document*')).ParametersInCacheKeyAndForwardedToOrigin;
    expect(key.HeadersConfig).toEqual({ HeaderBehavior: 'whitelist', Headers: ['X-Environment-Key'] });
    expect(key.QueryStringsConfig).toEqual({ QueryStringBehavior: 'whitelist', QueryStrings: ['page'] });
    expect(key.CookiesConfig).toEqual({ CookieBehavior: 'none' });
  });

  it('forwards nothing to the origin on cached paths that is not in the cache key, save the preflight headers', () => {
    for (const behaviour of cachedBehaviours()) {
      const forwarded = forwardedBy(behaviour);
      const key = cacheKeyOf(behaviour).ParametersInCacheKeyAndForwardedToOrigin;
      // Authorization or X-API-Key here would let one key's answer be served to a request without one.
      expect(forwarded.HeadersConfig).toEqual({ HeaderBehavior: 'whitelist', Headers: ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers'] });
      expect(forwarded.QueryStringsConfig).toEqual(key.QueryStringsConfig);
      expect(forwarded.CookiesConfig).toEqual({ CookieBehavior: 'none' });
    }
  });

  it('caches for seconds, as the sdk-api asks, and never longer than a minute', () => {
    for (const behaviour of cachedBehaviours()) {
      expect(cacheKeyOf(behaviour)).toMatchObject({ MinTTL: 0, DefaultTTL: 10, MaxTTL: 60 });
    }
    expect(edgeTtls.default.toSeconds()).toBe(edgeCaching.maxAgeSeconds);
    // The origin declares how long to serve stale answers; CloudFront honours these directives.
    // s-maxage for CloudFront (it takes it over max-age); max-age=0 for anyone else.
    expect(edgeCacheControl).toBe(`max-age=0, s-maxage=10, stale-while-revalidate=${edgeCaching.staleWhileRevalidateSeconds}, stale-if-error=${edgeCaching.staleIfErrorSeconds}`);
    expect(edgeCaching.maxAgeSeconds).toBeLessThanOrEqual(edgeTtls.max.toSeconds());
    expect(edgeCaching.staleIfErrorSeconds).toBeGreaterThanOrEqual(3600);
  });

  it('sends everything else to the API uncached, with every viewer header but Host', () => {
    expect(apiBehaviours().map((behaviour) => behaviour.PathPattern)).toEqual(['/admin/*', '/api/*', '/ofrep/*', '/tenant/*']);
    for (const behaviour of apiBehaviours()) {
      expect(behaviour.CachePolicyId).toBe(CachePolicy.CACHING_DISABLED.cachePolicyId);
      expect(behaviour.OriginRequestPolicyId).toBe(OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER.originRequestPolicyId);
      expect(behaviour.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']));
    }
  });

  it('answers over HTTPS only, with HTTP/2 and HTTP/3, at the cheapest price class', () => {
    for (const behaviour of [config().DefaultCacheBehavior, ...config().CacheBehaviors]) expect(behaviour.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(config()).toMatchObject({ HttpVersion: 'http2and3', PriceClass: 'PriceClass_100', Enabled: true });
  });

  it('tells viewers on cached routes never to reuse an answer, and that it varies by the environment key', () => {
    const cachedRef = { Ref: logicalIdOf(edge.cachedResponseHeadersPolicy) };
    for (const behaviour of cachedBehaviours()) expect(behaviour.ResponseHeadersPolicyId).toEqual(cachedRef);
    const policy = policyOf(cachedRef).ResponseHeadersPolicyConfig as { CustomHeadersConfig: unknown };
    expect(policy.CustomHeadersConfig).toEqual({
      Items: [
        { Header: 'Cache-Control', Value: 'private, no-cache', Override: true },
        { Header: 'Vary', Value: 'Origin, Accept-Encoding, X-Environment-Key', Override: true },
      ],
    });
    expect([viewerCacheControl, viewerVary]).toEqual(['private, no-cache', 'Origin, Accept-Encoding, X-Environment-Key']);
  });

  it('moves cached requests under a hash of their environment key with a CloudFront Function, on both cached behaviours only', () => {
    const fn = Object.entries(resources).find(([, resource]) => resource.Type === 'AWS::CloudFront::Function' && resource.Properties.FunctionCode === viewerRequestSource);
    expect(fn).toBeDefined();
    const [fnId, { Properties }] = fn!;
    expect(Properties).toMatchObject({ AutoPublish: true, FunctionCode: viewerRequestSource, FunctionConfig: { Runtime: 'cloudfront-js-2.0' } });
    expect(viewerRequestSource).toContain(`.slice(0, ${EDGE_KEY_LENGTH})`);
    // Function names are account-wide: the region and the stack's path keep two stages, or one
    // stage in two regions, apart.
    expect(JSON.stringify(Properties.Name)).toContain('AWS::Region');
    expect(JSON.stringify(Properties.Name)).toContain(stack.stackName.replace(/[^A-Za-z0-9]/g, ''));
    for (const behaviour of cachedBehaviours()) {
      expect(behaviour.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [fnId, 'FunctionARN'] } }]);
    }
    for (const behaviour of apiBehaviours()) expect(behaviour.FunctionAssociations).toBeUndefined();
  });

  it('keeps no 4xx an origin answers (CloudFront would, for 10 s)', () => {
    expect(config().CustomErrorResponses).toEqual([400, 403, 404, 405, 414, 416].map((ErrorCode) => ({ ErrorCode, ErrorCachingMinTTL: 0 })));
  });

  it('puts security headers and CORS from functions/http/cors.ts on every answer', () => {
    const policyRef = { Ref: logicalIdOf(edge.responseHeadersPolicy) };
    for (const behaviour of apiBehaviours()) expect(behaviour.ResponseHeadersPolicyId).toEqual(policyRef);
    for (const ref of [policyRef, { Ref: logicalIdOf(edge.cachedResponseHeadersPolicy) }]) {
      const policy = policyOf(ref).ResponseHeadersPolicyConfig as { SecurityHeadersConfig: unknown; CorsConfig: unknown };
      expect(policy.SecurityHeadersConfig).toMatchObject({
        StrictTransportSecurity: { AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true },
        ContentTypeOptions: { Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
        ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
      });
      expect(policy.CorsConfig).toEqual({
        AccessControlAllowOrigins: { Items: [...cors.allowOrigins] },
        AccessControlAllowMethods: { Items: [...cors.allowMethods] },
        AccessControlAllowHeaders: { Items: [...cors.allowHeaders] },
        AccessControlExposeHeaders: { Items: [...cors.exposeHeaders] },
        AccessControlMaxAgeSec: cors.maxAgeSeconds,
        AccessControlAllowCredentials: false,
        OriginOverride: true,
      });
    }
  });

  it('logs every request to an encrypted, TLS-only, private bucket that expires them', () => {
    expect(config().Logging).toEqual({ Bucket: { 'Fn::GetAtt': [logicalIdOf(edge.logBucket!), 'RegionalDomainName'] }, IncludeCookies: false, Prefix: 'cloudfront/' });
    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerPreferred' }] },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })] },
      }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: logicalIdOf(edge.logBucket!) },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('publishes the additional metrics the dashboard shows (cache hit rate)', () => {
    template.hasResourceProperties('AWS::CloudFront::MonitoringSubscription', {
      DistributionId: { Ref: logicalIdOf(edge.distribution) },
      MonitoringSubscription: { RealtimeMetricsSubscriptionConfig: { RealtimeMetricsSubscriptionStatus: 'Enabled' } },
    });
  });

  it('uses the default certificate without a custom domain', () => {
    expect(config().Aliases).toBeUndefined();
    expect(config().ViewerCertificate).toBeUndefined();
  });
});

describe('stack outputs', () => {
  it('give the CloudFront URL and domain name, next to the API URL and table name', () => {
    template.hasOutput('CloudFrontUrl', { Value: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalIdOf(edge.distribution), 'DomainName'] }]] } });
    template.hasOutput('CloudFrontDomainName', { Value: { 'Fn::GetAtt': [logicalIdOf(edge.distribution), 'DomainName'] } });
    template.hasOutput('ApiUrl', Match.anyValue());
    template.hasOutput('TableName', Match.anyValue());
  });
});

describe('with a custom domain', () => {
  const customDomain = { domainName: 'flags.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-1111-2222-3333-444455556666' };
  // Synthesis runs the nag packs: CFR4 is only acknowledged without a custom domain, so this also
  // proves the TLS settings satisfy it.
  const custom = synthVexilla({ customDomain, priceClass: PriceClass.PRICE_CLASS_ALL }, { bundle: false });

  it('serves the domain with its us-east-1 certificate, SNI and TLS 1.2 or later', () => {
    custom.template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Aliases: ['flags.example.com'],
        ViewerCertificate: { AcmCertificateArn: customDomain.certificateArn, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' },
        PriceClass: 'PriceClass_All',
      }),
    });
    custom.template.hasOutput('CloudFrontUrl', { Value: 'https://flags.example.com' });
  });

  it('needs no acknowledgement of the viewer TLS rule any more', () => {
    expect(acknowledgments(stack).map(({ id }) => id)).toContain('AwsSolutions-CFR4');
    expect(acknowledgments(custom.stack).map(({ id }) => id)).not.toContain('AwsSolutions-CFR4');
  });

  it('refuses a certificate outside us-east-1, or something that is not a certificate', () => {
    const build = (props: Partial<VexillaEdgeProps>) => {
      const scratch = new Stack(new App({ builtinCloudFormationValidation: false }), 'Scratch');
      new VexillaEdge(scratch, 'Edge', { httpApi: new HttpApi(scratch, 'Api'), ...props });
      return Template.fromStack(scratch);
    };
    expect(() => build({ customDomain: { ...customDomain, certificateArn: customDomain.certificateArn.replace('us-east-1', 'eu-west-1') } })).toThrow(/us-east-1.*eu-west-1/);
    expect(() => build({ customDomain: { ...customDomain, certificateArn: 'not-an-arn' } })).toThrow(/not an ACM certificate ARN/);
    expect(() => build({ customDomain: { ...customDomain, domainName: 'https://flags.example.com' } })).toThrow(/not a domain name/);
    expect(() => build({ accessLogRetentionDays: 0 })).toThrow(/accessLogRetentionDays/);
    expect(() => build({ customDomain })).not.toThrow();
  });
});
