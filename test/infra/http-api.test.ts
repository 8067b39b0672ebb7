import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { cors } from '../../functions/http/cors.js';
import { type FunctionName, publicRoutes, routeKey, routes } from '../../functions/http/routes.js';
import { accessLogFields, type ApiRoute, defaultThrottle, VexillaHttpApi, type VexillaHttpApiProps } from '../../lib/http-api.js';
import { logicalIdOf, synthVexilla } from './synth.js';

// Synthesised once per file; nothing here looks at the functions' code, so no bundling.
const { stack, template } = synthVexilla(undefined, { bundle: false });
const api = stack.service.httpApi;
const apiRef = { Ref: logicalIdOf(api.api) };
const declared = [...routes, ...publicRoutes];
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);
const functionId = (name: FunctionName) => {
  const fn = stack.service.functions.functions.get(name);
  if (!fn) throw new Error(`no ${name} function`);
  return logicalIdOf(fn);
};

describe('the HTTP API routes', () => {
  it('has one route per entry of the route table, and no other', () => {
    const keys = ofType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties.RouteKey);
    expect(keys).toHaveLength(declared.length);
    expect(keys.sort()).toEqual(declared.map(routeKey).sort());
  });

  it.each(declared.map((route) => [routeKey(route), route.function] as const))('%s goes to %s through a Lambda proxy integration (payload 2.0)', (key, name) => {
    const route = ofType('AWS::ApiGatewayV2::Route').find(([, candidate]) => candidate.Properties.RouteKey === key)?.[1];
    expect(route?.Properties).toMatchObject({ ApiId: apiRef, AuthorizationType: 'NONE' });
    const integrationId = ((route?.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] })['Fn::Join'][1][1]).Ref;
    expect(resources[integrationId]?.Properties).toMatchObject({
      ApiId: apiRef,
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [functionId(name), 'Arn'] },
    });
  });

  it('lets API Gateway invoke each function once for the whole API, not once per route', () => {
    const names = [...new Set(declared.map((route) => route.function))];
    // (EventBridge rules hold the other Lambda permissions in the stack.)
    const permissions = ofType('AWS::Lambda::Permission').map(([, permission]) => permission.Properties).filter((permission) => permission.Principal === 'apigateway.amazonaws.com');
    expect(permissions).toHaveLength(names.length);
    for (const name of names) {
      const permission = permissions.find((candidate) => JSON.stringify(candidate.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [functionId(name), 'Arn'] }));
      expect(permission).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
      // arn:<partition>:execute-api:<region>:<account>:<this API>/*/*/*: any stage, method and path of this API only.
      const [, parts] = (permission?.SourceArn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
      expect(parts.slice(-2)).toEqual([apiRef, '/*/*/*']);
    }
  });
});

describe('the $default stage', () => {
  const stage = () => {
    const stages = ofType('AWS::ApiGatewayV2::Stage');
    expect(stages).toHaveLength(1);
    return stages[0]![1].Properties;
  };

  it('deploys automatically and throttles every route', () => {
    expect(stage()).toMatchObject({
      ApiId: apiRef,
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: defaultThrottle.rateLimit, ThrottlingBurstLimit: defaultThrottle.burstLimit },
    });
    expect(defaultThrottle).toEqual({ rateLimit: 1000, burstLimit: 2000 });
  });

  it('writes one JSON access log line per request to a log group kept for a month', () => {
    const settings = stage().AccessLogSettings as { DestinationArn: { 'Fn::GetAtt': [string, string] }; Format: string };
    expect(settings.DestinationArn).toEqual({ 'Fn::GetAtt': [logicalIdOf(api.accessLogs), 'Arn'] });
    expect(resources[logicalIdOf(api.accessLogs)]?.Properties).toMatchObject({ RetentionInDays: 30 });
    const format = JSON.parse(settings.Format) as Record<string, string>;
    expect(format).toEqual(accessLogFields);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      method: '$context.httpMethod',
      path: '$context.path',
      routeKey: '$context.routeKey',
      status: '$context.status',
      latency: '$context.responseLatency',
    });
  });
});

describe('CORS', () => {
  const corsConfiguration = () => ofType('AWS::ApiGatewayV2::Api')[0]![1].Properties.CorsConfiguration as Record<string, unknown>;

  it('is the declaration the local server uses too', () => {
    expect(corsConfiguration()).toEqual({
      AllowOrigins: [...cors.allowOrigins],
      AllowMethods: [...cors.allowMethods],
      AllowHeaders: [...cors.allowHeaders],
      ExposeHeaders: [...cors.exposeHeaders],
      MaxAge: cors.maxAgeSeconds,
    });
  });

  it('allows the methods and headers our clients send, and exposes the headers they read', () => {
    const lower = (values: unknown) => (values as string[]).map((value) => value.toLowerCase());
    const { AllowMethods, AllowHeaders, ExposeHeaders } = corsConfiguration();
    expect(AllowMethods).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']));
    expect(lower(AllowHeaders)).toEqual(
      expect.arrayContaining(['authorization', 'content-type', 'if-match', 'if-none-match', 'x-environment-key', 'x-api-key']),
    );
    // Retry-After is not CORS-safelisted: the OFREP web provider could not read it otherwise.
    expect(lower(ExposeHeaders)).toEqual(expect.arrayContaining(['etag', 'x-flagsmith-document-updated-at', 'link', 'retry-after']));
  });

  it('allows every header the Flagsmith JS client sends, or its preflight fails in browsers', () => {
    // Read from the installed client, so a client upgrade that adds a header fails here first.
    const require = createRequire(import.meta.url);
    const source = readFileSync(join(dirname(require.resolve('flagsmith')), 'src', 'flagsmith-core.ts'), 'utf8');
    const sent = [...source.matchAll(/options\.headers\['([^']+)'\]\s*=/g)].map((match) => match[1]!.toLowerCase());
    expect(sent).toContain('x-environment-key');
    const allowed = (corsConfiguration().AllowHeaders as string[]).map((header) => header.toLowerCase());
    expect(sent.filter((header) => !allowed.includes(header))).toEqual([]);
  });
});

describe('VexillaHttpApi props', () => {
  const build = (props: Partial<VexillaHttpApiProps> & { routes: ApiRoute[] }) => {
    const scratch = new Stack(new App({ builtinCloudFormationValidation: false }), 'Scratch');
    const fn = new LambdaFunction(scratch, 'Fn', { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('export const handler = async () => ({});') });
    new VexillaHttpApi(scratch, 'Http', { functions: new Map<FunctionName, LambdaFunction>([['admin-api', fn]]), ...props });
    return Template.fromStack(scratch);
  };
  const one: ApiRoute = { method: 'GET', path: '/admin/v1/organisations', operation: 'listOrganisations', function: 'admin-api' };

  it('takes its own throttling and log retention', () => {
    const scratch = build({ routes: [one], throttle: { rateLimit: 50, burstLimit: 100 } });
    scratch.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } });
  });

  it('refuses routes it cannot serve, and nonsense throttling, before synthesis', () => {
    expect(() => build({ routes: [] })).toThrow(/no routes/);
    expect(() => build({ routes: [one, { ...one, operation: 'again' }] })).toThrow(/declared twice/);
    expect(() => build({ routes: [{ ...one, function: 'sdk-api' }] })).toThrow(/'sdk-api', which was not built/);
    expect(() => build({ routes: [one], throttle: { rateLimit: 0 } })).toThrow(/rateLimit must be a positive number/);
  });
});
