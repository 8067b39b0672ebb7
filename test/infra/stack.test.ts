import { Token } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createTableInput } from '../../functions/data/create-table.js';
import { table } from '../../functions/data/table.js';
import { logicalIdOf, synthVexilla } from './synth.js';

// Synthesised once per file; nothing here looks at the functions' code, so no bundling.
const { stack, template } = synthVexilla(undefined, { bundle: false });
const devStack = synthVexilla({ retainData: false }, { bundle: false }).template;

describe('VexillaStack', () => {
  it('synthesises offline, with no account, region or lookups', () => {
    const json = template.toJSON() as { Parameters?: Record<string, unknown> };
    // The bootstrap version parameter proves a real, deployable template came out of synth.
    expect(json.Parameters).toHaveProperty('BootstrapVersion');
    // No environment: account and region stay CloudFormation pseudo parameters.
    expect(Token.isUnresolved(stack.account) && Token.isUnresolved(stack.region)).toBe(true);
  });

  it('builds the table from the same declaration as the tests and the local stack', () => {
    const local = createTableInput('any');
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: local.KeySchema,
      AttributeDefinitions: Match.arrayWith(local.AttributeDefinitions ?? []),
      GlobalSecondaryIndexes: Object.keys(table.indexes).map((IndexName) => Match.objectLike({ IndexName })),
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
      Replicas: [Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }, DeletionProtectionEnabled: true })],
    });
  });

  it('retains the table by default and lets dev stacks opt out', () => {
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    devStack.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });

  it('keeps the logical id the table had before the service construct existed', () => {
    // A new logical id would orphan the retained table and create an empty one.
    expect(logicalIdOf(stack.table.table)).toBe('DataTableFDBAD0F2');
  });

  it('retains log groups with the data, and lets dev stacks delete them', () => {
    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    expect(logGroups.length).toBeGreaterThan(0);
    for (const logGroup of logGroups) expect(logGroup).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 30 } });
    for (const logGroup of Object.values(devStack.findResources('AWS::Logs::LogGroup'))) expect(logGroup).toMatchObject({ DeletionPolicy: 'Delete' });
  });

  it('outputs the API URL and the table name', () => {
    template.hasOutput('ApiUrl', { Value: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([{ Ref: logicalIdOf(stack.service.httpApi.api) }])] }) });
    template.hasOutput('TableName', { Value: { Ref: logicalIdOf(stack.table.table) } });
  });

  it('hard-codes no physical names for the table, functions, roles or log groups', () => {
    const named = Object.entries(template.toJSON().Resources as Record<string, { Type: string; Properties?: Record<string, unknown> }>)
      .filter(([, resource]) => ['TableName', 'FunctionName', 'RoleName', 'LogGroupName'].some((key) => typeof resource.Properties?.[key] === 'string'))
      .map(([id]) => id);
    expect(named).toEqual([]);
  });
});
