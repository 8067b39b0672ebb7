import { CfnOutput, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { VexillaTable } from './table.js';
import { VexillaService, type VexillaServiceProps } from './vexilla-service.js';

export interface VexillaStackProps extends StackProps, VexillaServiceProps {
  /**
   * The stage this stack deploys (`dev`, `prod`, ...): part of the stack name and a cost-allocation tag.
   * @default 'dev'
   */
  readonly stage?: string;
  /**
   * Cost-allocation tags put on every resource, on top of `Application: Vexilla` and
   * `Stage: <stage>` (activate them in the Billing console to see costs per tag).
   * @default - only those two
   */
  readonly costTags?: Readonly<Record<string, string>>;
}

/** The tags every resource of a Vexilla stack carries. */
export const costAllocationTags = (stage: string, extra: Readonly<Record<string, string>> = {}): Record<string, string> => ({ Application: 'Vexilla', Stage: stage, ...extra });

/**
 * The Vexilla service in a stack of its own, with its endpoints as outputs. It synthesises
 * offline, with no credentials and no environment lookups, so `cdk synth` runs anywhere. A stage
 * that keeps its data has termination protection on (turn it off to delete the stack on purpose).
 */
export class VexillaStack extends Stack {
  readonly service: VexillaService;
  readonly table: VexillaTable;

  constructor(scope: Construct, id: string, props: VexillaStackProps = {}) {
    super(scope, id, { terminationProtection: props.retainData ?? true, ...props });
    for (const [key, value] of Object.entries(costAllocationTags(props.stage ?? 'dev', props.costTags))) Tags.of(this).add(key, value);
    // The id 'Default' is left out of logical ids, so resources keep the ids they had when the
    // stack held them directly (the table is retained: a new logical id would orphan it).
    this.service = new VexillaService(this, 'Default', props);
    this.table = this.service.data;

    new CfnOutput(this, 'ApiUrl', {
      description: props.originVerify === false ? 'Base URL of the HTTP API' : 'Base URL of the HTTP API, which answers only requests that came through CloudFront (use CloudFrontUrl)',
      value: this.service.httpApi.url,
    });
    new CfnOutput(this, 'CloudFrontUrl', { description: 'Base URL for SDKs, browsers, the CLI and the management API: CloudFront in front of the API', value: this.service.edge.url });
    new CfnOutput(this, 'CloudFrontDomainName', {
      description: 'The distribution domain name: the target of a custom domain CNAME or alias record',
      value: this.service.edge.distribution.distributionDomainName,
    });
    new CfnOutput(this, 'TableName', { description: 'The single DynamoDB table', value: this.table.table.tableName });
    new CfnOutput(this, 'TableStreamArn', {
      description: 'The table stream: with TableName, what a redeploy of this stage needs to adopt the table (-c tableName=... -c tableStreamArn=...)',
      value: this.table.table.tableStreamArn ?? '',
    });
    const { identity } = this.service;
    new CfnOutput(this, 'SignInIssuer', { description: 'The OpenID issuer people sign in with (its discovery document: <issuer>/.well-known/openid-configuration)', value: identity.signIn.issuer });
    new CfnOutput(this, 'SignInClientId', { description: "The dashboard's client id at that issuer", value: identity.signIn.clientId });
    if (identity.hostedUrl) new CfnOutput(this, 'SignInUrl', { description: "Cognito's hosted sign-in domain", value: identity.hostedUrl });
    if (identity.userPool) new CfnOutput(this, 'UserPoolId', { description: 'The Cognito user pool of the people who sign in', value: identity.userPool.userPoolId });
    new CfnOutput(this, 'EventBusName', { description: 'The EventBridge bus of Vexilla change events (source "vexilla"): attach your own rules to it', value: this.service.events.bus.eventBusName });
  }
}
