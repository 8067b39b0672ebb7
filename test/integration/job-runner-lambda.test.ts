/**
 * The job-runner Lambda entry as AWS invokes it: an SQS message runs a job until shortly before
 * the function's timeout, then queues the job's next run; a `{"sweep": true}` event queues again
 * jobs whose run died. DynamoDB is DynamoDB Local (through the SDK's AWS_ENDPOINT_URL_DYNAMODB);
 * SQS, which has no local twin here, is mocked and its calls asserted exactly.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Environment, Project } from '../../functions/domain/entities.js';
import { startImport } from '../../functions/domain/use-cases/import-flagsmith.js';
import { HAND_BACK_MS, handler } from '../../functions/events/job-runner.js';
import { stubLambdaEnv } from '../support/lambda-env.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/vexilla-jobs';
const sqs = mockClient(SQSClient);
const contextWith = (remainingMs: number) => ({ functionName: 'job-runner', awsRequestId: 'req-1', getRemainingTimeInMillis: () => remainingMs }) as unknown as Context;
const message = (jobId: string, messageId = 'm-1'): SQSEvent => ({ Records: [{ messageId, body: JSON.stringify({ jobId }), eventSource: 'aws:sqs' }] }) as unknown as SQSEvent;

let api: TestApi;
let project: Project;
let environment: Environment;

beforeAll(async () => {
  api = await startTestApi();
  stubLambdaEnv(api.tableName, { JOB_QUEUE_URL: QUEUE_URL });
  const projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Lambda jobs' } })).body.id;
  const envId = (await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name: 'production' } })).body.environment.id;
  project = (await api.call('GET', `/admin/v1/projects/${projectId}`)).body;
  environment = (await api.call('GET', `/admin/v1/environments/${envId}`)).body;
}, 120_000);
beforeEach(() => {
  sqs.reset();
  sqs.on(SendMessageCommand).resolves({ MessageId: 'next' });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  sqs.restore();
  await api?.close();
});

const actor = () => ({ id: 'tok_lambda', name: 'lambda test', orgId: api.organisationId, roles: {} });
const document = (count: number) => ({
  api_key: 'LambdaKey',
  feature_states: Array.from({ length: count }, (_, i) => ({ feature: { id: i + 1, name: `l_${i}` }, enabled: true, feature_state_value: i })),
  project: { segments: [] },
});

describe('job-runner Lambda', () => {
  it('runs until shortly before its timeout, queues the next run, and a later run finishes the job', async () => {
    const started = await startImport({ ...api.deps, jobs: undefined }, actor(), environment, project, document(60));

    // Almost out of time: one batch, then the job is handed back and its next run queued.
    expect(await handler(message(started.id), contextWith(HAND_BACK_MS + 1))).toEqual({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([{ QueueUrl: QUEUE_URL, MessageBody: JSON.stringify({ jobId: started.id }) }]);
    const handedBack = (await api.call('GET', started.location)).body;
    expect(handedBack.status).toBe('queued');
    expect(handedBack.progress.done).toBeGreaterThan(0);
    expect(handedBack.progress.done).toBeLessThan(121);

    sqs.resetHistory();
    expect(await handler(message(started.id, 'm-2'), contextWith(300_000))).toEqual({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect((await api.call('GET', started.location)).body).toMatchObject({ status: 'succeeded', progress: { done: 121, total: 121 } });

    // The same message again (SQS delivers at least once): nothing to do.
    expect(await handler(message(started.id, 'm-3'), contextWith(300_000))).toEqual({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('reports a malformed message as a failed item, leaving the rest of the batch alone', async () => {
    const event = { Records: [{ messageId: 'bad', body: '{"nope":1}', eventSource: 'aws:sqs' }] } as unknown as SQSEvent;
    expect(await handler(event, contextWith(300_000))).toEqual({ batchItemFailures: [{ itemIdentifier: 'bad' }] });
  });

  it('on a sweep, queues again a job that was never run', async () => {
    const started = await startImport({ ...api.deps, jobs: undefined, clock: () => new Date(Date.now() - 3_600_000) }, actor(), environment, project, document(1));
    await handler({ sweep: true }, contextWith(300_000));
    expect(sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toContainEqual({ QueueUrl: QUEUE_URL, MessageBody: JSON.stringify({ jobId: started.id }) });
  });
});
