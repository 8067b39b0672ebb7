/**
 * How people sign in, declared once: the dashboard's callback path and scopes (registered with
 * Cognito by CDK and with the local provider by the local stack, and published to the dashboard
 * by `GET /admin/v1/auth/config`), and the issuer settings the admin API verifies tokens with.
 */
import { z } from 'zod';

/** Where the identity provider sends the browser back with the authorization code (dashboard origin + this). */
export const DASHBOARD_CALLBACK_PATH = '/auth/callback';
/** Where the browser lands after signing out (dashboard origin + this). */
export const DASHBOARD_SIGNED_OUT_PATH = '/';
/** Scopes the dashboard asks for: the ID token then carries email, email_verified and name. */
export const SIGN_IN_SCOPES = ['openid', 'email', 'profile'] as const;

/** The claims tried for a person's directory groups when none is configured, in order. */
export const DEFAULT_GROUPS_CLAIMS = ['groups', 'cognito:groups'] as const;

const url = z.url({ protocol: /^https?$/ }).max(2048);

export const signInConfigSchema = z
  .object({
    /** The `iss` every accepted token carries, exactly. */
    issuer: url,
    /** The dashboard's client id: the `aud` of ID tokens, the `client_id` of Cognito access tokens. */
    clientId: z.string().min(1).max(256),
    /** The API's own audience, for RFC 9068 access tokens of IdPs that issue them (Okta, Entra ID, Auth0). @default - none: such tokens are refused */
    audience: z.string().min(1).max(2048).optional(),
    /** Where the issuer's signing keys are. @default - `jwks_uri` of the issuer's discovery document */
    jwksUri: url.optional(),
    /** The claim that lists the person's directory groups. @default - `groups`, then `cognito:groups` */
    groupsClaim: z.string().min(1).max(256).optional(),
    /**
     * Treat every email address the issuer asserts as verified. Only for issuers that vouch for
     * every address they issue and do not send `email_verified` (Entra ID; a Cognito pool fed by
     * SAML, whose only users come from the customer's directory). @default false
     */
    trustEmail: z.boolean().optional(),
    /** A sign-out endpoint the discovery document does not announce (Cognito's `/logout`). */
    endSessionEndpoint: url.optional(),
  })
  .strict();

export type SignInConfig = z.infer<typeof signInConfigSchema>;

/** What `GET /admin/v1/auth/config` tells the dashboard: everything it needs to sign a person in. */
export function publicSignInConfig(config: SignInConfig | undefined) {
  if (!config) return { enabled: false as const };
  return {
    enabled: true as const,
    issuer: config.issuer,
    discoveryUrl: `${config.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    clientId: config.clientId,
    scopes: [...SIGN_IN_SCOPES],
    responseType: 'code' as const,
    codeChallengeMethod: 'S256' as const,
    redirectPath: DASHBOARD_CALLBACK_PATH,
    postLogoutRedirectPath: DASHBOARD_SIGNED_OUT_PATH,
    /** Send this token as `Authorization: Bearer <token>` to /admin/v1. */
    bearerToken: 'id_token' as const,
    endSessionEndpoint: config.endSessionEndpoint ?? null,
  };
}
