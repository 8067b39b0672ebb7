/**
 * Request bodies of the management API. The same schemas validate requests and generate the
 * OpenAPI document, so the two cannot disagree.
 */
import * as z from 'zod';
import { ruleSchema, traitValueSchema } from '../engine/schema.js';
import { WEBHOOK_EVENT_TYPES } from './webhook-deliveries.js';

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

export const createServerKeyBody = z.object({ name }).strict();
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
  actor: z.string().optional().describe("An admin token's id, a person's user id, or a person's email address."),
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
const weights = z.record(z.string(), z.number().min(0).max(100));
/**
 * One change: to a feature state (`featureName` alone), to a segment override (with `segmentId`)
 * or to a tenant override (with `tenantId`). Fields left out keep their current values;
 * `remove: true` removes the override.
 */
export const changeInput = z
  .object({
    featureName,
    segmentId: z.string().min(1).max(100).optional().describe('Change this segment override of the feature, not its feature state.'),
    tenantId: z.string().min(1).max(200).optional().describe('Change this tenant override of the feature, not its feature state.'),
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
  .max(MAX_CHANGES, `at most ${MAX_CHANGES} changes per change set (it applies in one transaction)`);
const description = z.string().max(5000);
export const createChangeRequestBody = z.object({ title: name, description: description.default(''), changes: changeSet }).strict();
export const updateChangeRequestBody = z
  .object({ title: name.optional(), description: description.optional(), changes: changeSet.optional(), version: version.optional() })
  .strict();
/** Approve, apply and close may name the version of the request the caller reviewed. */
export const changeRequestActionBody = z.object({ version: version.optional() }).strict().default({});
export const commentChangeRequestBody = z.object({ text: z.string().trim().min(1).max(5000) }).strict();
const runAt = z.iso.datetime({ offset: true });
export const createScheduledChangeBody = z.union([
  z.object({ runAt, changes: changeSet }).strict(),
  z.object({ runAt, changeRequestId: z.string().min(1).max(100) }).strict(),
]);
export const staleFeaturesQuery = z.object({
  days: z.coerce.number().int().min(1).max(365).default(30).describe('No change and no evaluation for this many days.'),
});

export type CreateFeatureBody = z.infer<typeof createFeatureBody>;
export type UpdateFeatureBody = z.infer<typeof updateFeatureBody>;
export type PatchFeatureStateBody = z.infer<typeof patchFeatureStateBody>;
