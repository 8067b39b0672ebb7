/**
 * People signing in, for the integration tests: the local OpenID provider (oidc-provider) in this
 * process, the management API configured to trust it, and helpers to sign someone in through the
 * real authorization code + PKCE flow, or to forge a token signed with the provider's own key
 * (the tests hold it) for the shapes a real provider of another kind would issue.
 */
import { importJWK, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { UserDirectory } from '../../functions/domain/ports.js';
import { DASHBOARD_CALLBACK_PATH } from '../../functions/domain/sign-in.js';
import type { VerifierOptions } from '../../functions/http/sign-in-verifier.js';
import { type LocalOidcProvider, type LocalOidcUser, newSigningKey, startLocalOidcProvider } from '../../functions/local/oidc-provider.js';
import { signInWithCode, type Tokens } from './oidc-flow.js';
import { startTestApi, type TestApi } from './test-api.js';

/** The dashboard's origin, as the provider registers it (the flow never loads it: the code is taken from the redirect). */
export const APP_ORIGIN = 'http://dashboard.localhost';

export interface SignInFixture {
  api: TestApi;
  provider: LocalOidcProvider;
  /** The provider's signing key (private). */
  key: JWK;
  /** Signs `email` in through the code + PKCE flow. */
  signIn(email: string, options?: { groups?: string[] }): Promise<Tokens>;
  /** A token signed with the provider's key: claims default to a valid ID token for `sub`. */
  forge(claims: JWTPayload, options?: { header?: Record<string, unknown>; key?: JWK }): Promise<string>;
  close(): Promise<void>;
}

export async function startSignInFixture(
  options: { users?: LocalOidcUser[]; anyEmail?: boolean; audience?: string; clock?: () => Date; directory?: UserDirectory; verifier?: VerifierOptions } = {},
): Promise<SignInFixture> {
  const key = await newSigningKey();
  const provider = await startLocalOidcProvider({ appOrigins: [APP_ORIGIN], keys: [key], users: options.users ?? [], anyEmail: options.anyEmail ?? true });
  const api = await startTestApi({
    adminApi: { signIn: { ...provider.signIn, ...(options.audience ? { audience: options.audience } : {}) }, ...(options.verifier ? { verifier: options.verifier } : {}) },
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.directory ? { directory: options.directory } : {}),
  });
  return {
    api,
    provider,
    key,
    signIn: (email, signInOptions = {}) =>
      signInWithCode({ issuer: provider.issuer, clientId: provider.clientId, redirectUri: `${APP_ORIGIN}${DASHBOARD_CALLBACK_PATH}`, email, groups: signInOptions.groups ?? [] }),
    async forge(claims, forgeOptions = {}) {
      const signingKey = forgeOptions.key ?? key;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: provider.issuer, aud: provider.clientId, iat: now, exp: now + 300, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: key.kid as string, ...forgeOptions.header })
        .sign(await importJWK(signingKey, 'RS256'));
    },
    async close() {
      await api.close();
      await provider.close();
    },
  };
}
