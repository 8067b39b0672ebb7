/**
 * The apply-scheduled-change Lambda entry as EventBridge Scheduler invokes it: the input names
 * the scheduled change; it applies once, and a repeated invocation changes nothing.
 */
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stubLambdaEnv } from '../support/lambda-env.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const HOUR = 3_600_000;
let api: TestApi;

beforeAll(async () => {
  // The API lives two hours in the past, so a change it schedules "in an hour" is due by the Lambda's real clock.
  api = await startTestApi({ clock: () => new Date(Date.now() - 2 * HOUR) });
  stubLambdaEnv(api.tableName);
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await api?.close();
});

const context = { functionName: 'apply-scheduled-change', awsRequestId: 'req-1', invokedFunctionArn: 'arn:aws:lambda:us-east-1:0:function:apply', memoryLimitInMB: '256', functionVersion: '$LATEST', getRemainingTimeInMillis: () => 10_000 } as unknown as Context;

describe('apply-scheduled-change handler', () => {
  it('applies the scheduled change named by its input, once', async () => {
    const projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'P' } })).body.id;
    const envId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'E' } })).body.environment.id;
    await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'banner', initialValue: 'hello' } });
    const runAt = new Date(Date.now() - HOUR).toISOString();
    const scheduled = await api.call('POST', `/admin/v1/environments/${envId}/scheduled-changes`, { body: { runAt, changes: [{ featureName: 'banner', value: 'scheduled' }] } });
    expect(scheduled.status).toBe(201);
    const { handler } = await import('../../functions/events/apply-scheduled-change.js');

    const first = await handler({ envId, scheduledChangeId: scheduled.body.id }, context);
    const second = await handler({ envId, scheduledChangeId: scheduled.body.id }, context);

    expect(first).toEqual({ outcome: 'applied' });
    expect(second).toEqual({ outcome: 'skipped', reason: 'already applied' });
    expect((await api.call('GET', `/admin/v1/environments/${envId}/feature-states/banner`)).body).toMatchObject({ value: 'scheduled', version: 1 });
  });

  it('refuses an input that names no scheduled change', async () => {
    const { handler } = await import('../../functions/events/apply-scheduled-change.js');

    await expect(handler({ envId: 'env_1' }, context)).rejects.toThrow();
  });
});
