/**
 * Bodies and queries of tenant self-service: the management API's tenant settings of a feature
 * and tenant token keys, and the /tenant/v1 API's own. Limits come from limits.ts.
 */
import * as z from 'zod';
import type { JsonValue } from './entities.js';
import { isStorableNumber, LIMITS, STORABLE_NUMBER_MESSAGE } from './limits.js';
import { createSegmentBody, jsonValue, listQuery, updateSegmentBody, version } from './schemas.js';

const storableNumber = z.number().refine(isStorableNumber, STORABLE_NUMBER_MESSAGE);

/** Asymmetric JWS algorithms only: `none` and HS* (a shared secret, or a public key misused as one) are never accepted. */
export const TENANT_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;

export const putTenantSettingsBody = z
  .object({
    label: z.string().trim().min(1).max(LIMITS.nameChars).optional().describe("What the tenant's settings panel shows instead of the feature's name."),
    description: z.string().max(LIMITS.descriptionChars).optional(),
    allowedValues: z.array(jsonValue).min(1).max(LIMITS.tenantAllowedValues).optional().describe('Tenants may choose only these values.'),
    minimum: storableNumber.optional(),
    maximum: storableNumber.optional(),
    schema: z
      .record(z.string(), jsonValue)
      .optional()
      .describe(`A JSON Schema (draft 2020-12, strict; patterns run on RE2) values must satisfy; at most ${LIMITS.tenantSchemaBytes / 1024} KiB.`),
    allowToggle: z.boolean().default(false).describe('Whether tenants may switch the feature on or off for themselves.'),
    version: version.optional().describe("The feature's version, to guard against lost updates."),
  })
  .strict() as unknown as z.ZodType<{
  label?: string | undefined;
  description?: string | undefined;
  allowedValues?: JsonValue[] | undefined;
  minimum?: number | undefined;
  maximum?: number | undefined;
  schema?: Record<string, JsonValue> | undefined;
  allowToggle: boolean;
  version?: number | undefined;
}>;

const origin = z
  .string()
  .max(200)
  .refine((text) => {
    try {
      const url = new URL(text);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === text;
    } catch {
      return false;
    }
  }, 'an origin: scheme, host and port only (https://app.example.com)');

export const createTenantKeyBody = z
  .object({
    name: z.string().trim().min(1).max(LIMITS.nameChars),
    jwksUrl: z.string().url().max(2000).optional().describe('Where your backend publishes its signing keys (https); fetched, cached, fetched again for a new key id.'),
    publicKey: z
      .union([z.string().max(LIMITS.tenantPublicKeyBytes), z.record(z.string(), z.unknown())])
      .optional()
      .describe('One public key: PEM (SPKI, "-----BEGIN PUBLIC KEY-----") or a JWK object. Never a private key.'),
    algorithms: z.array(z.enum(TENANT_TOKEN_ALGORITHMS)).min(1).max(TENANT_TOKEN_ALGORITHMS.length).optional().describe("Accepted algorithms (default: the public key's, or every asymmetric one for a JWKS)."),
    issuer: z.string().min(1).max(500).describe('The exact `iss` your tokens carry.'),
    audience: z.string().min(1).max(500).default('vexilla-tenant').describe('An `aud` your tokens must carry.'),
    maxLifetimeSeconds: z
      .number()
      .int()
      .min(30)
      .max(LIMITS.tenantTokenMaxLifetimeSeconds)
      .default(900)
      .describe(`The longest \`exp - iat\` accepted (at most ${LIMITS.tenantTokenMaxLifetimeSeconds}).`),
    allowedOrigins: z.array(origin).max(LIMITS.tenantKeyOrigins).default([]).describe('Browser origins (the pages embedding the settings panel) allowed to call /tenant/v1 with these tokens.'),
  })
  .strict()
  .refine((body) => (body.jwksUrl === undefined) !== (body.publicKey === undefined), { message: 'give jwksUrl or publicKey (one of them)', path: ['publicKey'] });

/** A tenant's choice for a feature: its value, and on/off where the feature lets tenants toggle it. */
export const putTenantValueBody = z
  .object({
    value: jsonValue.optional(),
    enabled: z.boolean().optional(),
    version: version.optional().describe("The tenant's override's version (0: none yet), to guard against lost updates."),
  })
  .strict();

export const tenantHistoryQuery = listQuery;

/** A tenant's own segment: the project's segment body without `tenantKey` (the token names the tenant). */
export const tenantSegmentBody = createSegmentBody.omit({ tenantKey: true });
export const tenantSegmentPatchBody = updateSegmentBody.omit({ tenantKey: true });
