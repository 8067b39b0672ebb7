/**
 * Request bodies of the management API. The same schemas validate requests and generate the
 * OpenAPI document, so the two cannot disagree.
 */
import * as z from 'zod';
import { ruleSchema, traitValueSchema } from '../engine/schema.js';

export const name = z.string().trim().min(1).max(200);
/** Feature names end up in keys, URLs and SDK code: a conservative, URL-safe alphabet. */
export const featureName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,149}$/, 'letters, digits, "_", ".", ":" or "-", starting with a letter or digit, at most 150');
export const tenantId = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^,[\s][^,]*$/, 'no commas, not starting with "[" or a space');
export const identifier = z.string().min(1).max(1000);
export const role = z.enum(['admin', 'editor', 'viewer']);
export const version = z.number().int().min(0);
export const jsonValue = z.json();

export const rolesSchema = z
  .object({
    organisation: z.literal('admin').optional(),
    projects: z.record(z.string().min(1), role).optional(),
    environments: z.record(z.string().min(1), role).optional(),
  })
  .strict()
  .refine((roles) => roles.organisation || Object.keys(roles.projects ?? {}).length || Object.keys(roles.environments ?? {}).length, {
    message: 'a token needs at least one role',
  });

export const updateOrganisationBody = z.object({ name, version: version.optional() }).strict();

export const createProjectBody = z
  .object({
    name,
    tenantTraitKey: z.string().min(1).max(200).default('tenant'),
  })
  .strict();
export const updateProjectBody = z
  .object({ name: name.optional(), tenantTraitKey: z.string().min(1).max(200).optional(), version: version.optional() })
  .strict();

export const createEnvironmentBody = z
  .object({
    name,
    /** Advanced: the key identities hash with; set it to keep Flagsmith buckets when migrating. */
    hashKey: z.string().min(1).max(200).optional(),
  })
  .strict();
export const updateEnvironmentBody = z.object({ name: name.optional(), version: version.optional() }).strict();

export const createServerKeyBody = z.object({ name }).strict();
export const createTokenBody = z.object({ name, roles: rolesSchema }).strict();

export const valueType = z.enum(['string', 'number', 'boolean', 'json']);

const optionInput = z.object({ value: jsonValue, defaultWeight: z.number().min(0).max(100) }).strict();

export const createFeatureBody = z
  .object({
    name: featureName,
    type: z.enum(['STANDARD', 'MULTIVARIATE']).default('STANDARD'),
    valueType: valueType.optional(),
    defaultEnabled: z.boolean().default(false),
    initialValue: jsonValue.default(null),
    options: z.array(optionInput).max(100).default([]),
    tags: z.array(z.string().min(1).max(100)).max(50).default([]),
    description: z.string().max(2000).default(''),
    owner: z.string().max(200).nullable().default(null),
  })
  .strict();

export const updateFeatureBody = z
  .object({
    defaultEnabled: z.boolean().optional(),
    initialValue: jsonValue.optional(),
    options: z
      .array(z.object({ id: z.string().optional(), value: jsonValue, defaultWeight: z.number().min(0).max(100) }).strict())
      .max(100)
      .optional(),
    tags: z.array(z.string().min(1).max(100)).max(50).optional(),
    description: z.string().max(2000).optional(),
    owner: z.string().max(200).nullable().optional(),
    version: version.optional(),
  })
  .strict();

export const patchFeatureStateBody = z
  .object({
    enabled: z.boolean().optional(),
    value: jsonValue.optional(),
    /** Multivariate weights by option id, 0-100 each, summing to at most 100. */
    weights: z.record(z.string(), z.number().min(0).max(100)).optional(),
    version: version.optional(),
  })
  .strict();

export const restoreVersionBody = z.object({ version: version.optional() }).strict().default({});

export const createSegmentBody = z
  .object({
    name,
    description: z.string().max(2000).default(''),
    rules: z.array(ruleSchema).min(1).max(100),
  })
  .strict();
export const updateSegmentBody = z
  .object({
    name: name.optional(),
    description: z.string().max(2000).optional(),
    rules: z.array(ruleSchema).min(1).max(100).optional(),
    version: version.optional(),
  })
  .strict();

export const putSegmentOverrideBody = z
  .object({
    priority: z.number().int().min(0).max(1_000_000).default(0),
    enabled: z.boolean(),
    value: jsonValue.optional(),
    version: version.optional(),
  })
  .strict();

export const putOverrideBody = z
  .object({ enabled: z.boolean(), value: jsonValue.optional(), version: version.optional() })
  .strict();

/** At most this many traits per identity: larger sets are refused, never truncated. */
export const MAX_TRAITS = 500;
export const traitsSchema = z
  .record(z.string().min(1).max(200), traitValueSchema.refine((v) => typeof v !== 'string' || v.length <= 2000, 'at most 2000 characters'))
  .refine((traits) => Object.keys(traits).length <= MAX_TRAITS, `at most ${MAX_TRAITS} traits`);

export const putIdentityBody = z.object({ traits: traitsSchema.default({}), version: version.optional() }).strict();

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(4096).optional(),
});

export const auditQuery = listQuery.extend({
  environment: z.string().optional(),
  feature: z.string().optional(),
  actor: z.string().optional(),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
});

export const staleFeaturesQuery = z.object({
  days: z.coerce.number().int().min(1).max(365).default(30).describe('No change and no evaluation for this many days.'),
});

export type CreateFeatureBody = z.infer<typeof createFeatureBody>;
export type UpdateFeatureBody = z.infer<typeof updateFeatureBody>;
export type PatchFeatureStateBody = z.infer<typeof patchFeatureStateBody>;
