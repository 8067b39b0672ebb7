import { Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  type BehaviorOptions,
  CacheCookieBehavior,
  CachedMethods,
  CacheHeaderBehavior,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  type GeoRestriction,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestCookieBehavior,
  OriginRequestHeaderBehavior,
  OriginRequestPolicy,
  OriginRequestQueryStringBehavior,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  type ResponseHeadersPolicyProps,
  type ResponseSecurityHeadersBehavior,
  SecurityPolicyProtocol,
  SSLMethod,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { cors } from '../functions/http/cors.js';
import { apiPathPrefixes } from '../functions/http/routes.js';
import {
  type CachedRoute,
  cachedRoutes,
  ENVIRONMENT_KEY_HEADER,
  edgeCacheControl,
  edgeCaching,
  PREFLIGHT_HEADERS,
  viewerCacheControl,
  viewerVary,
} from '../functions/edge/cache-rules.js';
import { viewerRequestSource } from '../functions/edge/viewer-request.js';
import { accountUniqueName } from './names.js';

/**
 * What the edge caches, for whom and how long is declared once, in functions/edge/cache-rules.ts:
 * the sdk-api sends its headers, the local edge cache and the document-publisher follow it, and
 * the cache policies, the viewer-request function and the response headers here are built from
 * it, so none can drift apart.
 */
export { cachedRoutes, ENVIRONMENT_KEY_HEADER, edgeCacheControl, edgeCaching, PREFLIGHT_HEADERS, type CachedRoute };

/**
 * 4xx codes CloudFront caches by default (for 10 s, whatever the origin says:
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/HTTPStatusCodes.html).
 * None is kept here: a refusal must not outlive the reason for it (a key just created, a
 * document just allowed), and no caller should get another's refusal.
 */
export const UNCACHED_ERROR_CODES = [400, 403, 404, 405, 414, 416] as const;

/**
 * The TTL bounds of the cached behaviours. The origin's `Cache-Control: max-age` decides within
 * them; `defaultTtl` applies only if it sends none, and `maxTtl` caps what it may ask for.
 */
export const edgeTtls = {
  min: Duration.seconds(0),
  default: Duration.seconds(edgeCaching.maxAgeSeconds),
  max: Duration.seconds(60),
} as const;

/** Strict-Transport-Security max-age: two years, as hstspreload.org asks. */
const HSTS_MAX_AGE = Duration.days(730);

/** A domain name of the customer's own for the distribution. */
export interface CustomDomain {
  /** e.g. `flags.example.com`; point a CNAME (or Route 53 alias) at the `CloudFrontDomainName` output. */
  readonly domainName: string;
  /** An ACM certificate for `domainName`. CloudFront only accepts certificates in us-east-1. */
  readonly certificateArn: string;
}

export interface VexillaEdgeProps {
  /** The HTTP API behind the distribution. */
  readonly httpApi: IHttpApi;
  /**
   * Which edge locations serve the API (and what they cost).
   * @default PriceClass.PRICE_CLASS_100 (North America and Europe)
   */
  readonly priceClass?: PriceClass;
  /**
   * A domain name of your own, with its us-east-1 certificate. Viewers then need TLS 1.2 or later.
   * @default - the distribution's own `*.cloudfront.net` name
   */
  readonly customDomain?: CustomDomain;
  /**
   * An AWS WAF web ACL (WAFv2, CLOUDFRONT scope, so created in us-east-1) to attach.
   * @default - no web ACL
   */
  readonly webAclArn?: string;
  /**
   * Countries to allow or deny.
   * @default - no geographic restriction
   */
  readonly geoRestriction?: GeoRestriction;
  /**
   * Origins browsers may call the API from.
   * @default - `cors.allowOrigins` from functions/http/cors.ts (any origin)
   */
  readonly corsAllowOrigins?: string[];
  /**
   * Days to keep the CloudFront access logs.
   * @default 30
   */
  readonly accessLogRetentionDays?: number;
  /**
   * A header CloudFront adds to every request to the API, which the API functions check
   * (functions/http/origin-verify.ts): its value, as a CloudFormation dynamic reference to a
   * secret, never the secret itself.
   * @default - no header
   */
  readonly originVerifyHeader?: { readonly name: string; readonly value: string };
  /**
   * Write CloudFront access logs to an S3 bucket the stack keeps when it is deleted (a bucket
   * holding logs cannot be deleted). Off for a throwaway stage, which must leave nothing behind.
   * @default true
   */
  readonly accessLogs?: boolean;
  /**
   * Publish CloudFront's additional metrics (cache hit rate, origin latency, error rates by status),
   * which the dashboard shows. Billed as CloudWatch custom metrics.
   * @default true
   */
  readonly additionalMetrics?: boolean;
  /**
   * A website to serve as the default behaviour (the dashboard, lib/dashboard.ts); the APIs
   * (`/admin/*`, `/api/*`, `/ofrep/*`, `/tenant/*`) then get behaviours of their own.
   * @default - no website: the default behaviour is the API
   */
  readonly site?: BehaviorOptions;
  /** More of the website's paths with behaviours of their own (the dashboard's `/elements/*`). */
  readonly siteBehaviors?: Record<string, BehaviorOptions>;
}

/**
 * Path patterns of the APIs when a website holds the default behaviour (`/admin/*`, `/api/*`, `/tenant/*`,
 * `/ofrep/*`), from the route table, so a new API cannot be served the website by mistake.
 */
export const API_PATH_PATTERNS: readonly string[] = apiPathPrefixes.map((prefix) => `${prefix}*`);

/**
 * The security headers of every answer, with its Content-Security-Policy: the API's forbids
 * everything, the dashboard's (dashboard/csp.ts) allows its own origin only.
 */
export function securityHeaders(contentSecurityPolicy: string): ResponseSecurityHeadersBehavior {
  return {
    strictTransportSecurity: { accessControlMaxAge: HSTS_MAX_AGE, includeSubdomains: true, override: true },
    contentTypeOptions: { override: true },
    frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
    referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
    contentSecurityPolicy: { contentSecurityPolicy, override: true },
  };
}

/**
 * CloudFront in front of the HTTP API. Two behaviours cache the SDK answers every client polls
 * (`flags/` and `environment-document/`), keyed by the environment key and nothing else the
 * caller sends; a viewer-request function moves them under a hash of that key, so the
 * document-publisher invalidates one environment's answers exactly. Viewers are told not to
 * reuse them (`private, no-cache`, `Vary`). Everything else goes to API Gateway uncached with
 * every viewer header but Host. HTTPS only, security headers and CORS on every answer, access
 * logs to an S3 bucket. With a `site` (the dashboard), the site is the default behaviour and the
 * APIs' paths (`API_PATH_PATTERNS`) go to API Gateway as above.
 *
 * Staleness is the origin's to declare: the sdk-api sends `edgeCacheControl`
 * (`s-maxage`, `stale-while-revalidate`, `stale-if-error`), which CloudFront honours, so flags keep
 * serving from the edge while the origin is refreshed or failing. A key revoked and used within
 * one publish batch can keep reading cached flags for up to `s-maxage + stale-while-revalidate`
 * seconds; any other revoked key's answers are invalidated when its revocation is published.
 */
export class VexillaEdge extends Construct {
  readonly distribution: Distribution;
  /** The access log bucket, unless `accessLogs` is false. */
  readonly logBucket?: Bucket;
  readonly cachePolicies: { readonly flags: CachePolicy; readonly environmentDocument: CachePolicy };
  readonly responseHeadersPolicy: ResponseHeadersPolicy;
  /** The cached behaviours' response headers: the same, plus the viewer's Cache-Control and Vary. */
  readonly cachedResponseHeadersPolicy: ResponseHeadersPolicy;
  /** The viewer-request function that moves cached requests under a hash of their key. */
  readonly edgeKeyFunction: CloudFrontFunction;
  /** `https://` and the custom domain, or the distribution's own domain name. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: VexillaEdgeProps) {
    super(scope, id);
    validate(props);
    const stack = Stack.of(this);

    const origin = new HttpOrigin(`${props.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
      protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
      originSslProtocols: [OriginSslPolicy.TLS_V1_2],
      // CloudFront replaces a viewer header of the same name with its own value, so a viewer
      // cannot forge it (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html).
      ...(props.originVerifyHeader ? { customHeaders: { [props.originVerifyHeader.name]: props.originVerifyHeader.value } } : {}),
    });
    // Policy names are unique per account, across regions: one that says the stack (so the stage)
    // and the region lets every stage be deployed to any number of regions of one account.
    const policyName = (id: string) => accountUniqueName(this, id);

    const cachedBehaviour = (name: keyof typeof cachedRoutes) => {
      const route: CachedRoute = cachedRoutes[name];
      const queryStrings = route.queryStrings.length > 0 ? CacheQueryStringBehavior.allowList(...route.queryStrings) : CacheQueryStringBehavior.none();
      const cachePolicy = new CachePolicy(this, `${name}CachePolicy`, {
        comment: route.description,
        headerBehavior: CacheHeaderBehavior.allowList(ENVIRONMENT_KEY_HEADER),
        queryStringBehavior: queryStrings,
        cookieBehavior: CacheCookieBehavior.none(),
        minTtl: edgeTtls.min,
        defaultTtl: edgeTtls.default,
        maxTtl: edgeTtls.max,
        enableAcceptEncodingGzip: true,
        enableAcceptEncodingBrotli: true,
      });
      // Only what is in the cache key reaches the origin (plus the preflight headers, which no
      // GET answer depends on). Forwarding Authorization or X-API-Key here would let an answer
      // fetched with one key be served to a request that sent none.
      const originRequestPolicy = new OriginRequestPolicy(this, `${name}OriginRequestPolicy`, {
        originRequestPolicyName: policyName(`${name}-origin-request`),
        comment: `${route.description}: the cache key and CORS preflight headers only`,
        headerBehavior: OriginRequestHeaderBehavior.allowList(...PREFLIGHT_HEADERS),
        queryStringBehavior: route.queryStrings.length > 0 ? OriginRequestQueryStringBehavior.allowList(...route.queryStrings) : OriginRequestQueryStringBehavior.none(),
        cookieBehavior: OriginRequestCookieBehavior.none(),
      });
      return { cachePolicy, originRequestPolicy };
    };
    const flags = cachedBehaviour('flags');
    const environmentDocument = cachedBehaviour('environmentDocument');
    this.cachePolicies = { flags: flags.cachePolicy, environmentDocument: environmentDocument.cachePolicy };

    const allowOrigins = props.corsAllowOrigins ?? [...cors.allowOrigins];
    const everyAnswer: ResponseHeadersPolicyProps = {
      // The API serves JSON only: nothing it returns may load or run anything.
      securityHeadersBehavior: securityHeaders("default-src 'none'; frame-ancestors 'none'"),
      // The same declaration as API Gateway's CORS, written at the edge so cached answers carry
      // it whatever Origin the request that filled the cache sent.
      corsBehavior: {
        accessControlAllowOrigins: allowOrigins,
        accessControlAllowMethods: [...cors.allowMethods],
        accessControlAllowHeaders: [...cors.allowHeaders],
        accessControlExposeHeaders: [...cors.exposeHeaders],
        accessControlMaxAge: Duration.seconds(cors.maxAgeSeconds),
        accessControlAllowCredentials: false,
        originOverride: true,
      },
    };
    this.responseHeadersPolicy = new ResponseHeadersPolicy(this, 'ResponseHeaders', {
      responseHeadersPolicyName: policyName('response-headers'),
      comment: 'Vexilla: security headers and CORS (functions/http/cors.ts) on every answer',
      ...everyAnswer,
    });
    // Browsers and intermediaries never reuse a cached answer, nor one key's for another: the
    // viewer gets these in place of the origin's Cache-Control, which CloudFront alone obeys.
    this.cachedResponseHeadersPolicy = new ResponseHeadersPolicy(this, 'CachedResponseHeaders', {
      responseHeadersPolicyName: policyName('cached-response-headers'),
      comment: 'Vexilla: as ResponseHeaders, plus private, no-cache and Vary: X-Environment-Key for viewers',
      ...everyAnswer,
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Cache-Control', value: viewerCacheControl, override: true },
          { header: 'Vary', value: viewerVary, override: true },
        ],
      },
    });

    this.edgeKeyFunction = new CloudFrontFunction(this, 'EdgeKeyPath', {
      comment: 'Vexilla: cached SDK requests go under a hash of their X-Environment-Key, so each key is invalidated exactly',
      code: FunctionCode.fromInline(viewerRequestSource),
      runtime: FunctionRuntime.JS_2_0,
    });

    const accessLogs = props.accessLogs ?? true;
    this.logBucket = !accessLogs ? undefined : new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      // CloudFront standard logging writes with an ACL grant to its log-delivery account.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(props.accessLogRetentionDays ?? 30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      // Kept even by dev stacks: deleting a bucket that still holds logs fails the stack delete.
      // The lifecycle rule empties it.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const shared = {
      viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      responseHeadersPolicy: this.responseHeadersPolicy,
      compress: true,
    };
    const cached = {
      ...shared,
      responseHeadersPolicy: this.cachedResponseHeadersPolicy,
      origin,
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      cachedMethods: CachedMethods.CACHE_GET_HEAD,
      functionAssociations: [{ function: this.edgeKeyFunction, eventType: FunctionEventType.VIEWER_REQUEST }],
    };
    const api = {
      ...shared,
      origin,
      allowedMethods: AllowedMethods.ALLOW_ALL,
      cachePolicy: CachePolicy.CACHING_DISABLED,
      // API Gateway answers 403 to a Host header that is not its own.
      originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
    };
    const domain = props.customDomain;
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `Vexilla ${props.site ? 'dashboard and API' : 'API'} (${stack.stackName})`,
      defaultBehavior: props.site ?? api,
      // CloudFront matches path patterns in this order: the cached SDK paths before `/api/*`.
      additionalBehaviors: {
        [cachedRoutes.flags.pathPattern]: { ...cached, ...flags },
        [cachedRoutes.environmentDocument.pathPattern]: { ...cached, ...environmentDocument },
        ...(props.site ? Object.fromEntries(API_PATH_PATTERNS.map((pattern) => [pattern, api])) : {}),
        ...(props.site ? props.siteBehaviors : {}),
      },
      errorResponses: UNCACHED_ERROR_CODES.map((httpStatus) => ({ httpStatus, ttl: Duration.seconds(0) })),
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: props.priceClass ?? PriceClass.PRICE_CLASS_100,
      ...(domain
        ? {
            domainNames: [domain.domainName],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', domain.certificateArn),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
            sslSupportMethod: SSLMethod.SNI,
          }
        : {}),
      webAclId: props.webAclArn,
      geoRestriction: props.geoRestriction,
      ...(this.logBucket ? { enableLogging: true, logBucket: this.logBucket, logFilePrefix: 'cloudfront/', logIncludesCookies: false } : {}),
      publishAdditionalMetrics: props.additionalMetrics ?? true,
    });
    this.url = `https://${domain?.domainName ?? this.distribution.distributionDomainName}`;

    this.acknowledgeFindings(props);
  }

  private acknowledgeFindings(props: VexillaEdgeProps): void {
    if (this.logBucket) {
      Validations.of(this.logBucket).acknowledge({
        id: 'AwsSolutions-S1',
        reason:
          'This bucket only receives CloudFront access logs. Server access logs of a log bucket would log the log delivery itself, into yet another bucket; access to it is limited to the account, over TLS, with public access blocked.',
      });
    } else {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR3',
        reason:
          'A throwaway stage (retainData=false) must leave nothing behind when it is deleted, and a bucket that CloudFront has written logs to cannot be deleted by CloudFormation until it is emptied. Retained stages (the default) log every request to S3.',
      });
    }
    if (!props.customDomain) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          "Without a custom domain the distribution serves the default *.cloudfront.net certificate, whose security policy CloudFront fixes (TLSv1) and no template can raise. Pass `customDomain` (with a us-east-1 ACM certificate) and the distribution requires TLSv1.2_2021 with SNI, which this rule accepts.",
      });
    }
    if (!props.webAclArn) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'No WAF web ACL by default: a CloudFront web ACL must live in us-east-1 (this stack deploys to any region) and costs money at rest. API Gateway throttles every route, and the functions authenticate every request. Pass `webAclArn` to attach one (e.g. with AWS managed rules and a rate-based rule).',
      });
    }
    if (!props.geoRestriction) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR1',
        reason:
          "No geographic restriction by default: the SDK API serves the customer's own applications, wherever their users are; which countries to block is the customer's decision. Pass `geoRestriction` to allow or deny countries.",
      });
    }
  }
}

function validate(props: VexillaEdgeProps): void {
  const domain = props.customDomain;
  if (domain) {
    if (!Token.isUnresolved(domain.domainName) && !/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/i.test(domain.domainName)) {
      throw new Error(`VexillaEdge: customDomain.domainName '${domain.domainName}' is not a domain name.`);
    }
    if (!Token.isUnresolved(domain.certificateArn)) {
      const region = /^arn:aws[a-z-]*:acm:([a-z0-9-]+):\d{12}:certificate\/[\w-]+$/.exec(domain.certificateArn)?.[1];
      if (region === undefined) throw new Error(`VexillaEdge: customDomain.certificateArn '${domain.certificateArn}' is not an ACM certificate ARN.`);
      if (region !== 'us-east-1') {
        throw new Error(`VexillaEdge: CloudFront only uses ACM certificates from us-east-1; customDomain.certificateArn is in ${region}.`);
      }
    }
  }
  const acl = props.webAclArn;
  // A web ACL for CloudFront is a WAFv2 one of CLOUDFRONT scope, which lives in us-east-1 as `global`.
  if (acl !== undefined && !Token.isUnresolved(acl) && !/^arn:aws[a-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[\w-]{1,128}\/[0-9a-f-]{36}$/.test(acl)) {
    throw new Error(`VexillaEdge: webAclArn '${acl}' is not the ARN of a WAFv2 web ACL of CLOUDFRONT scope (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>).`);
  }
  const days = props.accessLogRetentionDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) throw new Error(`VexillaEdge: accessLogRetentionDays must be a positive whole number, got ${String(days)}.`);
}
