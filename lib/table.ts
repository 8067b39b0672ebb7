import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, StreamViewType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { table } from '../functions/data/table.js';

export interface VexillaTableProps {
  /**
   * Keep the table (and its data) when the stack is deleted, and refuse deletes.
   * @default true
   */
  readonly retain?: boolean;
}

/** The single table, built from the declaration in functions/data/table.ts. */
export class VexillaTable extends Construct {
  readonly table: TableV2;

  constructor(scope: Construct, id: string, props: VexillaTableProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: table.partitionKey, type: AttributeType.STRING },
      sortKey: { name: table.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: table.timeToLiveAttribute,
      encryption: TableEncryptionV2.awsManagedKey(),
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      globalSecondaryIndexes: Object.entries(table.indexes).map(([indexName, index]) => ({
        indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
      })),
    });
  }
}
