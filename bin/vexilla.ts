#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addNagPacks } from '../lib/nag.js';
import { VexillaStack, type VexillaStackProps } from '../lib/vexilla-stack.js';

/**
 * Context options (`npx cdk deploy -c name=value`):
 *   stage           stack name suffix                                  (default: dev)
 *   retainData      false lets a throwaway stack delete its table       (default: true)
 *   alarmEmail      address that receives alarm notifications           (default: none)
 *   domainName      custom domain for CloudFront, with certificateArn   (default: CloudFront's)
 *   certificateArn  ACM certificate for domainName, in us-east-1
 *
 * Sign-in (default: a Cognito user pool of Vexilla's own; people are invited by email):
 *   samlMetadataUrl          federate a SAML identity provider through Cognito
 *                            (samlEmailAttribute, samlGroupsAttribute: its attribute names)
 *   federationOidcIssuer     federate an OpenID provider through Cognito, with
 *   federationOidcClientId   its client id and
 *   federationOidcSecretArn  a Secrets Manager secret holding its client secret
 *   oidcIssuer, oidcClientId the customer's own OpenID issuer instead of Cognito
 *                            (oidcAudience, oidcGroupsClaim, oidcTrustEmail=true)
 *   cognitoDomainPrefix      the hosted sign-in domain prefix (default: stack name + the stack's UUID)
 *   cognitoThreatProtection  false: the Essentials plan, without threat protection (default: true)
 */
const app = new App();
const context = (name: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(name);
  return value === undefined || value === null ? undefined : String(value);
};
const stage = context('stage') ?? 'dev';
const domainName = context('domainName');
const certificateArn = context('certificateArn');
if (Boolean(domainName) !== Boolean(certificateArn)) throw new Error('Pass domainName and certificateArn together.');
const alarmEmail = context('alarmEmail');

/** Sign-in settings from context: each option only when given. */
function identityFromContext(): VexillaStackProps['identity'] {
  const oidcIssuer = context('oidcIssuer');
  const samlMetadataUrl = context('samlMetadataUrl');
  const federationOidcIssuer = context('federationOidcIssuer');
  const optional = <T>(name: string, value: T | undefined) => (value === undefined ? {} : { [name]: value });
  if (oidcIssuer) {
    const clientId = context('oidcClientId');
    if (!clientId) throw new Error('Pass oidcClientId with oidcIssuer.');
    return {
      externalIssuer: {
        issuer: oidcIssuer,
        clientId,
        ...optional('audience', context('oidcAudience')),
        ...optional('groupsClaim', context('oidcGroupsClaim')),
        ...(context('oidcTrustEmail') === 'true' ? { trustEmail: true } : {}),
      },
    };
  }
  const clientId = context('federationOidcClientId');
  const clientSecretArn = context('federationOidcSecretArn');
  if (Boolean(federationOidcIssuer) !== Boolean(clientId && clientSecretArn) || (!federationOidcIssuer && (clientId || clientSecretArn))) {
    throw new Error('Pass federationOidcIssuer, federationOidcClientId and federationOidcSecretArn together.');
  }
  return {
    ...(samlMetadataUrl
      ? { saml: { metadataUrl: samlMetadataUrl, ...optional('emailAttribute', context('samlEmailAttribute')), ...optional('groupsAttribute', context('samlGroupsAttribute')) } }
      : {}),
    ...(federationOidcIssuer && clientId && clientSecretArn ? { oidcFederation: { issuer: federationOidcIssuer, clientId, clientSecretArn } } : {}),
    ...optional('domainPrefix', context('cognitoDomainPrefix')),
    ...(context('cognitoThreatProtection') === 'false' ? { threatProtection: false } : {}),
  };
}

new VexillaStack(app, `Vexilla-${stage}`, {
  description: `Vexilla feature flags and remote config (${stage})`,
  retainData: context('retainData') !== 'false',
  ...(alarmEmail ? { alarmEmail } : {}),
  ...(domainName && certificateArn ? { customDomain: { domainName, certificateArn } } : {}),
  identity: identityFromContext(),
});
addNagPacks(app);
