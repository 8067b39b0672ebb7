import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { createTableInput } from '../../functions/data/create-table.js';
import { table } from '../../functions/data/table.js';
import { VexillaStack } from '../../lib/vexilla-stack.js';

const synth = (props?: ConstructorParameters<typeof VexillaStack>[2]) => {
  const app = new App();
  return Template.fromStack(new VexillaStack(app, 'Vexilla-test', props));
};

describe('VexillaStack', () => {
  it('synthesises offline, with no account, region or lookups', () => {
    const template = synth().toJSON() as { Parameters?: Record<string, unknown> };
    // The bootstrap version parameter proves a real, deployable template came out of synth.
    expect(template.Parameters).toHaveProperty('BootstrapVersion');
  });

  it('builds the table from the same declaration as the tests and the local stack', () => {
    const local = createTableInput('any');
    synth().hasResourceProperties('AWS::DynamoDB::GlobalTable', {
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
    synth().hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    synth({ retainData: false }).hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'Delete' });
  });
});
