import { RemovalPolicy, Token } from 'aws-cdk-lib';
import { AttributeType, Billing, type ITableV2, StreamViewType, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { table } from '../functions/data/table.js';

/** A table kept from an earlier deployment of the stage, to serve again. */
export interface ExistingTable {
  /** The table's name: the `TableName` output of the deployment that created it. */
  readonly tableName: string;
  /**
   * Its stream's ARN (`aws dynamodb describe-table --table-name <name> --query Table.LatestStreamArn`),
   * which the publisher reads; a stream's ARN carries its creation time, so it cannot be derived.
   */
  readonly tableStreamArn: string;
}

export interface VexillaTableProps {
  /**
   * Keep the table (and its data) when the stack is deleted, and refuse deletes.
   * @default true
   */
  readonly retain?: boolean;
  /**
   * Serve an existing table (one a deleted stack of this stage retained) instead of creating one.
   * The stack then neither creates nor deletes it; it keeps the settings it was created with.
   * @default - a new table
   */
  readonly existing?: ExistingTable;
}

/** The single table, built from the declaration in functions/data/table.ts (or adopted). */
export class VexillaTable extends Construct {
  readonly table: ITableV2;
  /** Whether this stack created the table (false: an adopted one). */
  readonly created: boolean;

  constructor(scope: Construct, id: string, props: VexillaTableProps = {}) {
    super(scope, id);
    const retain = props.retain ?? true;
    if (props.existing) {
      validateExisting(props.existing);
      this.table = TableV2.fromTableAttributes(this, 'Table', { tableName: props.existing.tableName, tableStreamArn: props.existing.tableStreamArn });
      this.created = false;
      return;
    }
    this.created = true;
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

/** DynamoDB's table name rules, and a stream ARN that belongs to that table. */
function validateExisting({ tableName, tableStreamArn }: ExistingTable): void {
  if (Token.isUnresolved(tableName) || Token.isUnresolved(tableStreamArn)) return;
  if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) throw new Error(`VexillaTable: '${tableName}' is not a DynamoDB table name.`);
  const match = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/([A-Za-z0-9_.-]{3,255})\/stream\/[0-9T:.-]+$/.exec(tableStreamArn);
  if (!match) throw new Error(`VexillaTable: '${tableStreamArn}' is not a DynamoDB stream ARN (arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>).`);
  if (match[1] !== tableName) throw new Error(`VexillaTable: the stream ARN belongs to table '${match[1]}', not '${tableName}'.`);
}
