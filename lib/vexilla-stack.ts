import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { VexillaTable } from './table.js';

export interface VexillaStackProps extends StackProps {
  /**
   * Keep the table when the stack is deleted. Relax it only for throwaway dev stacks.
   * @default true
   */
  readonly retainData?: boolean;
}

/**
 * The Vexilla service: one stack that composes one construct per concern (table, functions,
 * HTTP API, events, scheduler, edge). It synthesises offline, with no credentials and no
 * environment lookups, so `cdk synth` runs anywhere.
 */
export class VexillaStack extends Stack {
  readonly table: VexillaTable;

  constructor(scope: Construct, id: string, props: VexillaStackProps = {}) {
    super(scope, id, props);
    this.table = new VexillaTable(this, 'Data', { retain: props.retainData ?? true });
  }
}
