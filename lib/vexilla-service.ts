import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { VexillaFunctions } from './functions.js';
import { VexillaHttpApi } from './http-api.js';
import { VexillaTable } from './table.js';

export interface VexillaServiceProps {
  /**
   * Keep the table (refusing deletes) and the log groups when the stack is deleted. Relax it only
   * for throwaway dev stacks.
   * @default true
   */
  readonly retainData?: boolean;
  /**
   * How long function logs and API access logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Stage-wide API throttling, shared by all callers.
   * @default 1000 requests per second, burst 2000
   */
  readonly throttle?: ThrottleSettings;
  /**
   * Origins browsers may call the API from.
   * @default ['*']
   */
  readonly corsAllowOrigins?: string[];
}

/**
 * The whole Vexilla service as one construct: the single table, one Lambda function per function
 * the route table names, and the HTTP API in front of them. `VexillaStack` deploys it on its own;
 * it can also be placed inside an existing stack.
 */
export class VexillaService extends Construct {
  readonly data: VexillaTable;
  readonly functions: VexillaFunctions;
  readonly httpApi: VexillaHttpApi;

  constructor(scope: Construct, id: string, props: VexillaServiceProps = {}) {
    super(scope, id);
    const retain = props.retainData ?? true;
    this.data = new VexillaTable(this, 'Data', { retain });
    this.functions = new VexillaFunctions(this, 'Functions', { table: this.data.table, retain, logRetention: props.logRetention });
    this.httpApi = new VexillaHttpApi(this, 'Http', {
      functions: this.functions.functions,
      retain,
      accessLogRetention: props.logRetention,
      throttle: props.throttle,
      corsAllowOrigins: props.corsAllowOrigins,
    });
  }
}
