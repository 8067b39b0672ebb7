/**
 * The admin-api Lambda: the management API under /admin/v1. API Gateway matches the route and
 * passes its key; this dispatches by that key to a thin handler, after authentication,
 * authorization and validation, all driven by the route table.
 */
import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { Invalid, NotFound } from '../domain/errors.js';
import type { RolloutStepTarget } from '../domain/ports.js';
import { pathParameterProblems } from '../domain/schemas.js';
import { publicSignInConfig, type SignInConfig, signInConfigSchema } from '../domain/sign-in.js';
import type { Deps } from '../domain/use-cases/support.js';
import { DynamoStore } from '../data/dynamo-store.js';
import { CloudWatchAlarms } from '../events/cloudwatch-alarms.js';
import { EventBridgeScheduler } from '../events/eventbridge-scheduler.js';
import { CognitoDirectory } from '../shared/cognito-directory.js';
import { SqsJobQueue } from '../events/sqs-job-queue.js';
import { documentClient } from '../shared/dynamodb.js';
import { identityIdleSecondsFromEnv, requiredEnv } from '../shared/env.js';
import { logger } from '../shared/logger.js';
import { authenticate, authorize, pathRef, resolve } from './authorize.js';
import { originVerify } from './origin-verify.js';
import { errorResponse, json } from './errors.js';
import { handlers, selfHandlers } from './handlers/index.js';
import { openApiDocument } from './openapi.js';
import { headersOf, parseBody, parseQuery, rawBody } from './request.js';
import { publicRoutes, routeKey, routes } from './routes.js';
import { createSignInVerifier, type SignInVerifier, type VerifierOptions } from './sign-in-verifier.js';

export type HttpHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface AdminApiOptions {
  /** The identity provider people sign in with; without it, only admin tokens are accepted. */
  signIn?: SignInConfig | undefined;
  /** JWKS caching and timeouts of the token verifier. */
  verifier?: VerifierOptions | undefined;
}

export function createAdminApi(deps: Deps, options: AdminApiOptions = {}): HttpHandler {
  const byKey = new Map(routes.filter((route) => route.function === 'admin-api').map((route) => [routeKey(route), route]));
  const [openApiKey, signInConfigKey] = publicRoutes.map(routeKey);
  const verify: SignInVerifier | undefined = options.signIn ? createSignInVerifier(options.signIn, options.verifier) : undefined;
  const signInConfig = publicSignInConfig(options.signIn);

  return async (event) => {
    const requestId = event.requestContext?.requestId ?? randomUUID();
    try {
      if (event.routeKey === openApiKey) return json(200, openApiDocument());
      if (event.routeKey === signInConfigKey) return json(200, signInConfig, { 'cache-control': 'public, max-age=300' });
      const route = byKey.get(event.routeKey);
      if (!route || route.access.credential !== 'admin-token') throw new NotFound('No such route.');
      const { action } = route.access;
      const handler = action === 'self' ? undefined : handlers[route.operation];
      const selfHandler = action === 'self' ? selfHandlers[route.operation] : undefined;
      if (!handler && !selfHandler) throw new NotFound('No such route.');
      const headers = headersOf(event);
      const params = event.pathParameters ?? {};
      const { caller, prefetched } = await authenticate(deps, verify, headers, action === 'self' ? undefined : pathRef(params));
      const problems = pathParameterProblems(params);
      if (problems.length) throw new Invalid('The path is not valid.', problems);
      let result;
      if (action === 'self' && selfHandler) {
        result = await selfHandler({ deps, caller, query: route.query ? parseQuery(event, route.query) : undefined });
      } else if (action !== 'self' && handler) {
        const { resolved, actor } = await resolve(deps, caller, params as Record<string, string>, prefetched);
        authorize(actor, resolved, action);
        const body = route.body ? parseBody(event, route.body, route.maxBodyBytes) : rawBody(event) && undefined;
        const query = route.query ? parseQuery(event, route.query) : undefined;
        result = await handler({ deps, actor, resolved, params: params as Record<string, string>, headers, body, query });
      } else throw new NotFound('No such route.');
      const status = route.status === 204 || result.body === undefined ? 204 : (result.status ?? route.status ?? 200);
      if (result.raw) return { statusCode: status, headers: { 'content-type': 'application/json', ...result.headers }, body: String(result.body) };
      return json(status, status === 204 ? undefined : result.body, result.headers);
    } catch (error) {
      return errorResponse(error, requestId, (cause) => logger.error('Unhandled error', { requestId, error: cause as Error }));
    }
  };
}

let instance: HttpHandler | undefined;

/**
 * Scheduled changes use EventBridge Scheduler where the stack configures it (SCHEDULE_GROUP_NAME
 * and the rest); without it, creating a scheduled change answers "scheduling is not configured".
 */
function eventBridgeScheduler(): EventBridgeScheduler | undefined {
  if (!process.env.SCHEDULE_GROUP_NAME) return undefined;
  return new EventBridgeScheduler(new SchedulerClient({}), {
    groupName: requiredEnv('SCHEDULE_GROUP_NAME'),
    roleArn: requiredEnv('SCHEDULER_ROLE_ARN'),
    targetArn: requiredEnv('APPLY_SCHEDULED_CHANGE_ARN'),
    deadLetterArn: requiredEnv('SCHEDULER_DLQ_ARN'),
  });
}

/**
 * Rollouts where the stack configures them (ROLLOUT_RUNNER_ARN and the scheduler's settings):
 * their steps' schedules invoke the rollout-runner, and their guard alarms are read from
 * CloudWatch, limited to GUARD_ALARM_ARNS (what the function's role may describe).
 */
function rolloutDeps(): Pick<Deps, 'rolloutScheduler' | 'alarms' | 'guardAlarmArns'> {
  if (!process.env.ROLLOUT_RUNNER_ARN || !process.env.SCHEDULE_GROUP_NAME) return {};
  return {
    rolloutScheduler: new EventBridgeScheduler<RolloutStepTarget>(new SchedulerClient({}), {
      groupName: requiredEnv('SCHEDULE_GROUP_NAME'),
      roleArn: requiredEnv('SCHEDULER_ROLE_ARN'),
      targetArn: requiredEnv('ROLLOUT_RUNNER_ARN'),
      deadLetterArn: requiredEnv('SCHEDULER_DLQ_ARN'),
    }),
    alarms: new CloudWatchAlarms(new CloudWatchClient({})),
    guardAlarmArns: requiredEnv('GUARD_ALARM_ARNS').split(',').filter(Boolean),
  };
}

/**
 * The identity provider, from SIGN_IN_CONFIG (JSON, set by the stack: its Cognito pool's, or the
 * customer's own issuer); invitations create Cognito accounts where COGNITO_USER_POOL_ID is set.
 */
function signInFromEnvironment(): SignInConfig | undefined {
  const text = process.env.SIGN_IN_CONFIG;
  return text ? signInConfigSchema.parse(JSON.parse(text)) : undefined;
}

function cognitoDirectory(): CognitoDirectory | undefined {
  const userPoolId = process.env.COGNITO_USER_POOL_ID;
  return userPoolId ? new CognitoDirectory(new CognitoIdentityProviderClient({}), userPoolId) : undefined;
}

/** The Lambda entry: dependencies are created once per process, on first use. */
export const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
  .use(injectLambdaContext(logger))
  .use(originVerify())
  .handler(async (event) => {
    instance ??= createAdminApi(
      {
        store: new DynamoStore(documentClient(), requiredEnv('TABLE_NAME')),
        clock: () => new Date(),
        scheduler: eventBridgeScheduler(),
        ...rolloutDeps(),
        directory: cognitoDirectory(),
        identityIdleSeconds: identityIdleSecondsFromEnv(),
        // Imports and purges run on the job-runner function, through its queue.
        jobs: new SqsJobQueue(new SQSClient({}), requiredEnv('JOB_QUEUE_URL')),
      },
      { signIn: signInFromEnvironment() },
    );
    return instance(event);
  });
