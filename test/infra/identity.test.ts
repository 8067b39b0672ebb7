/**
 * Sign-in in the deployed stack: the Cognito user pool, its hosted domain and the dashboard's
 * app client (or the customer's own issuer instead), federation, what the admin API is told, and
 * that nothing in the stack takes a management call without the Lambda authenticating it.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { signInConfigSchema } from '../../functions/domain/sign-in.js';
import { publicRoutes, routeKey, routes } from '../../functions/http/routes.js';
import { VexillaIdentity } from '../../lib/identity.js';
import { logicalIdOf, synthVexilla } from './synth.js';

const { stack, template } = synthVexilla(undefined, { bundle: false });
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>;
const { identity, edge } = stack.service;
const ref = (construct: Parameters<typeof logicalIdOf>[0]) => ({ Ref: logicalIdOf(construct) });
const distributionDomain = { 'Fn::GetAtt': [logicalIdOf(edge.distribution), 'DomainName'] };
const adminApiEnvironment = (synthesised: ReturnType<typeof synthVexilla>) => {
  const fn = synthesised.stack.service.functions.get('admin-api');
  return (synthesised.template.toJSON().Resources[logicalIdOf(fn)].Properties.Environment as { Variables: Record<string, unknown> }).Variables;
};
const adminApiStatements = (synthesised: ReturnType<typeof synthVexilla>) => {
  const roleId = logicalIdOf(synthesised.stack.service.functions.roleOf('admin-api'));
  return Object.values(synthesised.template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
  );
};

describe('the default: a Cognito user pool of its own', () => {
  it('lets nobody sign themselves up, requires a second factor for Cognito passwords and enforces threat protection', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: {
        AllowAdminCreateUserOnly: true,
        InviteMessageTemplate: { EmailMessage: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('Sign in at https://'), distributionDomain])] } },
      },
      UsernameAttributes: ['email'],
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
      Policies: { PasswordPolicy: { MinimumLength: 12, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true } },
      DeletionProtection: 'ACTIVE',
    });
    expect(Object.values(resources).filter((resource) => resource.Type === 'AWS::Cognito::IdentityPool')).toEqual([]);
  });

  it('has a hosted domain whose prefix is the stack name and its own UUID: no collision across accounts or regions', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      UserPoolId: ref(identity.userPool!),
      Domain: { 'Fn::Join': ['', ['vexilla-test-', { 'Fn::Select': [0, { 'Fn::Split': ['-', { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] }] }] }]] },
    });
  });

  it("has one app client for the dashboard: code flow for a public client (no secret), callbacks on the distribution's URL", () => {
    template.resourceCountIs('AWS::Cognito::UserPoolClient', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      UserPoolId: ref(identity.userPool!),
      GenerateSecret: false,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: [{ 'Fn::Join': ['', ['https://', distributionDomain, '/auth/callback']] }],
      LogoutURLs: [{ 'Fn::Join': ['', ['https://', distributionDomain, '/']] }],
      SupportedIdentityProviders: ['COGNITO'],
      // No direct password APIs: only the hosted sign-in, then refresh.
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      // A person cannot rewrite the email invitations match, nor the groups group rules read.
      WriteAttributes: ['name'],
      EnableTokenRevocation: true,
      IdTokenValidity: 60,
      RefreshTokenValidity: 720,
    });
  });

  it("tells the admin API the pool's issuer, the client id and the keys, and lets it create accounts in this pool only", () => {
    const variables = adminApiEnvironment({ stack, template } as ReturnType<typeof synthVexilla>);
    const issuer = ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', ref(identity.userPool!)];
    expect(JSON.stringify(variables.SIGN_IN_CONFIG)).toContain(JSON.stringify(ref(identity.client!)));
    expect(stack.resolve(stack.toJsonString(identity.signIn))).toEqual(variables.SIGN_IN_CONFIG);
    expect(stack.resolve(identity.signIn.issuer)).toEqual({ 'Fn::Join': ['', issuer] });
    expect(variables.COGNITO_USER_POOL_ID).toEqual(ref(identity.userPool!));
    expect(adminApiStatements({ stack, template } as ReturnType<typeof synthVexilla>)).toContainEqual({ Effect: 'Allow', Action: 'cognito-idp:AdminCreateUser', Resource: { 'Fn::GetAtt': [logicalIdOf(identity.userPool!), 'Arn'] } });
  });

  it('outputs the issuer, the client id, the hosted sign-in URL and the pool', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(['SignInIssuer', 'SignInClientId', 'SignInUrl', 'UserPoolId']));
    expect(outputs.SignInClientId?.Value).toEqual(ref(identity.client!));
  });
});

describe('federation and the customer\'s own issuer', () => {
  it('federates a SAML provider: only it signs in, groups arrive in custom:groups, invitations create no accounts', () => {
    const saml = synthVexilla({ identity: { saml: { metadataUrl: 'https://idp.example.com/saml/metadata' } } }, { bundle: false });
    saml.template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'SSO',
      ProviderType: 'SAML',
      ProviderDetails: { MetadataURL: 'https://idp.example.com/saml/metadata' },
      AttributeMapping: { email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress', 'custom:groups': 'groups' },
    });
    saml.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      SupportedIdentityProviders: [{ Ref: Match.stringLikeRegexp('^IdentitySaml') }],
      // Cognito copies the mapped attributes in at each federated sign-in, which needs them writable.
      WriteAttributes: ['custom:groups', 'email', 'name'],
    });
    const config = saml.stack.service.identity.signIn;
    expect(config).toMatchObject({ groupsClaim: 'custom:groups', trustEmail: true });
    expect(adminApiEnvironment(saml).COGNITO_USER_POOL_ID).toBe('');
    expect(JSON.stringify(adminApiStatements(saml))).not.toContain('cognito-idp');
  });

  it('federates an OpenID provider with its client secret read from Secrets Manager at deploy time, never in the template', () => {
    const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:vexilla-okta-AbCdEf';
    const oidc = synthVexilla({ identity: { oidcFederation: { issuer: 'https://acme.okta.com', clientId: 'okta-client', clientSecretArn: secretArn } } }, { bundle: false });
    oidc.template.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'OIDC',
      ProviderType: 'OIDC',
      ProviderDetails: Match.objectLike({ client_id: 'okta-client', oidc_issuer: 'https://acme.okta.com', authorize_scopes: 'openid email profile', client_secret: `{{resolve:secretsmanager:${secretArn}:SecretString:::}}` }),
      AttributeMapping: { email: 'email', email_verified: 'email_verified', name: 'name', 'custom:groups': 'groups' },
    });
    oidc.template.hasResourceProperties('AWS::Cognito::UserPoolClient', { SupportedIdentityProviders: [{ Ref: Match.stringLikeRegexp('^IdentityOidc') }] });
    expect(oidc.stack.service.identity.signIn.trustEmail).toBeUndefined();
  });

  it("uses the customer's own issuer directly: no Cognito resource at all, and its settings reach the admin API", () => {
    const external = synthVexilla({ identity: { externalIssuer: { issuer: 'https://login.example.com', clientId: 'vexilla', audience: 'api://vexilla', trustEmail: true } } }, { bundle: false });
    expect(Object.values(external.template.toJSON().Resources as Record<string, { Type: string }>).filter((resource) => resource.Type.startsWith('AWS::Cognito::'))).toEqual([]);
    const config = signInConfigSchema.parse(JSON.parse(external.stack.resolve(adminApiEnvironment(external).SIGN_IN_CONFIG) as string));
    expect(config).toEqual({ issuer: 'https://login.example.com', clientId: 'vexilla', audience: 'api://vexilla', trustEmail: true });
    expect(adminApiEnvironment(external).COGNITO_USER_POOL_ID).toBe('');
    expect(Object.keys(external.template.toJSON().Outputs)).not.toContain('SignInUrl');
  });

  it('adopts the pool a deleted stage kept: no new pool, a new domain and dashboard client on it, the same issuer, invitations into it', () => {
    const poolId = 'eu-west-1_AbCdEf123';
    const adopted = synthVexilla({ identity: { existingUserPoolId: poolId } }, { bundle: false });
    adopted.template.resourceCountIs('AWS::Cognito::UserPool', 0);
    adopted.template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { UserPoolId: poolId });
    adopted.template.hasResourceProperties('AWS::Cognito::UserPoolClient', { UserPoolId: poolId, AllowedOAuthFlows: ['code'], GenerateSecret: false });
    expect(adopted.stack.resolve(adopted.stack.service.identity.signIn.issuer)).toEqual({ 'Fn::Join': ['', ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, `/${poolId}`]] });
    expect(adminApiEnvironment(adopted).COGNITO_USER_POOL_ID).toBe(poolId);
    expect(JSON.stringify(adopted.stack.resolve(adminApiStatements(adopted)))).toContain(`:userpool/${poolId}`);
  });

  it('registers the callback on the custom domain and on the distribution\'s own name', () => {
    const custom = synthVexilla({ customDomain: { domainName: 'flags.example.com', certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc-123' } }, { bundle: false });
    const distribution = { 'Fn::GetAtt': [logicalIdOf(custom.stack.service.edge.distribution), 'DomainName'] };
    custom.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://flags.example.com/auth/callback', { 'Fn::Join': ['', ['https://', distribution, '/auth/callback']] }],
    });
  });

  it('refuses contradictory or unsafe settings at synth', () => {
    const identityIn = (props: ConstructorParameters<typeof VexillaIdentity>[2], stackName = 'Vexilla-prod') => () => new VexillaIdentity(new Stack(new App(), stackName), 'Identity', props);
    const appUrls = ['https://flags.example.com'];
    expect(identityIn({ appUrls, externalIssuer: { issuer: 'https://login.example.com', clientId: 'x' }, saml: { metadataUrl: 'https://idp.example.com/m' } })).toThrow(/Choose one/);
    expect(identityIn({ appUrls, saml: { metadataUrl: 'http://idp.example.com/m' } })).toThrow(/https/);
    expect(identityIn({ appUrls, oidcFederation: { issuer: 'https://idp.example.com', clientId: 'x', clientSecretArn: 'the-secret-itself' } })).toThrow(/Secrets Manager secret ARN/);
    expect(identityIn({ appUrls, domainPrefix: 'my-aws-login' })).toThrow(/domainPrefix/);
    expect(identityIn({ appUrls }, 'Vexilla-aws-prod')).toThrow(/pass domainPrefix/);
    expect(identityIn({ appUrls: [] })).toThrow(/appUrls/);
    expect(identityIn({ appUrls, existingUserPoolId: 'Vexilla-prod-pool' })).toThrow(/not a user pool id/);
    expect(identityIn({ appUrls, existingUserPoolId: 'eu-west-1_AbC', externalIssuer: { issuer: 'https://login.example.com', clientId: 'x' } })).toThrow(/cannot go with it/);
    expect(() => new VexillaIdentity(new Stack(new App(), 'Vexilla-prod', { env: { region: 'us-east-2' } }), 'Identity', { appUrls, existingUserPoolId: 'eu-west-1_AbC' })).toThrow(/in eu-west-1, the stack in us-east-2/);
  });
});

describe('no unauthenticated management call', () => {
  const declared = [...routes, ...publicRoutes];

  it('routes exactly the route table: no $default or catch-all route that could reach a function unchecked', () => {
    const keys = Object.values(resources).filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route').map((route) => route.Properties.RouteKey as string);
    expect(keys.sort()).toEqual(declared.map(routeKey).sort());
    expect(keys.some((key) => key === '$default' || key.startsWith('ANY ') || key.includes('+}'))).toBe(false);
  });

  it('has only the OpenAPI document and the sign-in configuration public under /admin/v1; every other admin route requires a credential', () => {
    expect(publicRoutes.map((route) => routeKey(route)).sort()).toEqual(['GET /admin/v1/auth/config', 'GET /admin/v1/openapi.json']);
    for (const route of routes.filter((candidate) => candidate.path.startsWith('/admin/v1/'))) {
      expect(route.access.credential, routeKey(route)).toBe('admin-token');
      expect(route.function).toBe('admin-api');
    }
  });

  it('exposes no function any other way: no function URLs, and API Gateway may invoke the admin API from this API only', () => {
    expect(Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::Url')).toEqual([]);
    const adminApi = { 'Fn::GetAtt': [logicalIdOf(stack.service.functions.get('admin-api')), 'Arn'] };
    const permissions = Object.values(resources).filter((resource) => resource.Type === 'AWS::Lambda::Permission' && JSON.stringify(resource.Properties.FunctionName) === JSON.stringify(adminApi));
    expect(permissions).toHaveLength(1);
    expect(permissions[0]?.Properties).toMatchObject({ Principal: 'apigateway.amazonaws.com' });
    expect(JSON.stringify(permissions[0]?.Properties.SourceArn)).toContain(JSON.stringify({ Ref: logicalIdOf(stack.service.httpApi.api) }));
  });

  it('sends management calls through CloudFront uncached, with the Authorization header the function checks', () => {
    const distribution = resources[logicalIdOf(edge.distribution)]?.Properties.DistributionConfig as { CacheBehaviors: Record<string, unknown>[] };
    // The dashboard is the default behaviour; management calls take `/admin/*`, with AWS's managed
    // CachingDisabled and AllViewerExceptHostHeader policies.
    expect(distribution.CacheBehaviors.find((behaviour) => behaviour.PathPattern === '/admin/*')).toMatchObject({
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad',
      OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac',
    });
  });
});
