/**
 * Request bodies of the management API. The same schemas validate requests and generate the
 * OpenAPI document, so the two cannot disagree.
 */
import * as z from 'zod';
import { ownRecord } from '../engine/own-record.js';
import { ruleSchema, type SegmentRule } from '../engine/schema.js';
import type { JsonValue } from './entities.js';
import { isWellFormed, jsonValueProblems } from './json-checks.js';
import { formatBytes, isStorableNumber, jsonBytes, LIMITS, STORABLE_NUMBER_MESSAGE, utf8Bytes } from './limits.js';
import { WEBHOOK_EVENT_TYPES } from './webhook-deliveries.js';


export const name = z.string().trim().min(1).max(LIMITS.nameChars);
/** Ids Vexilla generated; a path or body naming anything else names nothing. */
export const entityId = z
  .string()
  .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"')
  .min(1)
  .max(LIMITS.entityIdChars);
/** Feature names end up in keys, URLs and SDK code: a conservative, URL-safe alphabet. */
export const featureName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,149}$/, 'letters, digits, "_", ".", ":" or "-", starting with a letter or digit, at most 150');
export const tenantId = z
  .string()
  .min(1)
  .max(LIMITS.tenantIdChars)
  .regex(/^[^,[\s][^,]*$/, 'no commas, not starting with "[" or a space')
  .refine(isWellFormed, 'not valid Unicode')
  .check(z.refine((text: string) => utf8Bytes(text) <= LIMITS.tenantIdBytes, `at most ${LIMITS.tenantIdBytes} bytes (UTF-8)`))
  .meta({ 'x-max-bytes': LIMITS.tenantIdBytes });
/** Any string, as Flagsmith accepts (long ones are keyed by a digest: functions/data/keys.ts). */
export const identifier = z.string().min(1).max(LIMITS.identifierChars).refine(isWellFormed, 'not valid Unicode');
export const role = z.enum(['admin', 'editor', 'viewer']);
export const version = z.number().int().min(0);

/**
 * Any JSON value DynamoDB can store: at most {@link LIMITS.valueBytes} of JSON text and
 * {@link LIMITS.valueDepth} levels deep, numbers in DynamoDB's range, any object keys
 * (`__proto__` included). Checked without recursion.
 */
export const jsonValue = z
  .unknown()
  .superRefine((value, ctx) => {
    if (value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON value' });
      return;
    }
    for (const problem of jsonValueProblems(value, { maxDepth: LIMITS.valueDepth, maxBytes: LIMITS.valueBytes })) {
      ctx.addIssue({ code: 'custom', path: problem.path ? problem.path.split('.') : [], message: problem.message });
    }
  })
  .meta({
    description: `Any JSON value: at most ${formatBytes(LIMITS.valueBytes)} of JSON text, ${LIMITS.valueDepth} levels deep.`,
    'x-max-bytes': LIMITS.valueBytes,
    'x-max-depth': LIMITS.valueDepth,
  }) as unknown as z.ZodType<JsonValue>;

/** A trait's value: a string of at most {@link LIMITS.traitValueChars}, a number DynamoDB can store, a boolean or null. */
export const traitValue = z.union([
  z.string().max(LIMITS.traitValueChars).refine(isWellFormed, 'not valid Unicode'),
  z.number().refine(isStorableNumber, STORABLE_NUMBER_MESSAGE),
  z.boolean(),
  z.null(),
]);
export const traitKey = z.string().min(1).max(LIMITS.traitKeyChars).refine(isWellFormed, 'not valid Unicode');

/** A feature holds its initial value and every option value in one item: together they have a budget. */
function featureValuesBudget(values: unknown[], ctx: z.RefinementCtx): void {
  const bytes = values.reduce<number>((sum, value) => sum + jsonBytes(value), 0);
  if (bytes > LIMITS.featureValuesBytes) {
    ctx.addIssue({ code: 'custom', message: `the initial value and option values add up to ${bytes} bytes of JSON, more than the ${formatBytes(LIMITS.featureValuesBytes)} a feature holds` });
  }
}

/**
 * Problems of segment rules beyond their shape: nesting (each rule inside a rule is a level),
 * rules and conditions per level, condition sizes and numbers DynamoDB can store. No recursion.
 */
export function ruleProblems(rules: SegmentRule[]): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const stack: [SegmentRule, number, string][] = rules.map((rule, i) => [rule, 1, String(i)]);
  while (stack.length && problems.length < 10) {
    const [rule, depth, path] = stack.pop() as [SegmentRule, number, string];
    if (depth > LIMITS.ruleDepth) {
      problems.push({ path, message: `rules nested more than ${LIMITS.ruleDepth} levels deep` });
      continue;
    }
    const conditions = rule.conditions ?? [];
    const children = rule.rules ?? [];
    if (conditions.length > LIMITS.conditionsPerRule) problems.push({ path: `${path}.conditions`, message: `at most ${LIMITS.conditionsPerRule} conditions per rule` });
    if (children.length > LIMITS.rulesPerLevel) problems.push({ path: `${path}.rules`, message: `at most ${LIMITS.rulesPerLevel} rules per rule` });
    conditions.forEach((condition, j) => {
      const at = `${path}.conditions.${j}`;
      const property = condition.property ?? '';
      if (property.length > LIMITS.conditionPropertyChars || !isWellFormed(property)) {
        problems.push({ path: `${at}.property`, message: `at most ${LIMITS.conditionPropertyChars} characters of valid Unicode` });
      }
      const values = Array.isArray(condition.value) ? condition.value : [condition.value];
      for (const value of values) {
        if (typeof value === 'number' && !isStorableNumber(value)) problems.push({ path: `${at}.value`, message: STORABLE_NUMBER_MESSAGE });
        if (typeof value === 'string' && (value.length > LIMITS.conditionValueChars || !isWellFormed(value))) {
          problems.push({ path: `${at}.value`, message: `at most ${LIMITS.conditionValueChars} characters of valid Unicode` });
        }
      }
    });
    children.forEach((child, j) => stack.push([child, depth + 1, `${path}.rules.${j}`]));
  }
  return problems;
}

/** A segment's rules, within {@link ruleProblems}' limits. */
export const segmentRules = z
  .array(ruleSchema)
  .min(1)
  .max(LIMITS.rulesPerLevel)
  .superRefine((rules, ctx) => {
    for (const problem of ruleProblems(rules)) ctx.addIssue({ code: 'custom', path: problem.path.split('.'), message: problem.message });
  })
  .meta({ description: `Rules nested at most ${LIMITS.ruleDepth} levels deep.`, 'x-max-depth': LIMITS.ruleDepth });

export const rolesSchema = z
  .object({
    organisation: z.literal('admin').optional(),
    projects: ownRecord(entityId, role).optional(),
    environments: ownRecord(entityId, role).optional(),
  })
  .strict()
  .refine((roles) => roles.organisation || Object.keys(roles.projects ?? {}).length || Object.keys(roles.environments ?? {}).length, {
    message: 'at least one role',
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
export const updateEnvironmentBody = z
  .object({
    name: name.optional(),
    /** Approvals a change request needs; above 0, feature states and segment / tenant overrides change only through change requests. */
    requiredApprovals: z.number().int().min(0).max(5).optional(),
    version: version.optional(),
  })
  .strict();

export const createServerKeyBody = z
  .object({
    name,
    tenantKey: z
      .lazy(() => tenantKey)
      .optional()
      .describe("Scope the key to one tenant of the project: its environment document lists only that tenant's data, and it evaluates every identity as that tenant's or as naming no known tenant."),
  })
  .strict();
export const createTokenBody = z.object({ name, roles: rolesSchema }).strict();

/** Email addresses compare lower-cased: that is how identity providers treat them. */
export const email = z.email().max(254).transform((address) => address.toLowerCase());
export const createInvitationBody = z
  .object({ email, roles: rolesSchema, expiresInDays: z.number().int().min(1).max(30).default(7).describe('Days the invitation can be accepted in.') })
  .strict();
export const updateMemberBody = z.object({ roles: rolesSchema, version: version.optional() }).strict();
/** A group as the identity provider names it in the token's groups claim (a name, or an id such as Entra ID's). */
export const groupName = z.string().min(1).max(256).regex(/^[^\u0000-\u001f]+$/, 'no control characters');
export const putGroupRuleBody = z.object({ group: groupName, roles: rolesSchema, version: version.optional() }).strict();

export const valueType = z.enum(['string', 'number', 'boolean', 'json']);

/** A split percentage, 0-100, that DynamoDB can store (5e-324 is between 0 and 100, and it cannot). */
const percentage = z.number().min(0).max(100).refine(isStorableNumber, STORABLE_NUMBER_MESSAGE);
const optionInput = z.object({ value: jsonValue, defaultWeight: percentage }).strict();

/** Prerequisites per feature, and the longest chain of them (the engine fails far deeper ones). */
export const MAX_PREREQUISITES = 10;
export const MAX_PREREQUISITE_CHAIN = 10;
/** A feature that must be on for the same identity, optionally serving one option (by id) or one value. */
export const prerequisiteInput = z
  .object({
    featureName,
    variant: z.string().min(1).max(100).optional().describe('The id of the multivariate option the required feature must serve.'),
    value: z.union([z.string().max(2000), z.number(), z.boolean()]).optional().describe('The value the required feature must serve.'),
  })
  .strict()
  .refine((p) => p.variant === undefined || p.value === undefined, { message: 'a variant or a value, not both', path: ['value'] });
const prerequisites = z
  .array(prerequisiteInput)
  .max(MAX_PREREQUISITES)
  .describe('Features that must be on for the same identity, or this one is served off (reason PREREQUISITE_FAILED). Replaces the list; [] removes them.');

/** A tenant-scoped feature's tenants (keys): it exists only for them. Null: every tenant. */
const featureTenants = z
  .array(z.lazy(() => tenantKey))
  .min(1)
  .max(LIMITS.tenantsPerFeature)
  .refine((keys) => new Set(keys).size === keys.length, 'each tenant once')
  .nullable()
  .describe('A tenant-scoped feature exists only for these tenants (keys): everyone else is served it off. Null: every tenant.');

export const createFeatureBody = z
  .object({
    name: featureName,
    type: z.enum(['STANDARD', 'MULTIVARIATE']).default('STANDARD'),
    valueType: valueType.optional(),
    defaultEnabled: z.boolean().default(false),
    initialValue: jsonValue.default(null),
    options: z.array(optionInput).max(100).default([]),
    tags: z.array(z.string().min(1).max(100)).max(50).default([]),
    description: z.string().max(LIMITS.descriptionChars).default(''),
    owner: z.string().max(200).nullable().default(null),
    prerequisites: prerequisites.optional(),
    tenants: featureTenants.optional(),
  })
  .strict()
  .superRefine((body, ctx) => featureValuesBudget([body.initialValue, ...body.options.map((option) => option.value)], ctx));

export const updateFeatureBody = z
  .object({
    defaultEnabled: z.boolean().optional(),
    initialValue: jsonValue.optional(),
    options: z
      .array(z.object({ id: entityId.optional(), value: jsonValue, defaultWeight: percentage }).strict())
      .max(100)
      .optional(),
    tags: z.array(z.string().min(1).max(100)).max(50).optional(),
    description: z.string().max(LIMITS.descriptionChars).optional(),
    owner: z.string().max(200).nullable().optional(),
    prerequisites: prerequisites.optional(),
    tenants: featureTenants.optional(),
    version: version.optional(),
  })
  .strict()
  .superRefine((body, ctx) => featureValuesBudget([body.initialValue ?? null, ...(body.options ?? []).map((option) => option.value)], ctx));

/** Multivariate weights by option id, 0-100 each, summing to at most 100. */
const weights = ownRecord(entityId, percentage);

/** `force=true` deletes a feature other features require (they are then served off). */
export const deleteFeatureQuery = z.object({ force: z.enum(['true', 'false']).default('false') });

export const patchFeatureStateBody = z
  .object({
    enabled: z.boolean().optional(),
    value: jsonValue.optional(),
    weights: weights.optional(),
    version: version.optional(),
  })
  .strict();

export const restoreVersionBody = z.object({ version: version.optional() }).strict().default({});

const segmentTenantKey = z.lazy(() => tenantKey.nullable());
export const createSegmentBody = z
  .object({
    name,
    description: z.string().max(LIMITS.descriptionChars).default(''),
    rules: segmentRules,
    tenantKey: segmentTenantKey.default(null).describe("A tenant's key: the segment then only ever matches that tenant's identities. Null (default): project-wide."),
  })
  .strict();
export const updateSegmentBody = z
  .object({
    name: name.optional(),
    description: z.string().max(LIMITS.descriptionChars).optional(),
    rules: segmentRules.optional(),
    tenantKey: segmentTenantKey.optional().describe("Scope the segment to this tenant, or null to make it project-wide."),
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
export const MAX_TRAITS = LIMITS.traitsPerIdentity;
/** Problems of an identity's stored traits as a whole: how many, and how large. */
export function traitsBudgetProblems(traits: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (Object.keys(traits).length > MAX_TRAITS) problems.push(`at most ${MAX_TRAITS} traits`);
  const bytes = jsonBytes(traits);
  if (bytes > LIMITS.traitsBytes) problems.push(`traits of ${bytes} bytes of JSON, more than the ${formatBytes(LIMITS.traitsBytes)} an identity keeps`);
  return problems;
}
/** Traits by key; any key, `__proto__` and `constructor` included, round-trips. */
export const traitsSchema = ownRecord(traitKey, traitValue).superRefine((traits, ctx) => {
  for (const message of traitsBudgetProblems(traits)) ctx.addIssue({ code: 'custom', message });
});

export const putIdentityBody = z.object({ traits: traitsSchema.default({}), version: version.optional() }).strict();

/**
 * A tenant key: the value identities carry in the project's tenant trait, as tenant overrides
 * name tenants. A number-like key must be written as an integer prints (`42`, not `042` or
 * `4.0`): SDKs send such traits as numbers, and `042` would name a different tenant to each.
 */
export const tenantKey = tenantId.refine(
  (key) => !/^-?[0-9]+(\.[0-9]+)?$/.test(key) || /^(0|-?[1-9][0-9]*)$/.test(key),
  'a number-like key is written as an integer prints (42, not 042 or 4.0)',
);
/** Tenant traits (any name; conditions read them as `tenant.<name>`); no nulls: leave a trait out to unset it. */
export const tenantTraitsSchema = ownRecord(traitKey, z.union([traitValue.options[0], traitValue.options[1], traitValue.options[2]])).superRefine((traits, ctx) => {
  const count = Object.keys(traits).length;
  if (count > LIMITS.traitsPerTenant) ctx.addIssue({ code: 'custom', message: `at most ${LIMITS.traitsPerTenant} traits (${count} given)` });
  const bytes = jsonBytes(traits);
  if (bytes > LIMITS.tenantTraitsBytes) ctx.addIssue({ code: 'custom', message: `traits of ${bytes} bytes of JSON, more than the ${formatBytes(LIMITS.tenantTraitsBytes)} a tenant keeps` });
});
/**
 * Changes to a tenant's traits, merged into what it has (a JSON merge patch, RFC 7396, one level
 * deep): a value sets the trait, null removes it, traits left out stay. The tenant-update event
 * carries these; the same limits as a whole set of traits (checked again after the merge).
 */
export const tenantTraitChangesSchema = ownRecord(traitKey, traitValue).superRefine((changes, ctx) => {
  const count = Object.keys(changes).length;
  if (count > LIMITS.traitsPerTenant) ctx.addIssue({ code: 'custom', message: `at most ${LIMITS.traitsPerTenant} traits (${count} given)` });
  const bytes = jsonBytes(changes);
  if (bytes > LIMITS.tenantTraitsBytes) ctx.addIssue({ code: 'custom', message: `traits of ${bytes} bytes of JSON, more than the ${formatBytes(LIMITS.tenantTraitsBytes)} a tenant keeps` });
});
/** `PUT …/tenants/{tenantKey}`: creates the tenant or replaces its name and traits. */
export const putTenantBody = z
  .object({
    name: name.optional().describe('Defaults to the key (when created) or the current name.'),
    traits: tenantTraitsSchema.default({}).describe('Replaces every trait; segment conditions read them as property `tenant.<trait>`.'),
    templates: z
      .array(z.lazy(() => templateKey))
      .max(LIMITS.templatesPerProject)
      .refine((keys) => new Set(keys).size === keys.length, 'each template once')
      .optional()
      .describe('The templates assigned to the tenant (keys; replaces the list). Omitted: unchanged.'),
    version: version.optional().describe('The version this replaces (409 when it moved); 0 to create only.'),
  })
  .strict();

/** A template's key: as feature names are written (it names the template in reasons, `TEMPLATE:<key>`). */
export const templateKey = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'letters, digits, "_", "." and "-", starting with a letter or digit');

/** Template rules: conditions on tenant traits only (`tenant.<trait>`), since a template applies to whole tenants. */
const templateRules = z
  .array(ruleSchema)
  .max(LIMITS.rulesPerLevel)
  .superRefine((rules, ctx) => {
    for (const problem of ruleProblems(rules)) ctx.addIssue({ code: 'custom', path: problem.path.split('.'), message: problem.message });
  })
  .superRefine((rules, ctx) => {
    const walk = (rule: SegmentRule, path: (string | number)[]): void => {
      (rule.conditions ?? []).forEach((condition, i) => {
        if (!condition.property?.startsWith('tenant.') || condition.property.length === 'tenant.'.length) {
          ctx.addIssue({ code: 'custom', path: [...path, 'conditions', i, 'property'], message: 'a template rule reads tenant traits only: property tenant.<trait>' });
        }
      });
      (rule.rules ?? []).forEach((sub, i) => walk(sub, [...path, 'rules', i]));
    };
    rules.forEach((rule, i) => walk(rule, [i]));
  });

/** `PUT …/templates/{templateKey}`: creates the template or replaces its definition. */
export const putTemplateBody = z
  .object({
    name: name.optional().describe('Defaults to the key (when created) or the current name.'),
    description: z.string().max(LIMITS.descriptionChars).default(''),
    rank: z.number().int().min(0).max(1_000_000).default(0).describe("Templates apply in rank order (lower first, then by key): the first that sets a feature wins for a tenant."),
    rules: templateRules.default([]).describe('Applies to tenants whose traits satisfy these rules (conditions on tenant.<trait>), besides those assigned to it. Empty: by assignment only.'),
    version: version.optional().describe('The version this replaces (409 when it moved); 0 to create only.'),
  })
  .strict();

/** `PUT …/environments/{envId}/templates/{templateKey}/values`: the template's feature values in one environment, replaced whole. */
export const putTemplateValuesBody = z
  .object({
    values: ownRecord(featureName, z.object({ enabled: z.boolean(), value: jsonValue.optional() }).strict())
      .superRefine((values, ctx) => {
        const count = Object.keys(values).length;
        if (count > LIMITS.templateValues) ctx.addIssue({ code: 'custom', message: `at most ${LIMITS.templateValues} features (${count} given)` });
      })
      .describe("By feature name: what the template serves (a value omitted: the feature's initial value)."),
    version: version.optional().describe('The version this replaces (409 when it moved); 0 to create only.'),
  })
  .strict();

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(LIMITS.cursorChars).optional(),
});

export const listSegmentsQuery = listQuery.extend({
  tenantKey: tenantKey.optional().describe("Only this tenant's segments."),
});

export const listTenantsQuery = listQuery.extend({
  search: z.string().trim().min(1).max(LIMITS.filterChars).optional().describe('Tenants whose key or name contains this (any case).'),
});

const filter = z.string().max(LIMITS.filterChars);
export const auditQuery = listQuery.extend({
  environment: filter.optional(),
  feature: filter.optional(),
  actor: filter.optional().describe("An admin token's id, a person's user id, or a person's email address."),
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
});

/** Webhook targets: http(s) only, and no credentials in the URL (they would show in every listing and log). */
export const webhookUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .refine((url) => {
    // Zod runs refinements after a failed check too: an unparsable URL is already reported.
    const parsed = URL.canParse(url) ? new URL(url) : undefined;
    return !parsed || (parsed.username === '' && parsed.password === '');
  }, 'no user name or password in the URL: authenticate with the signature');
export const webhookEvents = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .max(WEBHOOK_EVENT_TYPES.length)
  .refine((events) => new Set(events).size === events.length, 'each detail-type once')
  .describe('Detail-types to deliver; empty: all of them.');
export const createWebhookBody = z
  .object({ url: webhookUrl, events: webhookEvents.default([]), enabled: z.boolean().default(true), description: z.string().max(2000).default('') })
  .strict();
export const updateWebhookBody = z
  .object({ url: webhookUrl.optional(), events: webhookEvents.optional(), enabled: z.boolean().optional(), description: z.string().max(2000).optional(), version: version.optional() })
  .strict();
export const deliveriesQuery = listQuery.extend({
  status: z.enum(['pending', 'retrying', 'delivered', 'failed']).optional().describe('`failed` is the dead-letter list.'),
});
/** Changes per change set: each is 3 writes of one DynamoDB transaction (at most 100 items). */
export const MAX_CHANGES = 25;
/**
 * One change: to a feature state (`featureName` alone), to a segment override (with `segmentId`)
 * or to a tenant override (with `tenantId`). Fields left out keep their current values;
 * `remove: true` removes the override.
 */
export const changeInput = z
  .object({
    featureName,
    segmentId: entityId.optional().describe('Change this segment override of the feature, not its feature state.'),
    tenantId: tenantId.optional().describe('Change this tenant override of the feature, not its feature state.'),
    enabled: z.boolean().optional(),
    value: jsonValue.optional(),
    weights: weights.optional().describe('Feature states only.'),
    priority: z.number().int().min(0).max(1_000_000).optional().describe('Segment overrides only; lower wins.'),
    remove: z.literal(true).optional().describe('Remove the override (nothing else may be given).'),
  })
  .strict()
  .superRefine((change, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    const override = change.segmentId !== undefined || change.tenantId !== undefined;
    if (change.segmentId !== undefined && change.tenantId !== undefined) problem('tenantId', 'a change targets a segment override or a tenant override, not both');
    if (override && change.weights !== undefined) problem('weights', 'only feature-state changes have weights');
    if (change.priority !== undefined && change.segmentId === undefined) problem('priority', 'only segment-override changes have a priority');
    if (change.remove && !override) problem('remove', 'only overrides can be removed (give segmentId or tenantId)');
    if (change.remove && (change.enabled !== undefined || change.value !== undefined || change.priority !== undefined)) problem('remove', 'a removal takes no enabled, value or priority');
  });
const changeSet = z
  .array(changeInput)
  .min(1)
  .max(MAX_CHANGES, `at most ${MAX_CHANGES} changes per change set (it applies in one transaction)`)
  .superRefine((changes, ctx) => {
    const bytes = changes.reduce((sum, change) => sum + (change.value === undefined ? 0 : jsonBytes(change.value)), 0);
    if (bytes > LIMITS.changeSetValuesBytes) {
      ctx.addIssue({ code: 'custom', message: `the values add up to ${bytes} bytes of JSON, more than the ${formatBytes(LIMITS.changeSetValuesBytes)} a change set holds: split it` });
    }
  });
const description = z.string().max(LIMITS.changeRequestDescriptionChars);
export const createChangeRequestBody = z.object({ title: name, description: description.default(''), changes: changeSet }).strict();
export const updateChangeRequestBody = z
  .object({ title: name.optional(), description: description.optional(), changes: changeSet.optional(), version: version.optional() })
  .strict();
/** Approve, apply and close may name the version of the request the caller reviewed. */
export const changeRequestActionBody = z.object({ version: version.optional() }).strict().default({});
export const commentChangeRequestBody = z.object({ text: z.string().trim().min(1).max(LIMITS.commentChars) }).strict();
const runAt = z.iso.datetime({ offset: true });
export const createScheduledChangeBody = z.union([
  z.object({ runAt, changes: changeSet }).strict(),
  z.object({ runAt, changeRequestId: entityId }).strict(),
]);
/** Rollout steps are percentages with at most two decimals (PERCENTAGE_SPLIT buckets are 1/9,999 wide). */
const rolloutPercentage = z
  .number()
  .gt(0)
  .max(100)
  // Positive with two decimals at most: 0.01 or more (which also keeps it storable in DynamoDB).
  .refine((p) => Math.round(p * 100) >= 1 && Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, 'at most two decimals');
export const MAX_ROLLOUT_STEPS = 100;
export const MAX_GUARD_ALARMS = 10;
/** 30 days: the longest bake, and the longest final bake. */
const MAX_BAKE_SECONDS = 30 * 86_400;
export const rolloutSteps = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('linear'), steps: z.number().int().min(1).max(MAX_ROLLOUT_STEPS).describe('Equal steps to 100%.') }).strict(),
    z
      .object({
        type: z.literal('exponential'),
        start: rolloutPercentage.refine((p) => p < 100, 'below 100').describe('The first percentage.'),
        factor: z.number().min(1.1).max(100).describe('Each step multiplies the last, until 100%.'),
      })
      .strict(),
    z.object({ type: z.literal('percentages'), percentages: z.array(rolloutPercentage).min(1).max(MAX_ROLLOUT_STEPS).describe('Rising percentages; 100 is added when missing.') }).strict(),
  ])
  .describe('How the percentage grows: linear, exponential, or explicit percentages.');
/** A CloudWatch alarm name: 1 to 255 characters, no control characters. */
const ALARM_NAME = /^[^\u0000-\u001f]{1,255}$/;
/** The part of an alarm ARN before the name (the name is checked on its own: one pattern with both is too big for the ReDoS checker's automaton). */
const ALARM_ARN_PREFIX = /^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:/;
/** A CloudWatch alarm by name or by ARN. */
export const guardAlarm = z.union([
  z
    .string()
    .max(2048)
    .refine((arn) => ALARM_ARN_PREFIX.test(arn) && ALARM_NAME.test(arn.replace(ALARM_ARN_PREFIX, '')), 'an alarm ARN: arn:aws:cloudwatch:<region>:<account>:alarm:<name>'),
  z.string().regex(ALARM_NAME, 'an alarm name: 1 to 255 characters, no control characters').refine((name) => !name.startsWith('arn:'), 'an ARN must be a CloudWatch alarm ARN'),
]);
export const createRolloutBody = z
  .object({
    featureName,
    target: z
      .object({
        enabled: z.boolean().default(true),
        value: jsonValue.optional().describe('The value to serve (default: the current one).'),
        variant: z.string().min(1).max(100).optional().describe('A multivariate option id: everyone rolled out gets it.'),
      })
      .strict()
      .refine((t) => t.value === undefined || t.variant === undefined, { message: 'a value or a variant, not both', path: ['variant'] })
      .default({ enabled: true })
      .describe('What identities in the rollout are served: on (default), a value or a variant.'),
    steps: rolloutSteps,
    bakeSeconds: z.number().int().min(1).max(MAX_BAKE_SECONDS).describe('How long each step is served before the next.'),
    finalBakeSeconds: z.number().int().min(0).max(MAX_BAKE_SECONDS).default(0).describe('How long 100% is served, still guarded, before the rollout completes.'),
    guardAlarms: z
      .array(guardAlarm)
      .max(MAX_GUARD_ALARMS)
      .refine((alarms) => new Set(alarms).size === alarms.length, 'each alarm once')
      .default([])
      .describe('CloudWatch alarms (names or ARNs) whose ALARM state rolls the rollout back.'),
    description: z.string().max(LIMITS.descriptionChars).default(''),
  })
  .strict();
/** Pause, resume, advance and abort may name the version of the rollout the caller saw. */
export const rolloutActionBody = z.object({ version: version.optional() }).strict().default({});
export const simulateAlarmBody = z
  .object({
    alarmName: z.string().regex(ALARM_NAME, 'an alarm name: 1 to 255 characters'),
    state: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
    reason: z.string().min(1).max(1023).default('Simulated in the local stack'),
  })
  .strict();

export const staleFeaturesQuery = z.object({
  days: z.coerce.number().int().min(1).max(365).default(30).describe('No change and no evaluation for this many days.'),
});

export type CreateFeatureBody = z.infer<typeof createFeatureBody>;
export type UpdateFeatureBody = z.infer<typeof updateFeatureBody>;
export type PatchFeatureStateBody = z.infer<typeof patchFeatureStateBody>;
export const evaluationAnalyticsQuery = z.object({
  days: z.coerce.number().int().min(1).max(90).default(14).describe('The last N days, today included (UTC).'),
  feature: featureName.optional().describe('One feature only.'),
});
export const environmentOverridesQuery = z.object({ feature: featureName.optional().describe('One feature only.') });

/**
 * Every path parameter of the route table, declared once: both routers validate them before
 * anything reads the table, so no path can name a key DynamoDB would refuse.
 */
export const pathParameters = {
  orgId: entityId,
  projectId: entityId,
  envId: entityId,
  tokenId: entityId,
  keyId: entityId,
  segmentId: entityId,
  webhookId: entityId,
  deliveryId: entityId,
  changeRequestId: entityId,
  scheduledChangeId: entityId,
  jobId: entityId,
  rolloutId: entityId,
  /** People (`usr_…`), their invitations (`inv_…`) and group rules (`grp_…`). */
  userId: entityId,
  invitationId: entityId,
  ruleId: entityId,
  featureName,
  tenantId,
  tenantKey,
  templateKey,
  identifier,
  version: z.string().regex(/^[1-9][0-9]{0,11}$/, 'a version number'),
  /** OFREP's flag key: a feature name. */
  key: featureName,
  /** The environment key's hash prefix the edge puts in cached paths (`/edge/{edgeKey}/…`; EDGE_KEY_LENGTH hex digits, a unit test keeps them equal). */
  edgeKey: z.string().regex(/^[0-9a-f]{16}$/, 'an edge key (hex)'),
} satisfies Record<string, z.ZodType<string>>;
export type PathParameter = keyof typeof pathParameters;

/** The problems of a request's path parameters, `{path, message}` each; every name must be declared above. */
export function pathParameterProblems(params: Record<string, string | undefined>): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  for (const [name, value] of Object.entries(params)) {
    const schema = Object.hasOwn(pathParameters, name) ? pathParameters[name as PathParameter] : undefined;
    if (!schema) {
      problems.push({ path: name, message: 'not a declared path parameter' });
      continue;
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => ({ path: name, message: issue.message })));
  }
  return problems;
}
