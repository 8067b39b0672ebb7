/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles only (an esbuild alias,
 * `LAMBDA_CREDENTIALS_ALIAS` in lib/functions.ts): Lambda gives a function its role's credentials
 * in environment variables, so the rest of the default chain (SSO, STS web identity, INI files,
 * the instance metadata service) is dead weight there. The local stack and the tests use the real
 * chain.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** The signature the SDK clients call: `defaultProvider(init)` returns a credential provider. */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
