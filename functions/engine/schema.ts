import * as z from 'zod';
import { ownRecord } from './own-record.js';

/**
 * The evaluation context and result, in Flagsmith's EvaluationContext / EvaluationResult shapes
 * (sdk/evaluation-context.json and sdk/evaluation-result.json upstream), plus Vexilla's tenant
 * overrides. The zod schemas are the single source of both the runtime checks and the types.
 */

export const OPERATORS = [
  'EQUAL',
  'NOT_EQUAL',
  'GREATER_THAN',
  'GREATER_THAN_INCLUSIVE',
  'LESS_THAN',
  'LESS_THAN_INCLUSIVE',
  'CONTAINS',
  'NOT_CONTAINS',
  'REGEX',
  'IN',
  'MODULO',
  'PERCENTAGE_SPLIT',
  'IS_SET',
  'IS_NOT_SET',
] as const;
export type ConditionOperator = (typeof OPERATORS)[number];

export const RULE_TYPES = ['ALL', 'ANY', 'NONE'] as const;
export type RuleType = (typeof RULE_TYPES)[number];

// Priorities are plain numbers; -Infinity is allowed in memory for identity overrides, which
// always win, as Flagsmith's own mapper does.
const priority = z.custom<number>((v) => typeof v === 'number' && !Number.isNaN(v), {
  message: 'expected a number',
});

/** Any JSON value: feature values are strings, numbers, booleans, null or remote-config JSON. */
const jsonValue = z.unknown();

const metadata = z.record(z.string(), z.unknown());

export const variantSchema = z.object({
  value: jsonValue,
  weight: z.number().min(0).max(100),
  priority: priority.optional(),
  /** Stable variant key, returned as the flag's `variant` when the identity lands in it. */
  key: z.string().optional(),
});

/**
 * Vexilla's extension of Flagsmith's FeatureContext: another feature that must be on for the same
 * identity (optionally serving a given variant or value), or this one is served off with reason
 * `PREREQUISITE_FAILED`. Read on `features` only; overrides carry none.
 */
export const prerequisiteSchema = z.object({
  /** The required feature's name (a key of `features`). */
  feature: z.string(),
  /** The variant key it must serve (multivariate features), when given. */
  variant: z.string().optional().nullable(),
  /** The value it must serve, when given. */
  value: z.union([z.string(), z.number(), z.boolean()]).optional().nullable(),
});

export const featureContextSchema = z.object({
  /** The hashing key: Flagsmith's feature-state id, so multivariate buckets match its SDKs. */
  key: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  value: jsonValue,
  variants: z.array(variantSchema).optional().nullable(),
  priority: priority.optional().nullable(),
  metadata: metadata.optional().nullable(),
  /** Vexilla's extension: features that must be on for the same identity (see {@link prerequisiteSchema}). */
  prerequisites: z.array(prerequisiteSchema).optional().nullable(),
});

const conditionValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.union([z.string(), z.number(), z.boolean()])),
]);

export const conditionSchema = z.object({
  operator: z.enum(OPERATORS),
  property: z.string().optional().nullable(),
  value: conditionValue.optional(),
});

export interface SegmentRule {
  type: RuleType;
  conditions?: z.infer<typeof conditionSchema>[] | null | undefined;
  rules?: SegmentRule[] | null | undefined;
}

export const ruleSchema: z.ZodType<SegmentRule> = z.lazy(() =>
  z.object({
    type: z.enum(RULE_TYPES),
    conditions: z.array(conditionSchema).optional().nullable(),
    rules: z.array(ruleSchema).optional().nullable(),
  }),
);

export const segmentContextSchema = z.object({
  /** The hashing key for PERCENTAGE_SPLIT: Flagsmith's segment id. */
  key: z.string(),
  name: z.string(),
  rules: z.array(ruleSchema),
  overrides: z.array(featureContextSchema).optional().nullable(),
  metadata: metadata.optional().nullable(),
  /** Vexilla's extension: the reason its overrides report (default `TARGETING_MATCH; segment=<name>`). */
  reason: z.string().optional().nullable(),
});

export const traitValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const identityContextSchema = z.object({
  identifier: z.string(),
  /** Hashing key; `<environment key>_<identifier>` when absent, as Flagsmith derives it. */
  key: z.string().optional().nullable(),
  // Any trait key, `__proto__` and `constructor` included (see records.ts).
  traits: ownRecord(z.string(), traitValueSchema).optional().nullable(),
});

/** Tenant ids become IN-condition values in Flagsmith documents: no commas, not a JSON array. */
export const tenantIdSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^,[][^,]*$/, 'must not contain commas or start with "["');

export const tenantOverridesSchema = z.object({
  /** The identity trait that names the tenant. @default 'tenant' */
  traitKey: z.string().min(1).optional(),
  /** Overrides per tenant id; they rank below identity overrides and above segment overrides. */
  overrides: ownRecord(tenantIdSchema, z.array(featureContextSchema.omit({ priority: true }))),
  /**
   * Vexilla's extension: each tenant's traits, which segment conditions read as property
   * `tenant.<trait>` (the identity's tenant found by `traitKey`). With this part present,
   * `tenant.`-prefixed properties are never read from the identity's own traits.
   */
  traits: ownRecord(tenantIdSchema, ownRecord(z.string(), traitValueSchema)).optional().nullable(),
  /**
   * Tenant-scoped segments per tenant: each only ever matches identities of its tenant. Their
   * overrides rank below the tenant's own overrides and above templates (override `priority`
   * orders them among themselves, lower first).
   */
  segments: ownRecord(tenantIdSchema, z.array(segmentContextSchema)).optional().nullable(),
  /**
   * Templates, in order (the first that applies to a tenant wins): named sets of feature values
   * for the tenants `tenants` lists, and for those whose traits satisfy `rules` (conditions on
   * `tenant.<trait>`; no rules: assignment only). They rank below tenant-scoped segments and
   * above project segments.
   */
  templates: z
    .array(
      z.object({
        key: z.string().min(1),
        tenants: z.array(tenantIdSchema).optional().nullable(),
        rules: z.array(ruleSchema).optional().nullable(),
        overrides: z.array(featureContextSchema.omit({ priority: true })),
      }),
    )
    .optional()
    .nullable(),
  /** Tenant-scoped features: each exists only for the tenants listed; everyone else is served it off. */
  features: ownRecord(z.string(), z.array(tenantIdSchema)).optional().nullable(),
});

export const environmentContextSchema = z.object({
  key: z.string(),
  name: z.string(),
});

/** Everything in a context except the identity: what is compiled once per environment. */
export const environmentPartsSchema = z.object({
  environment: environmentContextSchema,
  features: z.record(z.string(), featureContextSchema).optional().nullable(),
  segments: z.record(z.string(), segmentContextSchema).optional().nullable(),
  tenants: tenantOverridesSchema.optional().nullable(),
});

export const evaluationContextSchema = environmentPartsSchema.extend({
  identity: identityContextSchema.optional().nullable(),
});

export type Variant = z.infer<typeof variantSchema>;
export type Prerequisite = z.infer<typeof prerequisiteSchema>;
export type FeatureContext = z.infer<typeof featureContextSchema>;
export type SegmentCondition = z.infer<typeof conditionSchema>;
export type SegmentContext = z.infer<typeof segmentContextSchema>;
export type TraitValue = z.infer<typeof traitValueSchema>;
export type IdentityContext = z.infer<typeof identityContextSchema>;
export type TenantOverrides = z.infer<typeof tenantOverridesSchema>;
export type EnvironmentContext = z.infer<typeof environmentContextSchema>;
export type EnvironmentParts = z.infer<typeof environmentPartsSchema>;
export type EvaluationContext = z.infer<typeof evaluationContextSchema>;

export interface FlagResult {
  name: string;
  enabled: boolean;
  value: unknown;
  reason: string;
  /** The key of the variant the identity landed in, when the variant has one. */
  variant: string | null;
  metadata?: Record<string, unknown>;
}

export interface SegmentResult {
  name: string;
  metadata?: Record<string, unknown>;
}

export interface EvaluationResult {
  flags: Record<string, FlagResult>;
  segments: SegmentResult[];
}

/** A context that does not match the schema; `issues` name each offending field. */
export class EvaluationContextError extends Error {
  override readonly name = 'EvaluationContextError';
  constructor(
    readonly issues: { path: string; message: string }[],
  ) {
    super(`Invalid evaluation context: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`);
  }
}

/** Parses with `schema`, throwing an {@link EvaluationContextError} that names the fields. */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, prefix = ''): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new EvaluationContextError(
    parsed.error.issues.map((issue) => ({
      path: [prefix, ...issue.path.map(String)].filter(Boolean).join('.'),
      message: issue.message,
    })),
  );
}
