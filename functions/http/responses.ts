/**
 * What each management operation answers, as zod schemas keyed by operation name: the OpenAPI
 * document describes responses from them, so the dashboard's generated client is typed end to
 * end. Each schema is checked against the domain type it describes (`satisfies`), so a field
 * added to an entity without a line here fails the type check; test/integration/openapi-responses
 * checks real answers against them.
 */
import * as z from 'zod';
import type {
  ChangeConflict,
  ChangeEvent,
  ChangeRequest,
  DetailType,
  Environment,
  Feature,
  FeatureState,
  FeatureStateVersion,
  Identity,
  IdentityOverride,
  JsonValue,
  Organisation,
  Project,
  ProposedChange,
  ScheduledChange,
  Segment,
  SegmentOverride,
  Template,
  TemplateValues,
  Tenant,
  TenantOverride,
} from '../domain/entities.js';
import type { FlagsMatrix } from '../domain/use-cases/flags-matrix.js';
import type { ExplainedIdentity } from '../domain/use-cases/explain-identity.js';
import type { EvaluationAnalytics } from '../domain/use-cases/evaluation-analytics.js';
import type { ApiKeyView, TokenView } from '../domain/use-cases/organisation.js';
import type { StaleFeatures } from '../domain/use-cases/stale-features.js';
import type { DeliveryView, WebhookView } from '../domain/use-cases/webhooks.js';
import { actorRefSchema } from '../domain/actor-schema.js';
import { jsonValue } from '../domain/schemas.js';
import { ruleSchema, traitValueSchema } from '../engine/schema.js';
import { detailTypes } from '../events/detail-types.js';

/** Schemas with a name of their own: components of the OpenAPI document. */
export const registry = z.registry<{ id: string }>();

// Recursive schemas that requests and responses share: named once, referenced everywhere.
registry.add(ruleSchema, { id: 'SegmentRule' });
registry.add(jsonValue, { id: 'JsonValue' });

const json = jsonValue as z.ZodType<JsonValue>;
const stamped = { createdAt: z.string(), updatedAt: z.string(), version: z.number().int() };
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), cursor: z.string().optional().describe('Pass it back for the next page; absent on the last.') });
const items = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
const role = z.enum(['admin', 'editor', 'viewer']);
const actorRef = actorRefSchema;
// Every detail-type the bus carries, from the event contract (one source of truth).
const detailType = z.enum(detailTypes as [DetailType, ...DetailType[]]);

export const organisation = z.object({ type: z.literal('organisation'), id: z.string(), name: z.string(), ...stamped }).register(registry, { id: 'Organisation' }) satisfies z.ZodType<Organisation>;
export const project = z
  .object({ type: z.literal('project'), id: z.string(), orgId: z.string(), name: z.string(), tenantTraitKey: z.string(), ...stamped })
  .register(registry, { id: 'Project' }) satisfies z.ZodType<Project>;
export const environment = z
  .object({
    type: z.literal('environment'),
    id: z.string(),
    orgId: z.string(),
    projectId: z.string(),
    name: z.string(),
    hashKey: z.string(),
    requiredApprovals: z.number().int().optional(),
    ...stamped,
  })
  .register(registry, { id: 'Environment' }) satisfies z.ZodType<Environment>;
export const apiKey = z
  .object({
    type: z.literal('api-key'),
    id: z.string(),
    kind: z.enum(['client', 'server']),
    prefix: z.string(),
    name: z.string(),
    orgId: z.string(),
    projectId: z.string(),
    envId: z.string(),
    tenantKey: z.string().optional(),
    createdAt: z.string(),
  })
  .register(registry, { id: 'ApiKey' }) satisfies z.ZodType<ApiKeyView>;
export const token = z
  .object({
    type: z.literal('token'),
    id: z.string(),
    prefix: z.string(),
    name: z.string(),
    orgId: z.string(),
    roles: z.object({ organisation: z.literal('admin').optional(), projects: z.record(z.string(), role).optional(), environments: z.record(z.string(), role).optional() }),
    environmentProjects: z.record(z.string(), z.string()).optional(),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .register(registry, { id: 'AdminToken' }) satisfies z.ZodType<TokenView>;

export const feature = z
  .object({
    type: z.literal('feature'),
    id: z.string(),
    numericId: z.number().int(),
    orgId: z.string(),
    projectId: z.string(),
    name: z.string(),
    kind: z.enum(['STANDARD', 'MULTIVARIATE']),
    valueType: z.enum(['string', 'number', 'boolean', 'json']),
    defaultEnabled: z.boolean(),
    initialValue: json,
    options: z.array(z.object({ id: z.string(), numericId: z.number().int(), value: json, defaultWeight: z.number() })),
    tags: z.array(z.string()),
    description: z.string(),
    owner: z.string().nullable(),
    prerequisites: z
      .array(z.object({ featureName: z.string(), variant: z.string().optional(), value: z.union([z.string(), z.number(), z.boolean()]).optional() }))
      .optional()
      .describe('Features that must be on for the same identity; absent or empty: none.'),
    tenants: z.array(z.string()).nullable().optional().describe('A tenant-scoped feature exists only for these tenants; absent or null: every tenant.'),
    ...stamped,
  })
  .register(registry, { id: 'Feature' }) satisfies z.ZodType<Feature>;
/** Create and update answer the feature with what Flagsmith-format documents cannot say exactly about its prerequisites. */
const featureWithWarnings = feature
  .extend({ warnings: z.array(z.string()).describe('What Flagsmith-format documents cannot say exactly about its prerequisites; empty when all is exact.') })
  .register(registry, { id: 'FeatureWithWarnings' });
const stateContent = { enabled: z.boolean(), value: json, weights: z.record(z.string(), z.number()) };
const featureStateContent = z.object(stateContent);
export const featureState = z
  .object({
    type: z.literal('feature-state'),
    orgId: z.string(),
    projectId: z.string(),
    envId: z.string(),
    featureId: z.string(),
    featureName: z.string(),
    hashKey: z.string(),
    updatedBy: z.string(),
    ...stateContent,
    ...stamped,
  })
  .register(registry, { id: 'FeatureState' }) satisfies z.ZodType<FeatureState>;
export const featureStateVersion = z
  .object({
    type: z.literal('feature-state-version'),
    envId: z.string(),
    featureId: z.string(),
    featureName: z.string(),
    version: z.number().int(),
    at: z.string(),
    actor: z.string(),
    restoredFrom: z.number().int().optional(),
    ...stateContent,
  })
  .register(registry, { id: 'FeatureStateVersion' }) satisfies z.ZodType<FeatureStateVersion>;

export const segment = z
  .object({
    type: z.literal('segment'),
    id: z.string(),
    numericId: z.number().int(),
    hashKey: z.string(),
    orgId: z.string(),
    projectId: z.string(),
    name: z.string(),
    description: z.string(),
    rules: z.array(ruleSchema),
    tenantKey: z.string().nullable().describe("The tenant whose identities alone it matches; null: project-wide."),
    ...stamped,
  })
  .register(registry, { id: 'Segment' }) satisfies z.ZodType<Segment>;
const overrideScope = { orgId: z.string(), projectId: z.string(), envId: z.string(), featureId: z.string(), featureName: z.string(), enabled: z.boolean(), value: json, ...stamped };
export const segmentOverride = z
  .object({ type: z.literal('segment-override'), segmentId: z.string(), priority: z.number().int(), hashKey: z.string(), ...overrideScope })
  .register(registry, { id: 'SegmentOverride' }) satisfies z.ZodType<SegmentOverride>;
export const tenantOverride = z
  .object({ type: z.literal('tenant-override'), tenantId: z.string(), ...overrideScope })
  .register(registry, { id: 'TenantOverride' }) satisfies z.ZodType<TenantOverride>;
export const tenant = z
  .object({
    type: z.literal('tenant'),
    orgId: z.string(),
    projectId: z.string(),
    key: z.string(),
    name: z.string(),
    traits: z.record(z.string(), traitValueSchema).describe('Read by segment conditions as property `tenant.<trait>`.'),
    templates: z.array(z.string()).optional().describe('Templates assigned to it (keys); absent: none.'),
    changedAt: z
      .object({ name: z.string().optional(), traits: z.record(z.string(), z.string()) })
      .optional()
      .describe('When the name and each trait (removed ones too) were last set: a tenant.update event older than these leaves them as they are.'),
    ...stamped,
  })
  .register(registry, { id: 'Tenant' }) satisfies z.ZodType<Tenant>;
export const template = z
  .object({
    type: z.literal('template'),
    orgId: z.string(),
    projectId: z.string(),
    key: z.string(),
    name: z.string(),
    description: z.string(),
    rank: z.number().int().describe('Templates apply in rank order (lower first, then by key).'),
    rules: z.array(ruleSchema).describe('Conditions on tenant traits; empty: by assignment only.'),
    ...stamped,
  })
  .register(registry, { id: 'Template' }) satisfies z.ZodType<Template>;
const templateValue = z.object({ enabled: z.boolean(), value: json });
const templateValueMap = z.record(z.string(), templateValue);
export const templateValues = z
  .object({
    type: z.literal('template-values'),
    orgId: z.string(),
    projectId: z.string(),
    envId: z.string(),
    templateKey: z.string(),
    values: z.record(z.string(), z.object({ enabled: z.boolean(), value: json })).describe('By feature name.'),
    ...stamped,
  })
  .register(registry, { id: 'TemplateValues' }) satisfies z.ZodType<TemplateValues>;
export const identityOverride = z
  .object({ type: z.literal('identity-override'), identifier: z.string(), ...overrideScope })
  .register(registry, { id: 'IdentityOverride' }) satisfies z.ZodType<IdentityOverride>;
export const identity = z
  .object({
    type: z.literal('identity'),
    orgId: z.string(),
    projectId: z.string(),
    envId: z.string(),
    identifier: z.string(),
    traits: z.record(z.string(), traitValueSchema),
    lastSeenAt: z.string().optional().describe('When an SDK last evaluated it (refreshed at most daily) or it was written: its idle time starts here.'),
    hasOverrides: z.boolean().optional().describe('True while it has overrides: it is then kept however long it goes unseen.'),
    ...stamped,
  })
  .register(registry, { id: 'Identity' }) satisfies z.ZodType<Identity>;

export const changeEvent = z
  .object({
    type: z.literal('event'),
    id: z.string(),
    detailType,
    action: z.enum(['created', 'updated', 'deleted', 'restored', 'approved', 'commented', 'applied', 'cancelled', 'failed']),
    orgId: z.string(),
    projectId: z.string().optional(),
    envId: z.string().optional(),
    subject: z.record(z.string(), z.string()),
    actor: actorRef,
    before: z.unknown(),
    after: z.unknown(),
    version: z.number().int().optional(),
    at: z.string(),
  })
  .register(registry, { id: 'AuditRecord' }) satisfies z.ZodType<ChangeEvent>;

const segmentOverrideContent = z.object({ enabled: z.boolean(), value: json, priority: z.number().int() });
const tenantOverrideContent = z.object({ enabled: z.boolean(), value: json });
const proposedChange = z
  .union([
    z.object({ target: z.literal('feature-state').optional(), featureName: z.string(), featureId: z.string(), expectedVersion: z.number().int(), content: featureStateContent }),
    z.object({ target: z.literal('segment-override'), featureName: z.string(), featureId: z.string(), segmentId: z.string(), expectedVersion: z.number().int(), content: segmentOverrideContent.nullable() }),
    z.object({ target: z.literal('tenant-override'), featureName: z.string(), featureId: z.string(), tenantId: z.string(), expectedVersion: z.number().int(), content: tenantOverrideContent.nullable() }),
    z.object({
      target: z.literal('template-values'),
      templateKey: z.string(),
      templateName: z.string(),
      expectedVersion: z.number().int().describe("The values' version when proposed (0: none yet)."),
      content: templateValueMap.describe('The template\'s values once applied, by feature name (replacing the current ones whole).'),
      features: z.array(z.object({ featureName: z.string(), before: templateValue.nullable(), after: templateValue.nullable() })).describe('Each feature whose value changes, old → new (null: absent).'),
      tenants: z.number().int().describe('How many tenants the template applied to when proposed (assigned, or by its rule).'),
    }),
  ])
  .register(registry, { id: 'ProposedChange' }) satisfies z.ZodType<ProposedChange>;
const conflictBase = { featureName: z.string(), expectedVersion: z.number().int(), currentVersion: z.number().int().nullable() };
export const changeConflict = z
  .union([
    z.object({ ...conflictBase, current: featureStateContent.nullable(), proposed: featureStateContent }),
    z.object({ ...conflictBase, segmentId: z.string(), current: segmentOverrideContent.nullable(), proposed: segmentOverrideContent.nullable() }),
    z.object({ ...conflictBase, tenantId: z.string(), current: tenantOverrideContent.nullable(), proposed: tenantOverrideContent.nullable() }),
    z.object({ templateKey: z.string(), expectedVersion: z.number().int(), currentVersion: z.number().int().nullable(), current: templateValueMap.nullable(), proposed: templateValueMap }),
  ])
  .register(registry, { id: 'ChangeConflict' }) satisfies z.ZodType<ChangeConflict>;
const scope = { id: z.string(), orgId: z.string(), projectId: z.string(), envId: z.string() };
export const changeRequest = z
  .object({
    type: z.literal('change-request'),
    ...scope,
    title: z.string(),
    description: z.string(),
    changes: z.array(proposedChange),
    author: actorRef,
    approvals: z.array(actorRef.extend({ at: z.string() })),
    comments: z.array(actorRef.extend({ id: z.string(), at: z.string(), text: z.string() })),
    status: z.enum(['open', 'applied', 'closed']),
    appliedAt: z.string().optional(),
    appliedBy: z.string().optional(),
    ...stamped,
  })
  .register(registry, { id: 'ChangeRequest' }) satisfies z.ZodType<ChangeRequest>;
export const scheduledChange = z
  .object({
    type: z.literal('scheduled-change'),
    ...scope,
    runAt: z.string(),
    changes: z.array(proposedChange),
    changeRequestId: z.string().optional(),
    status: z.enum(['scheduled', 'applied', 'cancelled', 'failed']),
    failure: z.string().optional(),
    conflicts: z.array(changeConflict).optional(),
    appliedAt: z.string().optional(),
    createdBy: actorRef,
    ...stamped,
  })
  .register(registry, { id: 'ScheduledChange' }) satisfies z.ZodType<ScheduledChange>;

export const webhook = z
  .object({
    type: z.literal('webhook'),
    ...scope,
    url: z.string(),
    secretPrefix: z.string(),
    events: z.array(detailType),
    enabled: z.boolean(),
    description: z.string(),
    createdBy: z.string(),
    ...stamped,
  })
  .register(registry, { id: 'Webhook' }) satisfies z.ZodType<WebhookView>;
export const delivery = z
  .object({
    type: z.literal('webhook-delivery'),
    id: z.string(),
    orgId: z.string(),
    envId: z.string(),
    webhookId: z.string(),
    eventId: z.string(),
    detailType,
    status: z.enum(['pending', 'retrying', 'delivered', 'failed']),
    attempts: z.number().int(),
    lastAttemptAt: z.string().optional(),
    lastStatusCode: z.number().int().optional(),
    lastError: z.string().optional(),
    nextAttemptAt: z.string().optional(),
    deliveredAt: z.string().optional(),
    expiresAt: z.number().int().optional(),
    ...stamped,
  })
  .register(registry, { id: 'WebhookDelivery' }) satisfies z.ZodType<DeliveryView>;

const flagReason = z.union([
  z.object({ kind: z.literal('identity-override') }),
  z.object({ kind: z.literal('tenant-override'), tenantId: z.string() }),
  z.object({ kind: z.literal('tenant-segment-override'), tenantId: z.string(), segmentId: z.string().nullable(), segmentName: z.string() }),
  z.object({ kind: z.literal('template'), tenantId: z.string(), templateKey: z.string() }),
  z.object({ kind: z.literal('tenant-scoped'), tenantId: z.string().nullable() }),
  z.object({ kind: z.literal('segment-override'), segmentId: z.string().nullable(), segmentName: z.string() }),
  z.object({ kind: z.literal('split'), bucket: z.number(), variant: z.string().nullable(), weight: z.number().nullable() }),
  z.object({ kind: z.literal('default'), bucket: z.number().optional() }),
  z.object({ kind: z.literal('prerequisite-failed'), featureName: z.string().describe('The prerequisite this identity does not get as required.') }),
]);
export const explainedIdentity = z
  .object({
    identifier: z.string(),
    stored: z.boolean(),
    traits: z.record(z.string(), traitValueSchema),
    segments: z.array(z.object({ id: z.string(), name: z.string() })),
    flags: z.array(
      z.object({ featureName: z.string(), enabled: z.boolean(), value: json, variant: z.string().nullable(), reason: flagReason, engineReason: z.string() }),
    ),
  })
  .register(registry, { id: 'ExplainedIdentity' }) satisfies z.ZodType<ExplainedIdentity>;
export const evaluationAnalytics = z
  .object({
    from: z.string(),
    to: z.string(),
    days: z.array(z.object({ day: z.string(), counts: z.record(z.string(), z.number()) })),
    totals: z.record(z.string(), z.number()),
  })
  .register(registry, { id: 'EvaluationAnalytics' }) satisfies z.ZodType<EvaluationAnalytics>;
/** The flags page in one answer (see domain/use-cases/flags-matrix.ts). */
export const flagsMatrix = z
  .object({
    features: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          description: z.string(),
          tags: z.array(z.string()),
          kind: z.enum(['STANDARD', 'MULTIVARIATE']),
          valueType: z.enum(['string', 'number', 'boolean', 'json']),
          updatedAt: z.string(),
        }),
      )
      .describe('Every feature of the project, by name.'),
    environments: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          requiredApprovals: z.number().int().optional(),
          writable: z.boolean().describe('Whether the caller may change states here.'),
          states: z
            .array(
              z.object({
                enabled: z.boolean(),
                value: z.string().nullable().describe('The value as people read it (strings bare, anything else as JSON), cut to 80 characters; null: no value.'),
                truncated: z.boolean().describe('Whether `value` was cut (the feature-state route has all of it).'),
                version: z.number().int().describe('The version a change must name; 0 while the feature has its defaults here.'),
                overrides: z.object({ segments: z.number().int(), tenants: z.number().int(), identities: z.number().int() }),
                rolloutPercentage: z.number().optional().describe('Set while a rollout is in progress (the state changes only through it).'),
              }),
            )
            .describe('One per feature, in the order of `features`.'),
        }),
      )
      .describe('The environments the caller may read, oldest first.'),
  })
  .register(registry, { id: 'FlagsMatrix' }) satisfies z.ZodType<FlagsMatrix>;
export const staleFeatures = z
  .object({
    days: z.number().int(),
    since: z.string(),
    items: z.array(z.object({ name: z.string(), tags: z.array(z.string()), lastChangedAt: z.string(), lastEvaluatedOn: z.string().nullable() })),
  })
  .register(registry, { id: 'StaleFeatures' }) satisfies z.ZodType<StaleFeatures>;

const withSecret = <T extends z.ZodObject>(schema: T, field: string, description: string) => schema.extend({ [field]: z.string().describe(description) });

/**
 * The success body of each operation (204s and documents sent as they are stored, like the
 * Flagsmith export, have none). An operation missing here is described as any JSON.
 */
export const responses: Record<string, z.ZodType> = {
  listOrganisations: items(organisation),
  getOrganisation: organisation,
  updateOrganisation: organisation,
  listProjects: page(project),
  createProject: project,
  listTokens: items(token),
  createToken: withSecret(token, 'token', 'The token itself: shown once.'),
  listAudit: page(changeEvent),
  getProject: project,
  updateProject: project,
  listEnvironments: page(environment),
  createEnvironment: z.object({ environment, clientKey: z.string().describe('Shown once.') }),
  listFeatures: page(feature),
  createFeature: featureWithWarnings,
  getFeature: feature,
  updateFeature: featureWithWarnings,
  listStaleFeatures: staleFeatures,
  getFlagsMatrix: flagsMatrix,
  listSegments: page(segment),
  createSegment: segment,
  getSegment: segment,
  updateSegment: segment,
  listTenants: page(tenant),
  getTenant: tenant,
  putTenant: tenant,
  listTemplates: items(template),
  getTemplate: template,
  putTemplate: template,
  getTemplateValues: z.object({ templateKey: z.string(), envId: z.string(), values: z.record(z.string(), z.object({ enabled: z.boolean(), value: json })), version: z.number().int() }),
  putTemplateValues: templateValues,
  getEnvironment: environment,
  updateEnvironment: environment,
  rotateClientKey: withSecret(apiKey, 'key', 'The new client key: shown once.'),
  listServerKeys: items(apiKey),
  createServerKey: withSecret(apiKey, 'key', 'The server key: shown once.'),
  listFeatureStates: items(featureState),
  getFeatureState: featureState,
  patchFeatureState: featureState,
  listFeatureStateVersions: page(featureStateVersion),
  restoreFeatureStateVersion: featureState,
  listOverrides: z.object({ segmentOverrides: z.array(segmentOverride), tenantOverrides: z.array(tenantOverride) }),
  putSegmentOverride: segmentOverride,
  putTenantOverride: tenantOverride,
  listIdentities: page(identity),
  getIdentity: identity.extend({ overrides: z.array(identityOverride) }),
  putIdentity: identity,
  putIdentityOverride: identityOverride,
  explainIdentityFlags: explainedIdentity,
  getEvaluationAnalytics: evaluationAnalytics,
  listEnvironmentOverrides: z.object({ segmentOverrides: z.array(segmentOverride), tenantOverrides: z.array(tenantOverride), identityOverrides: z.array(identityOverride) }),
  listWebhooks: items(webhook),
  createWebhook: withSecret(webhook, 'secret', 'The signing secret: shown once.'),
  getWebhook: webhook,
  updateWebhook: webhook,
  rotateWebhookSecret: withSecret(webhook, 'secret', 'The new signing secret: shown once.'),
  listWebhookDeliveries: page(delivery),
  getWebhookDelivery: delivery.extend({ payload: z.unknown() }),
  redeliverWebhookDelivery: delivery,
  listChangeRequests: page(changeRequest),
  createChangeRequest: changeRequest,
  getChangeRequest: changeRequest,
  updateChangeRequest: changeRequest,
  approveChangeRequest: changeRequest,
  commentChangeRequest: changeRequest,
  applyChangeRequest: changeRequest,
  closeChangeRequest: changeRequest,
  listScheduledChanges: page(scheduledChange),
  createScheduledChange: scheduledChange,
  getScheduledChange: scheduledChange,
  cancelScheduledChange: scheduledChange,
};

/**
 * Operations that may answer 202 instead of their usual success: where the environment requires
 * approvals, the change is not written but proposed, and the answer is the change request opened.
 */
export const acceptedResponses: Record<string, z.ZodType> = {
  putTemplateValues: changeRequest,
};
