import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CfnStage,
  type CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { cors } from '../functions/http/cors.js';
import { type FunctionName, publicRoutes, type Route, routeKey, routes as routeTable } from '../functions/http/routes.js';

/** The part of a route table entry that API Gateway needs. */
export type ApiRoute = Pick<Route, 'method' | 'path' | 'operation' | 'function'>;

/** The stage's default route throttling when none is given: well under the default account quota (10,000 rps). */
export const defaultThrottle = { rateLimit: 1000, burstLimit: 2000 } as const satisfies ThrottleSettings;

/**
 * Route-level throttling by the function a route goes to, when none is given. HTTP API route
 * limits apply to each route on its own (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-throttling.html),
 * so a flood of management calls is throttled at the admin routes' limits and never uses up the
 * SDK routes'. All of them still share the account's regional quota (10,000 rps by default).
 */
export const defaultRouteThrottles = {
  'sdk-api': { rateLimit: 1000, burstLimit: 2000 },
  'admin-api': { rateLimit: 50, burstLimit: 100 },
  // Tenant admins' settings panels: people clicking, across every tenant of the customer.
  'tenant-api': { rateLimit: 100, burstLimit: 200 },
} as const satisfies Record<FunctionName, ThrottleSettings>;

/**
 * One JSON object per request. Every value is quoted: API Gateway writes `-` for a value it does
 * not have (an integration latency when the route was throttled), which would break unquoted JSON.
 */
export const accessLogFields = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTimeEpoch',
  method: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  userAgent: '$context.identity.userAgent',
} as const;

export interface VexillaHttpApiProps {
  /** The Lambda function behind each function name the routes use. */
  readonly functions: ReadonlyMap<string, IFunction>;
  /**
   * The routes, each created with its method and path exactly as declared, so the Lambda receives
   * `routeKey` and `pathParameters` to dispatch on.
   * @default - `routes` and `publicRoutes` from functions/http/routes.ts
   */
  readonly routes?: readonly ApiRoute[];
  /**
   * The stage's default route throttling (requests per second and burst), for any route without
   * limits of its own.
   * @default defaultThrottle: 1000 rps, burst 2000
   */
  readonly throttle?: ThrottleSettings;
  /**
   * Throttling of each route, by the function it goes to (each route has limits of its own).
   * @default defaultRouteThrottles: sdk-api 1000 rps (burst 2000), admin-api 50 rps (burst 100)
   */
  readonly routeThrottles?: Partial<Record<FunctionName, ThrottleSettings>>;
  /**
   * Origins browsers may call the API from. Keys travel in headers, never in cookies, so any
   * origin is safe by default; narrow it for an admin-only deployment.
   * @default - `cors.allowOrigins` from functions/http/cors.ts (any origin)
   */
  readonly corsAllowOrigins?: string[];
  /**
   * How long the access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly accessLogRetention?: RetentionDays;
  /**
   * Keep the access log group when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * The HTTP API: one API Gateway route per entry of the route table, each integrated with the
 * Lambda function the entry names, on a `$default` stage with throttling and JSON access logs.
 *
 * There is no API Gateway authorizer on purpose: the functions authenticate admin tokens and
 * environment keys themselves (hashed lookups in the table), driven by the same route table.
 */
export class VexillaHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  readonly routes: readonly HttpRoute[];

  constructor(scope: Construct, id: string, props: VexillaHttpApiProps) {
    super(scope, id);
    const declared = props.routes ?? [...routeTable, ...publicRoutes];
    const throttle = { ...defaultThrottle, ...props.throttle };
    const routeThrottles: Record<FunctionName, ThrottleSettings> = {
      'sdk-api': { ...defaultRouteThrottles['sdk-api'], ...props.routeThrottles?.['sdk-api'] },
      'admin-api': { ...defaultRouteThrottles['admin-api'], ...props.routeThrottles?.['admin-api'] },
      'tenant-api': { ...defaultRouteThrottles['tenant-api'], ...props.routeThrottles?.['tenant-api'] },
    };
    validate(declared, props.functions, { stage: throttle, ...routeThrottles });

    this.api = new HttpApi(this, 'Api', {
      // Named after its stack, so the console tells one deployment's API from another's.
      apiName: `${Stack.of(this).stackName}-${id}`,
      description: 'Vexilla: Flagsmith SDK API, OFREP and management API',
      // The stage is created below, with throttling and access logs, which HttpApi's own default stage cannot take.
      createDefaultStage: false,
      // The same CORS declaration as the local server's, so browsers see one behaviour in both.
      corsPreflight: {
        allowOrigins: props.corsAllowOrigins ?? [...cors.allowOrigins],
        allowMethods: cors.allowMethods.map((method) => method as CorsHttpMethod),
        allowHeaders: [...cors.allowHeaders],
        exposeHeaders: [...cors.exposeHeaders],
        maxAge: Duration.seconds(cors.maxAgeSeconds),
      },
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: (props.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });

    // One integration per function, and one Lambda permission for the whole API rather than one
    // per route: a function's resource policy is capped at 20 KB, which ~55 route-scoped
    // statements (this API's size already) would nearly fill.
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integrationOf = (name: FunctionName) => {
      let integration = integrations.get(name);
      if (!integration) {
        const fn = props.functions.get(name);
        if (!fn) throw new Error(`VexillaHttpApi: no function '${name}'.`);
        integration = new HttpLambdaIntegration(`${name}-integration`, fn, { scopePermissionToRoute: false });
        integrations.set(name, integration);
      }
      return integration;
    };

    const routesScope = new Construct(this, 'Routes');
    this.routes = declared.map(
      (route) =>
        new HttpRoute(routesScope, route.operation, {
          httpApi: this.api,
          routeKey: HttpRouteKey.with(route.path, HttpMethod[route.method]),
          integration: integrationOf(route.function),
        }),
    );
    // Route settings name routes by key, which must exist before the stage refers to them.
    const stageResource = this.stage.node.defaultChild as CfnStage;
    stageResource.routeSettings = Object.fromEntries(
      declared.map((route) => {
        const limits = routeThrottles[route.function];
        // RouteSettings is a JSON map in CDK: its keys are written as CloudFormation spells them.
        return [routeKey(route), { ThrottlingRateLimit: limits.rateLimit, ThrottlingBurstLimit: limits.burstLimit }];
      }),
    );
    for (const route of this.routes) stageResource.node.addDependency(route);

    const noAuthorizer =
      'No API Gateway authorizer by design: the Lambda functions authenticate every request themselves (hashed admin tokens for /admin/v1; environment client/server keys in the Flagsmith and OFREP header formats for /api/v1 and /ofrep/v1) and authorize it from the same route table. A Lambda authorizer would repeat that lookup in a second invocation on the SDK hot path. GET /admin/v1/openapi.json is public on purpose: it describes the API and holds no data.';
    Validations.of(routesScope).acknowledge({ id: 'AwsSolutions-APIG4', reason: noAuthorizer });
  }

  /** The URL of the `$default` stage, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/`. */
  get url(): string {
    return this.stage.url;
  }
}

function validate(routes: readonly ApiRoute[], functions: ReadonlyMap<string, IFunction>, throttles: Record<string, ThrottleSettings>): void {
  if (routes.length === 0) throw new Error('VexillaHttpApi: no routes to create.');
  const seen = new Set<string>();
  for (const route of routes) {
    const key = routeKey(route);
    if (seen.has(key)) throw new Error(`VexillaHttpApi: route ${key} is declared twice.`);
    seen.add(key);
    if (!functions.has(route.function)) throw new Error(`VexillaHttpApi: route ${key} names function '${route.function}', which was not built.`);
  }
  for (const [of, throttle] of Object.entries(throttles)) {
    for (const [name, value] of Object.entries(throttle)) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`VexillaHttpApi: ${of} throttle ${name} must be a positive number, got ${String(value)}.`);
    }
    // CloudFormation takes the burst as an integer (ThrottlingBurstLimit), the rate as a double.
    if (throttle.burstLimit !== undefined && !Number.isInteger(throttle.burstLimit)) throw new Error(`VexillaHttpApi: ${of} throttle burstLimit must be a whole number, got ${String(throttle.burstLimit)}.`);
  }
}
