import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, BOOTSTRAP_QUALIFIER_CONTEXT, DefaultStackSynthesizer, DockerImage, Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  type BehaviorOptions,
  CachePolicy,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  ResponseHeadersPolicy,
  S3OriginAccessControl,
  Signing,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, CacheControl, type ISource, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { dashboardCsp } from '../dashboard/csp.js';
import { buildTenantSettingsElementSync, ELEMENT_FILE, ELEMENTS_PATH } from '../elements/build.js';
import { pageRoutingSource } from '../dashboard/page-routing.js';
import { securityHeaders } from './edge.js';
import { accountUniqueName } from './names.js';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const DASHBOARD_DIR = join(REPO_ROOT, 'dashboard');
const BUILT_DIR = join(REPO_ROOT, 'dist/dashboard');
/** What the build reads besides dashboard/: the engine (the segment "try it" panel) and the locked packages. */
const BUILD_INPUTS = [DASHBOARD_DIR, join(REPO_ROOT, 'functions/engine'), join(REPO_ROOT, 'package-lock.json')];

export interface VexillaDashboardProps {
  /**
   * The dashboard's files.
   * @default - built from dashboard/ at synth time (`vite build`, the same as `npm run build`;
   *   an up-to-date dist/dashboard is reused), so `cdk synth` on a clean clone deploys it
   */
  readonly assets?: ISource;
}

/** Where the distribution serves the embeddable elements (`<vexilla-tenant-settings>`), the local stack too. */
export const ELEMENTS_PATH_PATTERN = `${ELEMENTS_PATH}*`;
/**
 * The element's URL never changes (customers write it into their pages), so it is cached briefly:
 * a deployment reaches every page within five minutes, with no invalidation.
 */
export const ELEMENT_CACHE_CONTROL = 'public, max-age=300';

/**
 * The web dashboard, served by CloudFront as the distribution's default behaviour, same-origin
 * with the API: a private, encrypted, TLS-only S3 bucket read only through origin access
 * control, a strict Content-Security-Policy on every file, and a CloudFront Function that answers
 * page paths with index.html (dashboard/page-routing.ts), so deep links load the single-page app
 * without turning the APIs' own 403s and 404s into pages.
 */
export class VexillaDashboard extends Construct {
  readonly bucket: Bucket;
  readonly originAccessControl: S3OriginAccessControl;
  readonly responseHeadersPolicy: ResponseHeadersPolicy;
  readonly pageRouting: CloudFrontFunction;
  /** The distribution's default behaviour (give it to `VexillaEdge` as `site`). */
  readonly behavior: BehaviorOptions;
  /**
   * The embeddable elements at `/elements/*` (give them to `VexillaEdge` as `siteBehaviors`):
   * the same bucket, readable by any origin (CORS `*`, no credentials: a public script that
   * holds no data, loaded as a module script from the customer's own pages).
   */
  readonly elementsBehavior: BehaviorOptions;
  private readonly signInOrigins: string[] = [];

  constructor(scope: Construct, id: string, props: VexillaDashboardProps = {}) {
    super(scope, id);
    // Deleted with the stack, files and all, whatever retainData says: it holds only what the
    // next deploy uploads again.
    this.bucket = new Bucket(this, 'Files', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });
    const originAccessControl = (this.originAccessControl = new S3OriginAccessControl(this, 'OriginAccess', {
      originAccessControlName: accountUniqueName(this, 'dashboard', 64),
      description: 'Vexilla dashboard: CloudFront signs its reads of the dashboard bucket',
      signing: Signing.SIGV4_ALWAYS,
    }));
    this.responseHeadersPolicy = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      responseHeadersPolicyName: accountUniqueName(this, 'dashboard-headers'),
      comment: 'Vexilla dashboard: strict CSP (dashboard/csp.ts) and security headers',
      // Resolved at synth, once the identity provider's origins are known (allowSignInFrom).
      securityHeadersBehavior: securityHeaders(Lazy.string({ produce: () => dashboardCsp(this.signInOrigins, { literal: this.signInOrigins.every((origin) => !Token.isUnresolved(origin)) }) })),
    });
    this.pageRouting = new CloudFrontFunction(this, 'PageRouting', {
      comment: 'Vexilla dashboard: page paths answer index.html (the SPA routes in the browser)',
      runtime: FunctionRuntime.JS_2_0,
      code: FunctionCode.fromInline(pageRoutingSource),
    });
    this.behavior = {
      origin: S3BucketOrigin.withOriginAccessControl(this.bucket, { originAccessControl }),
      viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
      // Asset names carry a content hash and are sent `immutable`. index.html is sent `no-cache`,
      // which this policy's minimum TTL of 1 s caps at one second at the edge ("If your minimum
      // TTL is greater than 0, CloudFront will cache content for at least the duration specified
      // in the cache policy's minimum TTL, even if the Cache-Control: no-cache ... directives are
      // present": docs.aws.amazon.com/cloudfront/latest/APIReference/API_CachePolicyConfig.html),
      // so a deployment needs no invalidation.
      cachePolicy: CachePolicy.CACHING_OPTIMIZED,
      responseHeadersPolicy: this.responseHeadersPolicy,
      compress: true,
      functionAssociations: [{ function: this.pageRouting, eventType: FunctionEventType.VIEWER_REQUEST }],
    };

    const elementsHeaders = new ResponseHeadersPolicy(this, 'ElementsHeaders', {
      responseHeadersPolicyName: accountUniqueName(this, 'elements-headers'),
      comment: 'Vexilla elements: readable by module scripts on any origin, security headers',
      securityHeadersBehavior: securityHeaders("default-src 'none'; frame-ancestors 'none'"),
      corsBehavior: {
        accessControlAllowOrigins: ['*'],
        accessControlAllowMethods: ['GET', 'HEAD'],
        accessControlAllowHeaders: ['*'],
        accessControlAllowCredentials: false,
        originOverride: true,
      },
    });
    this.elementsBehavior = {
      origin: this.behavior.origin,
      viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
      cachePolicy: CachePolicy.CACHING_OPTIMIZED,
      responseHeadersPolicy: elementsHeaders,
      compress: true,
    };

    // The files: hashed assets cached for a year, index.html revalidated every time. Old assets
    // stay (no pruning), so a page loaded before a deployment keeps working.
    const files = props.assets ?? builtDashboard();
    const assets = new BucketDeployment(this, 'DeployAssets', {
      sources: [files],
      destinationBucket: this.bucket,
      exclude: ['index.html'],
      cacheControl: [CacheControl.fromString('public, max-age=31536000, immutable')],
      prune: false,
      memoryLimit: 512,
    });
    const page = new BucketDeployment(this, 'DeployPage', {
      sources: [files],
      destinationBucket: this.bucket,
      exclude: ['*'],
      include: ['index.html'],
      cacheControl: [CacheControl.noCache()],
      prune: false,
      memoryLimit: 512,
    });
    // The page only after the assets it names are in place.
    page.node.addDependency(assets);
    // The elements, built at synth (esbuild, a few KB), under elements/ of the same bucket.
    new BucketDeployment(this, 'DeployElements', {
      sources: [Source.data(ELEMENT_FILE, buildTenantSettingsElementSync())],
      destinationBucket: this.bucket,
      destinationKeyPrefix: ELEMENTS_PATH.slice(1),
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: [CacheControl.fromString(ELEMENT_CACHE_CONTROL)],
      prune: false,
      memoryLimit: 512,
    });
    this.acknowledgeFindings();
  }

  /**
   * Lets the dashboard fetch from the identity provider: `origins` (`https://host`, CDK tokens
   * allowed) join the CSP's connect-src, and nothing broader.
   */
  allowSignInFrom(origins: readonly string[]): void {
    this.signInOrigins.push(...origins);
  }

  private acknowledgeFindings(): void {
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'The bucket holds only the built dashboard, read only by CloudFront through origin access control; the distribution access logs (unless retainData is false) record every read of it.',
    });
    // CDK's BucketDeployment provider (one function for the stack): an AWS-maintained custom
    // resource that runs once per deployment.
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket);
    const copies = "CDK's deployment custom resource copies the dashboard from the CDK asset bucket into the dashboard bucket: object-level actions on those two buckets only";
    // The provider is one function per stack, at the stack's root, named by CDK.
    const provider = Stack.of(this).node.children.find((child) => child.node.id.startsWith('Custom::CDKBucketDeployment'));
    if (!provider) return;
    Validations.of(provider).acknowledge(
      { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason: "CDK's deployment custom resource uses the AWSLambdaBasicExecutionRole managed policy for its own logs." },
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*'].map((action) => ({ id: `AwsSolutions-IAM5[Action::${action}]`, reason: copies })),
      { id: `AwsSolutions-IAM5[Resource::${cdkAssetObjects(Stack.of(this))}]`, reason: copies },
      { id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`, reason: copies },
      { id: 'AwsSolutions-L1', reason: "CDK's deployment custom resource pins its own runtime; it runs only while CloudFormation deploys the dashboard." },
      { id: 'Serverless-LambdaDLQ', reason: 'A deployment custom resource is invoked synchronously by CloudFormation, which reports its failure and rolls back.' },
      { id: 'Serverless-LambdaTracing', reason: 'A deployment-time custom resource run by CloudFormation; its own logs and the stack events say what it did.' },
      { id: 'Serverless-LambdaLatestVersion', reason: "CDK's deployment custom resource pins its own runtime; it runs only while CloudFormation deploys the dashboard." },
    );
  }
}

/** The CDK asset bucket's objects, as cdk-nag writes them (pseudo parameters when the stack's environment is not fixed). */
function cdkAssetObjects(stack: Stack): string {
  const literal = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<${pseudo}>` : value);
  const qualifier = (stack.node.tryGetContext(BOOTSTRAP_QUALIFIER_CONTEXT) as string | undefined) ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
  return `arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-${literal(stack.account, 'AWS::AccountId')}-${literal(stack.region, 'AWS::Region')}/*`;
}

/** The newest modification time under a file or folder (node_modules and dotfiles skipped). */
function newest(path: string): number {
  if (!existsSync(path)) return 0;
  const info = statSync(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs;
  for (const entry of readdirSync(path)) if (entry !== 'node_modules' && !entry.startsWith('.')) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/**
 * The dashboard as a CDK asset, built by local bundling (no Docker): an up-to-date
 * dist/dashboard (`npm run build`) is copied, otherwise `vite build` writes straight into the
 * asset folder. The asset hash is of the output, so an unchanged dashboard redeploys nothing.
 */
function builtDashboard(): ISource {
  return Source.asset(DASHBOARD_DIR, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Required by the API; never used: local bundling either succeeds or throws.
      image: DockerImage.fromRegistry('node:22-slim'),
      local: {
        tryBundle(outputDir: string): boolean {
          const index = join(BUILT_DIR, 'index.html');
          if (existsSync(index) && statSync(index).mtimeMs >= Math.max(...BUILD_INPUTS.map(newest))) {
            cpSync(BUILT_DIR, outputDir, { recursive: true, filter: (source) => !source.includes(`${BUILT_DIR}/.vite`) });
            return true;
          }
          try {
            execFileSync(process.execPath, [join(REPO_ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'dashboard/vite.config.ts', '--outDir', outputDir, '--emptyOutDir', '--logLevel', 'warn'], {
              cwd: REPO_ROOT,
              // What ships, whatever NODE_ENV the caller has (a test runner sets `test`).
              env: { ...process.env, NODE_ENV: 'production' },
              stdio: ['ignore', 'inherit', 'inherit'],
            });
          } catch (error) {
            throw new Error(`Building the dashboard for deployment failed (run \`npm ci\`, then \`npm run build\` to see why): ${(error as Error).message}`);
          }
          rmSync(join(outputDir, '.vite'), { recursive: true, force: true });
          return true;
        },
      },
    },
  });
}
