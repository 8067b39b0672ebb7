import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { logicalIdOf, synthVexilla } from './synth.js';

// Issue 13 item 3: a stage can be destroyed and deployed again; retainData=false leaves nothing
// behind, retainData=true keeps the data (and nothing that would collide on the next create).
const kept = synthVexilla({ backup: true }, { bundle: false });
const throwaway = synthVexilla({ retainData: false }, { bundle: false });
const adopted = synthVexilla(
  { existingTable: { tableName: 'Vexilla-prod-DataTableFDBAD0F2-1A2B3C4D5E6F', tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/Vexilla-prod-DataTableFDBAD0F2-1A2B3C4D5E6F/stream/2025-11-30T10:00:00.000' } },
  { bundle: false },
);

type Resource = { Type: string; DeletionPolicy?: string; UpdateReplacePolicy?: string; Properties?: Record<string, unknown> };
const resourcesOf = (template: typeof kept.template) => Object.entries(template.toJSON().Resources as Record<string, Resource>);
/** What CloudFormation leaves in the account when the stack is deleted. */
const leftBehind = (template: typeof kept.template) => resourcesOf(template).filter(([, resource]) => resource.DeletionPolicy === 'Retain' || resource.DeletionPolicy === 'Snapshot');

describe('retainData=false (a throwaway stage)', () => {
  it('leaves nothing behind when the stack is deleted', () => {
    expect(leftBehind(throwaway.template).map(([id, resource]) => `${resource.Type} ${id}`)).toEqual([]);
  });

  it('lets the table be deleted, and writes no access logs to a bucket it could not delete', () => {
    throwaway.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', { Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })] });
    // The only bucket is the dashboard's, emptied and deleted with the stack.
    expect(Object.keys(throwaway.template.findResources('AWS::S3::Bucket'))).toEqual([logicalIdOf(throwaway.stack.service.dashboard.bucket)]);
    throwaway.template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    throwaway.template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
    expect(throwaway.template.findResources('AWS::CloudFront::Distribution')).not.toEqual({});
    expect(JSON.stringify(throwaway.template.findResources('AWS::CloudFront::Distribution'))).not.toContain('"Logging"');
  });

  it('schedules its KMS key for deletion after the shortest wait', () => {
    throwaway.template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ PendingWindowInDays: 7 }) });
  });

  it('has no termination protection', () => {
    expect(throwaway.stack.terminationProtection).toBe(false);
  });
});

describe('retainData=true (the default)', () => {
  const retainedTypes = () => leftBehind(kept.template).map(([, resource]) => resource.Type);

  it('keeps the table, the event archive, every dead-letter queue, the logs, the alarm key, the access log bucket, the backup vault and the user pool of the people who sign in', () => {
    const { functions, events, scheduler, jobs } = kept.stack.service;
    const deadLetterQueues = [...functions.deadLetterQueues.values(), ...events.deadLetterQueues.values(), scheduler.deadLetterQueue, jobs.deadLetterQueue];
    const expectedRetained = [kept.stack.table.table, events.archive, ...deadLetterQueues, kept.stack.service.edge.logBucket!, kept.stack.service.identity.userPool!].map((construct) => logicalIdOf(construct));
    expect(kept.template.findResources('AWS::Backup::BackupVault', { DeletionPolicy: 'Retain' })).not.toEqual({});
    const retained = leftBehind(kept.template).map(([id]) => id);
    expect(retained).toEqual(expect.arrayContaining(expectedRetained));
    expect(new Set(retainedTypes())).toEqual(new Set(['AWS::DynamoDB::GlobalTable', 'AWS::Events::Archive', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup', 'AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::Backup::BackupVault', 'AWS::Cognito::UserPool']));
  });

  it('deletes the work queues (in-flight work, re-created by the next deploy), but keeps what failed', () => {
    const { events } = kept.stack.service;
    for (const queue of [...events.workQueues.values(), kept.stack.service.jobs.queue]) expect(kept.template.toJSON().Resources[logicalIdOf(queue)]).toMatchObject({ DeletionPolicy: 'Delete' });
  });

  it('gives nothing it keeps a fixed name, so the next deploy of the stage creates its own beside them', () => {
    for (const [id, resource] of leftBehind(kept.template)) {
      // A name is either absent (CloudFormation generates one per create) or made with the
      // stack's id, which is new for every stack CloudFormation creates.
      const named = Object.entries(resource.Properties ?? {}).filter(([key]) => /Name$/.test(key) && key !== 'AttributeName');
      for (const [key, value] of named) expect(JSON.stringify(value), `${id} ${key}`).toContain('AWS::StackId');
    }
  });

  it('deletes the schedule group with the stack whatever retainData says, so no schedule fires at a deleted function', () => {
    kept.template.hasResource('AWS::Scheduler::ScheduleGroup', { DeletionPolicy: 'Delete' });
  });

  it('turns termination protection on', () => {
    expect(kept.stack.terminationProtection).toBe(true);
    const artifact = kept.app.synth().getStackByName(kept.stack.stackName);
    expect(artifact.terminationProtection).toBe(true);
  });
});

describe('adopting the table a deleted stage kept (-c tableName= -c tableStreamArn=)', () => {
  it('creates no table, and points the functions, the stream publisher and the outputs at the kept one', () => {
    adopted.template.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    adopted.template.resourceCountIs('AWS::DynamoDB::Table', 0);
    const tableName = 'Vexilla-prod-DataTableFDBAD0F2-1A2B3C4D5E6F';
    adopted.template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ TABLE_NAME: tableName }) } });
    adopted.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { EventSourceArn: Match.stringLikeRegexp(`table/${tableName}/stream/`) });
    adopted.template.hasOutput('TableName', { Value: tableName });
  });

  it('refuses a stream ARN of another table, or only one of the two', () => {
    const existingTable = { tableName: 'kept-table', tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/other-table/stream/2025-11-30T10:00:00.000' };
    expect(() => synthVexilla({ existingTable }, { bundle: false })).toThrow(/belongs to table 'other-table'/);
    expect(() => synthVexilla({ existingTable: { ...existingTable, tableStreamArn: 'nonsense' } }, { bundle: false })).toThrow(/not a DynamoDB stream ARN/);
    expect(() => synthVexilla({ existingTable, retainData: false }, { bundle: false })).toThrow(/existingTable needs retainData/);
  });
});

