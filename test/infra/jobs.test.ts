import { describe, expect, it } from 'vitest';
import { allFunctionNames, functionSettings, IDENTITY_RETENTION_READERS } from '../../lib/functions.js';
import { jobSettings } from '../../lib/jobs.js';
import { MAX_RECEIVE_COUNT } from '../../lib/queues.js';
import { logicalIdOf, synthVexilla } from './synth.js';

// Synthesised once per file; nothing here looks at the functions' code, so no bundling.
const { stack, template } = synthVexilla(undefined, { bundle: false });
const { jobs, functions } = stack.service;
type Construct = Parameters<typeof logicalIdOf>[0];
const ref = (construct: Construct) => ({ Ref: logicalIdOf(construct) });
const arnOf = (construct: Construct, attribute = 'Arn') => ({ 'Fn::GetAtt': [logicalIdOf(construct), attribute] });
const resource = (construct: Construct) => template.toJSON().Resources[logicalIdOf(construct)] as { Properties: Record<string, unknown> };

describe('background jobs (imports, purges)', () => {
  it('run on the job-runner from their queue, one job per invocation, two at most at once, failures per message', () => {
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: ref(functions.get('job-runner')) } })).map((m) => m.Properties);
    expect(mappings).toEqual([
      expect.objectContaining({ EventSourceArn: arnOf(jobs.queue), BatchSize: 1, ScalingConfig: { MaximumConcurrency: jobSettings.runs.maxConcurrency }, FunctionResponseTypes: ['ReportBatchItemFailures'] }),
    ]);
  });

  it('keep a run hidden for six times the runner timeout (five minutes), and dead-letter a run that keeps failing', () => {
    expect(functionSettings['job-runner'].timeoutSeconds).toBe(300);
    const properties = resource(jobs.queue).Properties;
    expect(properties.VisibilityTimeout).toBe(6 * 300);
    expect(properties.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(jobs.deadLetterQueue), maxReceiveCount: MAX_RECEIVE_COUNT });
  });

  it('are swept every five minutes: the runner queues again jobs whose run died', () => {
    expect(resource(jobs.sweep).Properties).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [{ Arn: arnOf(functions.get('job-runner')), Input: JSON.stringify({ sweep: true }), RetryPolicy: { MaximumRetryAttempts: 2 } }],
    });
  });
});

describe('identity retention', () => {
  const variables = (built: ReturnType<typeof synthVexilla>, name: Parameters<typeof functions.get>[0]) =>
    (built.template.toJSON().Resources[logicalIdOf(built.stack.service.functions.get(name))].Properties.Environment.Variables as Record<string, unknown>).IDENTITY_IDLE_DAYS;

  it('is configurable, and reaches exactly the functions that handle identities', () => {
    const configured = synthVexilla({ identityIdleDays: 30 }, { bundle: false });
    for (const name of allFunctionNames()) expect(variables(configured, name), name).toBe(IDENTITY_RETENTION_READERS.includes(name) ? '30' : undefined);
    // By default the code's own default applies (90 days).
    for (const name of allFunctionNames()) expect(variables({ stack, template } as ReturnType<typeof synthVexilla>, name)).toBeUndefined();
    expect(() => synthVexilla({ identityIdleDays: -1 }, { bundle: false })).toThrow('identityIdleDays');
  });
});
