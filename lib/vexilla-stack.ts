import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { VexillaTable } from './table.js';
import { VexillaService, type VexillaServiceProps } from './vexilla-service.js';

export interface VexillaStackProps extends StackProps, VexillaServiceProps {}

/**
 * The Vexilla service in a stack of its own, with its endpoints as outputs. It synthesises
 * offline, with no credentials and no environment lookups, so `cdk synth` runs anywhere.
 */
export class VexillaStack extends Stack {
  readonly service: VexillaService;
  readonly table: VexillaTable;

  constructor(scope: Construct, id: string, props: VexillaStackProps = {}) {
    super(scope, id, props);
    // The id 'Default' is left out of logical ids, so resources keep the ids they had when the
    // stack held them directly (the table is retained: a new logical id would orphan it).
    this.service = new VexillaService(this, 'Default', props);
    this.table = this.service.data;

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the HTTP API', value: this.service.httpApi.url });
    new CfnOutput(this, 'CloudFrontUrl', { description: 'Base URL for SDKs and browsers: CloudFront in front of the API', value: this.service.edge.url });
    new CfnOutput(this, 'CloudFrontDomainName', {
      description: 'The distribution domain name: the target of a custom domain CNAME or alias record',
      value: this.service.edge.distribution.distributionDomainName,
    });
    new CfnOutput(this, 'TableName', { description: 'The single DynamoDB table', value: this.table.table.tableName });
    const { identity } = this.service;
    new CfnOutput(this, 'SignInIssuer', { description: 'The OpenID issuer people sign in with (its discovery document: <issuer>/.well-known/openid-configuration)', value: identity.signIn.issuer });
    new CfnOutput(this, 'SignInClientId', { description: "The dashboard's client id at that issuer", value: identity.signIn.clientId });
    if (identity.hostedUrl) new CfnOutput(this, 'SignInUrl', { description: "Cognito's hosted sign-in domain", value: identity.hostedUrl });
    if (identity.userPool) new CfnOutput(this, 'UserPoolId', { description: 'The Cognito user pool of the people who sign in', value: identity.userPool.userPoolId });
    new CfnOutput(this, 'EventBusName', { description: 'The EventBridge bus of Vexilla change events (source "vexilla"): attach your own rules to it', value: this.service.events.bus.eventBusName });
  }
}
