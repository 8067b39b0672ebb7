import { Aws, Duration, Fn, RemovalPolicy, SecretValue, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  type IUserPool,
  Mfa,
  OAuthScope,
  OidcAttributeRequestMethod,
  ProviderAttribute,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
  UserPoolIdentityProviderOidc,
  UserPoolIdentityProviderSaml,
  UserPoolIdentityProviderSamlMetadata,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { DASHBOARD_CALLBACK_PATH, DASHBOARD_SIGNED_OUT_PATH, type SignInConfig } from '../functions/domain/sign-in.js';

/** The customer's own OpenID issuer, used directly: no Cognito at all. */
export interface ExternalIssuer {
  /** The issuer URL, exactly as its tokens carry it in `iss`. */
  readonly issuer: string;
  /** The client id registered there for the dashboard (a public client, code + PKCE, redirect `<app URL>/auth/callback`). */
  readonly clientId: string;
  /** The API audience of the issuer's RFC 9068 access tokens, to accept those too. @default - ID tokens (and Cognito-shaped access tokens) only */
  readonly audience?: string;
  /** The claim listing the person's groups. @default - `groups`, then `cognito:groups` */
  readonly groupsClaim?: string;
  /** Treat every email the issuer asserts as verified (for issuers that never send `email_verified`, such as Entra ID). @default false */
  readonly trustEmail?: boolean;
  /**
   * Other origins the dashboard must fetch from, when the issuer's discovery document puts its
   * token endpoint on another host (Google's is `https://oauth2.googleapis.com`). They join the
   * dashboard's Content-Security-Policy (connect-src). @default - the issuer's own origin only
   */
  readonly tokenEndpointOrigins?: readonly string[];
}

/** A SAML 2.0 identity provider (Okta, Entra ID, Google Workspace, ADFS) that Cognito federates. */
export interface SamlFederation {
  /** Where the IdP publishes its SAML metadata. */
  readonly metadataUrl: string;
  /** The SAML attribute carrying the email address. @default 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress' */
  readonly emailAttribute?: string;
  /** The SAML attribute carrying the person's groups (for group rules). @default 'groups' */
  readonly groupsAttribute?: string;
}

/** An external OpenID issuer that Cognito federates, its client secret kept in Secrets Manager. */
export interface OidcFederation {
  readonly issuer: string;
  readonly clientId: string;
  /** The ARN of a Secrets Manager secret whose value is the client secret (resolved by CloudFormation, never in the template). */
  readonly clientSecretArn: string;
}

export interface VexillaIdentityProps {
  /**
   * Where the dashboard is served (CloudFront's URL, and the custom domain's): the sign-in
   * callback `<url>/auth/callback` and the sign-out URL `<url>/` are registered for each.
   */
  readonly appUrls: readonly string[];
  /** Use the customer's own OpenID issuer instead of a Cognito user pool. @default - a Cognito user pool */
  readonly externalIssuer?: ExternalIssuer;
  /** Federate a SAML identity provider through the pool. @default - none */
  readonly saml?: SamlFederation;
  /** Federate an external OpenID issuer through the pool. @default - none */
  readonly oidcFederation?: OidcFederation;
  /**
   * The hosted sign-in domain's prefix (`<prefix>.auth.<region>.amazoncognito.com`).
   * @default - the stack name, lower-cased, and the first block of the stack's own UUID: unique per stack, account and region
   */
  readonly domainPrefix?: string;
  /**
   * Cognito threat protection (compromised credentials, adaptive authentication) enforced, on the
   * Plus feature plan (billed per monthly active user). @default true
   */
  readonly threatProtection?: boolean;
  /** Keep the user pool (with deletion protection) when the stack is deleted. @default true */
  readonly retain?: boolean;
  /**
   * The id of a user pool to use instead of creating one: the pool a deleted stage kept, so its
   * people keep their accounts, second factors and (the issuer naming the pool) their memberships.
   * A new hosted domain and dashboard client are made on it; its own settings are left as they are.
   * @default - a new user pool
   */
  readonly existingUserPoolId?: string;
}

const SAML_EMAIL = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress';
const SAML_NAME = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name';
/** Federated groups land in this custom attribute, which Cognito puts in ID tokens as `custom:groups`. */
const FEDERATED_GROUPS_CLAIM = 'custom:groups';

/**
 * Who may sign in to the dashboard and the management API, and how: by default a Cognito user
 * pool with its hosted sign-in domain and one public app client for the dashboard
 * (authorization code with PKCE, no secret, no self sign-up: people are invited), optionally
 * federating the customer's SAML or OpenID identity provider; or, with `externalIssuer`, the
 * customer's own issuer and nothing here. Vexilla stores no passwords either way.
 *
 * `signIn` is what the admin API verifies tokens against; `invitationPool` is set when
 * invitations should create Cognito accounts (a pool without federation).
 */
export class VexillaIdentity extends Construct {
  readonly signIn: SignInConfig;
  readonly userPool?: IUserPool;
  readonly client?: UserPoolClient;
  readonly domain?: UserPoolDomain;
  /** The pool invitations create accounts in: Vexilla's own pool when people sign in with Cognito itself. */
  readonly invitationPool?: IUserPool;
  /** The hosted sign-in page's base URL (`https://<prefix>.auth.<region>.amazoncognito.com`), when there is a pool. */
  readonly hostedUrl?: string;
  /**
   * The origins the dashboard fetches from to sign people in (the issuer's discovery document,
   * the token endpoint): what its Content-Security-Policy allows in connect-src, and no more.
   */
  readonly browserOrigins: string[];

  constructor(scope: Construct, id: string, props: VexillaIdentityProps) {
    super(scope, id);
    validate(props);
    if (props.externalIssuer) {
      const external = props.externalIssuer;
      this.signIn = {
        issuer: external.issuer,
        clientId: external.clientId,
        ...(external.audience ? { audience: external.audience } : {}),
        ...(external.groupsClaim ? { groupsClaim: external.groupsClaim } : {}),
        ...(external.trustEmail ? { trustEmail: true } : {}),
      };
      this.browserOrigins = [new URL(external.issuer).origin, ...(external.tokenEndpointOrigins ?? [])];
      return;
    }

    const federated = props.saml !== undefined || props.oidcFederation !== undefined;
    const retain = props.retain ?? true;
    const threatProtection = props.threatProtection ?? true;
    const signInUrl = props.appUrls[0] ?? '';
    const pool = props.existingUserPoolId ? UserPool.fromUserPoolId(this, 'UserPool', props.existingUserPoolId) : this.newPool(retain, threatProtection, signInUrl);
    this.userPool = pool;

    const stack = Stack.of(this);
    const poolRegion = props.existingUserPoolId?.split('_')[0];
    if (poolRegion && !Token.isUnresolved(props.existingUserPoolId) && !Token.isUnresolved(stack.region) && poolRegion !== stack.region) {
      throw new Error(`VexillaIdentity: user pool ${props.existingUserPoolId} is in ${poolRegion}, the stack in ${stack.region}.`);
    }
    // The stack's UUID is random per stack, so the prefix is unique per account and region with
    // no account id in a public URL.
    const stackUuid = Fn.select(0, Fn.split('-', Fn.select(2, Fn.split('/', Aws.STACK_ID))));
    const stackPart = stack.stackName.toLowerCase();
    if (!props.domainPrefix && (/aws|amazon|cognito/.test(stackPart) || !/^[a-z0-9][a-z0-9-]{0,53}$/.test(stackPart))) {
      throw new Error(`VexillaIdentity: the stack name '${stack.stackName}' cannot start a Cognito domain prefix (at most 54 letters, digits and hyphens, without "aws", "amazon" or "cognito"): pass domainPrefix.`);
    }
    const domainPrefix = props.domainPrefix ?? `${stackPart}-${stackUuid}`;
    this.domain = pool.addDomain('Domain', { cognitoDomain: { domainPrefix } });
    this.hostedUrl = this.domain.baseUrl();

    const providers: UserPoolClientIdentityProvider[] = [];
    const dependencies: Construct[] = [];
    if (props.saml) {
      const saml = new UserPoolIdentityProviderSaml(this, 'Saml', {
        userPool: pool,
        name: 'SSO',
        metadata: UserPoolIdentityProviderSamlMetadata.url(props.saml.metadataUrl),
        attributeMapping: {
          email: ProviderAttribute.other(props.saml.emailAttribute ?? SAML_EMAIL),
          fullname: ProviderAttribute.other(SAML_NAME),
          custom: { [FEDERATED_GROUPS_CLAIM]: ProviderAttribute.other(props.saml.groupsAttribute ?? 'groups') },
        },
      });
      providers.push(UserPoolClientIdentityProvider.custom(saml.providerName));
      dependencies.push(saml);
    }
    if (props.oidcFederation) {
      const oidc = new UserPoolIdentityProviderOidc(this, 'Oidc', {
        userPool: pool,
        name: 'OIDC',
        issuerUrl: props.oidcFederation.issuer,
        clientId: props.oidcFederation.clientId,
        // A dynamic reference: CloudFormation reads the secret at deploy time; it is never in the template.
        clientSecret: SecretValue.secretsManager(props.oidcFederation.clientSecretArn).unsafeUnwrap(),
        scopes: ['openid', 'email', 'profile'],
        attributeRequestMethod: OidcAttributeRequestMethod.GET,
        attributeMapping: {
          email: ProviderAttribute.other('email'),
          emailVerified: ProviderAttribute.other('email_verified'),
          fullname: ProviderAttribute.other('name'),
          custom: { [FEDERATED_GROUPS_CLAIM]: ProviderAttribute.other('groups') },
        },
      });
      providers.push(UserPoolClientIdentityProvider.custom(oidc.providerName));
      dependencies.push(oidc);
    }
    if (!federated) providers.push(UserPoolClientIdentityProvider.COGNITO);

    const client = pool.addClient('Dashboard', {
      // A browser app holds no secret: PKCE binds each code to the browser that asked for it.
      generateSecret: false,
      // Only the hosted sign-in (OAuth endpoints); no direct password APIs.
      authFlows: { userSrp: false, userPassword: false, adminUserPassword: false, custom: false, user: false },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: props.appUrls.map((url) => `${url}${DASHBOARD_CALLBACK_PATH}`),
        logoutUrls: props.appUrls.map((url) => `${url}${DASHBOARD_SIGNED_OUT_PATH}`),
      },
      supportedIdentityProviders: providers,
      // What the client may write: never the email or the groups a person proves access with,
      // except what Cognito itself copies in from a federated provider on each sign-in.
      writeAttributes: federated
        ? new ClientAttributes().withStandardAttributes({ email: true, fullname: true }).withCustomAttributes('groups')
        : new ClientAttributes().withStandardAttributes({ fullname: true }),
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
    for (const dependency of dependencies) client.node.addDependency(dependency);
    this.client = client;
    if (!federated) this.invitationPool = pool;

    // The `iss` of the pool's tokens, built rather than read (the ProviderURL attribute has no scheme).
    const issuer = `https://cognito-idp.${stack.region}.${stack.urlSuffix}/${pool.userPoolId}`;
    this.signIn = {
      issuer,
      clientId: client.userPoolClientId,
      // Known without discovery: saves a round trip on a cold start.
      jwksUri: `${issuer}/.well-known/jwks.json`,
      // Cognito's own groups for its users; federated groups arrive in the mapped custom attribute.
      ...(federated ? { groupsClaim: FEDERATED_GROUPS_CLAIM } : {}),
      // SAML sends no email_verified: the pool's only users then come from the customer's own
      // directory (no self sign-up), so the addresses it asserts are theirs.
      ...(props.saml ? { trustEmail: true } : {}),
      endSessionEndpoint: `${this.hostedUrl}/logout`,
    };
    // Discovery at the issuer (cognito-idp), the token endpoint on the hosted domain
    // (docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html). The domain is
    // built from its prefix, as UserPoolDomain.baseUrl() builds it, not referenced: the pool's
    // invitation email names the distribution, whose headers policy holds these origins.
    this.browserOrigins = [`https://cognito-idp.${stack.region}.${stack.urlSuffix}`, `https://${domainPrefix}.auth.${stack.region}.amazoncognito.com`];

    if (!threatProtection && !props.existingUserPoolId) {
      Validations.of(pool).acknowledge({
        id: 'AwsSolutions-COG3',
        reason: 'Threat protection was turned off by the deployer (threatProtection: false), to stay on the Essentials feature plan; MFA is still required for Cognito passwords.',
      });
    }
  }

  /** Vexilla's own pool: invitation only, a second factor for Cognito passwords, threat protection. */
  private newPool(retain: boolean, threatProtection: boolean, signInUrl: string): UserPool {
    return new UserPool(this, 'UserPool', {
      // People are invited (by an organisation admin, through the API) or come from the customer's IdP.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true }, fullname: { required: false, mutable: true } },
      customAttributes: { groups: new StringAttribute({ mutable: true, maxLen: 2048 }) },
      passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true, tempPasswordValidity: Duration.days(7) },
      // A console that changes production: a second factor for everyone who signs in with a Cognito password.
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: threatProtection ? FeaturePlan.PLUS : FeaturePlan.ESSENTIALS,
      ...(threatProtection ? { standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      userInvitation: {
        emailSubject: 'You are invited to Vexilla',
        emailBody: `You have been invited to Vexilla feature flags. Sign in at ${signInUrl}/ with your email address {username} and the temporary password {####} (valid for 7 days).`,
      },
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
  }
}

function validate(props: VexillaIdentityProps): void {
  if (props.existingUserPoolId !== undefined && !Token.isUnresolved(props.existingUserPoolId) && !/^[a-z]{2}(?:-[a-z]+)+-\d_[0-9a-zA-Z]{1,30}$/.test(props.existingUserPoolId)) {
    throw new Error(`VexillaIdentity: '${props.existingUserPoolId}' is not a user pool id (region_id, as eu-west-1_AbCdEf123).`);
  }
  if (props.existingUserPoolId !== undefined && props.externalIssuer) throw new Error('VexillaIdentity: an external issuer replaces the Cognito pool: existingUserPoolId cannot go with it.');
  if (props.appUrls.length === 0) throw new Error('VexillaIdentity: appUrls needs at least the dashboard URL.');
  if (props.externalIssuer && (props.saml || props.oidcFederation)) {
    throw new Error('VexillaIdentity: an external issuer replaces the Cognito pool; SAML or OIDC federation goes through the pool. Choose one.');
  }
  const https = (value: string | undefined, what: string) => {
    if (value !== undefined && !Token.isUnresolved(value) && !/^https:\/\/[^\s/]+/.test(value)) throw new Error(`VexillaIdentity: ${what} must be an https URL, got '${value}'.`);
  };
  https(props.externalIssuer?.issuer, 'the external issuer');
  if (props.externalIssuer && Token.isUnresolved(props.externalIssuer.issuer)) throw new Error('VexillaIdentity: the external issuer must be known at synth (the dashboard\'s Content-Security-Policy names its origin).');
  for (const origin of props.externalIssuer?.tokenEndpointOrigins ?? []) {
    if (Token.isUnresolved(origin) || !/^https:\/\/[a-z0-9.-]+(?::\d{1,5})?$/i.test(origin)) throw new Error(`VexillaIdentity: a token endpoint origin must be an https origin (no path), got '${origin}'.`);
  }
  https(props.saml?.metadataUrl, 'the SAML metadata URL');
  https(props.oidcFederation?.issuer, 'the federated OIDC issuer');
  if (props.oidcFederation && !Token.isUnresolved(props.oidcFederation.clientSecretArn) && !/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$/.test(props.oidcFederation.clientSecretArn)) {
    throw new Error(`VexillaIdentity: the federated OIDC client secret must be a Secrets Manager secret ARN, got '${props.oidcFederation.clientSecretArn}'.`);
  }
  const prefix = props.domainPrefix;
  if (prefix !== undefined && !Token.isUnresolved(prefix) && (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix) || /aws|amazon|cognito/.test(prefix))) {
    throw new Error(`VexillaIdentity: domainPrefix '${prefix}' must be lowercase letters, digits and hyphens (at most 63), without "aws", "amazon" or "cognito".`);
  }
}
