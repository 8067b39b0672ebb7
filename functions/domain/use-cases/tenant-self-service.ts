/**
 * The tenant's side of self-service (/tenant/v1): a tenant's admins, with a token the customer's
 * backend minted for their tenant, list the features the customer made tenant-configurable (with
 * the value their tenant gets and where it comes from), set and reset their tenant's value within
 * the constraints, and read their tenant's history. Under the hood a value is a tenant override,
 * written through the same path as the management API's, audited with the tenant user as actor.
 *
 * Isolation: every read and write is keyed by the token's environment and tenant; a feature that
 * is not tenant-configurable, or is scoped to other tenants, is "not found", exactly like one
 * that does not exist.
 */
import type * as z from 'zod';
import type { ActorRef, ChangeEvent, Environment, Feature, JsonValue, Project, Segment, TenantOverride, TenantSettings } from '../entities.js';
import { LIMITS } from '../limits.js';
import type { EnvironmentSnapshot } from '../environment-snapshot.js';
import { identityTenant, loadSnapshot } from '../environment-snapshot.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { evaluateIdentity } from '../identities.js';
import { inputKindOf, tenantChoiceProblems, type TenantChoice } from '../tenant-constraints.js';
import type * as tenantSchemas from '../tenant-schemas.js';
import { documentGrowth, ensureDocumentRoom } from './document-budget.js';
import { commitDirectWrite, refuseDirectWrites } from './governance.js';
import { type Actor, type Deps, expectVersion } from './support.js';
import { createSegment, deleteSegment, listSegments, tenantOverrideWrites, updateSegment } from './targeting.js';

/** A tenant user, as the verified token names them. */
export interface TenantUser {
  environment: Environment;
  tenant: string;
  subject: string;
  name?: string | undefined;
}

/** How audit records, events and webhooks name a tenant user: their tenant and subject. */
export function tenantActor(user: TenantUser): Actor {
  return {
    id: `tenant-user:${user.tenant}:${user.subject}`,
    name: user.name ?? user.subject,
    orgId: user.environment.orgId,
    roles: {},
    type: 'tenant-user',
    subject: user.subject,
    tenant: user.tenant,
  };
}

/** Where a tenant's value comes from: its own choice, one of its templates (key and name), one of its own segments, or the feature's default targeting. */
export type TenantValueSource = { kind: 'override' } | { kind: 'template'; template: string; name: string } | { kind: 'segment'; segment: string } | { kind: 'default' };

export interface TenantFeatureView {
  featureName: string;
  label: string;
  description: string;
  valueType: Feature['valueType'];
  enabled: boolean;
  value: JsonValue;
  source: TenantValueSource;
  /** The tenant's own override's version (0: none): send it back to guard against lost updates. */
  version: number;
  constraints: {
    input: ReturnType<typeof inputKindOf>;
    allowedValues?: JsonValue[] | undefined;
    minimum?: number | undefined;
    maximum?: number | undefined;
    schema?: { [key: string]: JsonValue } | undefined;
    allowToggle: boolean;
  };
}

/** Tenant-scoped features exist only for the tenants they list: everyone else must never see them here. */
const visibleTo = (feature: Feature, tenant: string): boolean => !Array.isArray(feature.tenants) || feature.tenants.includes(tenant);

const configurable = (feature: Feature, tenant: string): feature is Feature & { tenantSettings: TenantSettings } => feature.tenantSettings !== undefined && visibleTo(feature, tenant);

const TEMPLATE_REASON = /^TEMPLATE:(.+)$/s;
const TENANT_SEGMENT_REASON = /^TENANT_SEGMENT; segment=(.*)$/s;

/**
 * The engine's reason as a tenant admin reads it: `TENANT_OVERRIDE` → override,
 * `TEMPLATE:<key>` → template (with its name), `TENANT_SEGMENT; segment=<name>` → the tenant's
 * own segment; anything else (project segments, environment state, splits) → default.
 */
export function sourceOf(engineReason: string, templates: readonly { key: string; name: string }[] = []): TenantValueSource {
  if (engineReason === 'TENANT_OVERRIDE') return { kind: 'override' };
  const template = TEMPLATE_REASON.exec(engineReason)?.[1];
  if (template) return { kind: 'template', template, name: templates.find((t) => t.key === template)?.name ?? template };
  const segment = TENANT_SEGMENT_REASON.exec(engineReason)?.[1];
  if (segment !== undefined) return { kind: 'segment', segment };
  return { kind: 'default' };
}

/** The environment without the project's tenants: a tenant's view needs only that tenant (read by `evaluateTenant`). */
async function snapshotOf(deps: Deps, environment: Environment): Promise<EnvironmentSnapshot> {
  const snapshot = await loadSnapshot(deps.store, environment.id, { tenants: 'own' });
  if (!snapshot) throw new NotFound('No such environment.');
  return snapshot;
}

/**
 * What the tenant is served, per feature: an identity of the tenant with no traits and no
 * overrides of its own (its tenant trait only), evaluated exactly as the SDK API does.
 */
async function evaluateTenant(deps: Deps, snapshot: EnvironmentSnapshot, tenant: string) {
  const identifier = `tenant:${tenant}`;
  const traits = { [snapshot.project.tenantTraitKey]: tenant };
  const record = await identityTenant(snapshot, { identifier, traits }, (key) => deps.store.get({ type: 'tenant', projectId: snapshot.project.id, key }));
  return evaluateIdentity(snapshot, identifier, traits, [], record);
}

function viewOf(
  feature: Feature & { tenantSettings: TenantSettings },
  flag: { enabled: boolean; value?: unknown; reason: string } | undefined,
  override: TenantOverride | undefined,
  templates: readonly { key: string; name: string }[],
): TenantFeatureView {
  const settings = feature.tenantSettings;
  return {
    featureName: feature.name,
    label: settings.label ?? feature.name,
    description: settings.description ?? feature.description,
    valueType: feature.valueType,
    enabled: override?.enabled ?? flag?.enabled ?? false,
    value: (override ? override.value : (flag?.value ?? null)) as JsonValue,
    source: override ? { kind: 'override' } : flag ? sourceOf(flag.reason, templates) : { kind: 'default' },
    version: override?.version ?? 0,
    constraints: {
      input: inputKindOf(feature, settings),
      ...(settings.allowedValues ? { allowedValues: settings.allowedValues } : feature.valueType === 'boolean' ? { allowedValues: [true, false] } : {}),
      ...(settings.minimum !== undefined ? { minimum: settings.minimum } : {}),
      ...(settings.maximum !== undefined ? { maximum: settings.maximum } : {}),
      ...(settings.schema ? { schema: settings.schema } : {}),
      allowToggle: settings.allowToggle ?? false,
    },
  };
}

const ownOverride = (snapshot: EnvironmentSnapshot, tenant: string, featureName: string) =>
  snapshot.tenantOverrides.find((o) => o.tenantId === tenant && o.featureName === featureName);

/** The tenant's configurable features, each with its value, its source and its constraints. */
export async function listTenantFeatures(deps: Deps, user: TenantUser): Promise<{ tenant: { key: string; name: string }; features: TenantFeatureView[] }> {
  const snapshot = await snapshotOf(deps, user.environment);
  const result = await evaluateTenant(deps, snapshot, user.tenant);
  const features = snapshot.features
    .filter((feature) => configurable(feature, user.tenant))
    .map((feature) => viewOf(feature as Feature & { tenantSettings: TenantSettings }, result.flags[feature.name], ownOverride(snapshot, user.tenant, feature.name), snapshot.templates))
    .sort((a, b) => a.label.localeCompare(b.label));
  const record = await deps.store.get({ type: 'tenant', projectId: user.environment.projectId, key: user.tenant });
  return { tenant: { key: user.tenant, name: record?.name ?? user.tenant }, features };
}

function configurableIn(snapshot: EnvironmentSnapshot, user: TenantUser, featureName: string): Feature & { tenantSettings: TenantSettings } {
  const feature = snapshot.features.find((candidate) => candidate.name === featureName);
  if (!feature || !configurable(feature, user.tenant)) throw new NotFound(`No configurable feature ${featureName}.`);
  return feature;
}

export async function getTenantFeature(deps: Deps, user: TenantUser, featureName: string): Promise<TenantFeatureView> {
  const snapshot = await snapshotOf(deps, user.environment);
  const feature = configurableIn(snapshot, user, featureName);
  return viewOf(feature, (await evaluateTenant(deps, snapshot, user.tenant)).flags[feature.name], ownOverride(snapshot, user.tenant, feature.name), snapshot.templates);
}

/** Sets the tenant's value (and on/off, where allowed): a tenant override, within the constraints (422 with the problems otherwise). */
export async function setTenantValue(deps: Deps, user: TenantUser, featureName: string, body: z.infer<typeof tenantSchemas.putTenantValueBody>): Promise<TenantFeatureView> {
  const { environment } = user;
  const snapshot = await snapshotOf(deps, environment);
  const feature = configurableIn(snapshot, user, featureName);
  refuseDirectWrites(environment);
  const current = await deps.store.get({ type: 'tenant-override', envId: environment.id, featureId: feature.id, tenantId: user.tenant });
  expectVersion(current?.version ?? 0, body.version, 'Your value');
  const served = (await evaluateTenant(deps, snapshot, user.tenant)).flags[feature.name];
  const base: TenantChoice = current ? { enabled: current.enabled, value: current.value } : { enabled: served?.enabled ?? false, value: (served?.value ?? null) as JsonValue };
  const choice: TenantChoice = { enabled: body.enabled ?? base.enabled, value: body.value === undefined ? base.value : body.value };
  const problems = tenantChoiceProblems(feature, feature.tenantSettings, choice, base);
  if (problems.length) throw new Invalid(`${feature.tenantSettings.label ?? feature.name}: the value is not allowed.`, problems);
  const room = await ensureDocumentRoom(deps, environment, documentGrowth(choice.value, current));
  const { entity, writes } = tenantOverrideWrites(deps, tenantActor(user), environment, feature, user.tenant, current, choice);
  await commitDirectWrite(deps, environment, [...writes, ...room], async () => new Conflict('Your value changed meanwhile: reload and try again.'));
  return viewOf(feature, served, entity ?? undefined, snapshot.templates);
}

/** Removes the tenant's own value: the tenant gets its template's or the default value again. */
export async function resetTenantValue(deps: Deps, user: TenantUser, featureName: string): Promise<TenantFeatureView> {
  const { environment } = user;
  const snapshot = await snapshotOf(deps, environment);
  const feature = configurableIn(snapshot, user, featureName);
  const current = await deps.store.get({ type: 'tenant-override', envId: environment.id, featureId: feature.id, tenantId: user.tenant });
  if (current) {
    refuseDirectWrites(environment);
    const { writes } = tenantOverrideWrites(deps, tenantActor(user), environment, feature, user.tenant, current, null);
    await commitDirectWrite(deps, environment, writes, async () => new Conflict('Your value changed meanwhile: reload and try again.'));
  }
  const after = await snapshotOf(deps, environment);
  return viewOf(feature, (await evaluateTenant(deps, after, user.tenant)).flags[feature.name], ownOverride(after, user.tenant, feature.name), after.templates);
}

export interface TenantHistoryEntry {
  at: string;
  action: ChangeEvent['action'];
  featureName: string;
  before: { enabled: boolean; value: JsonValue } | null;
  after: { enabled: boolean; value: JsonValue } | null;
  /** A user of this tenant (by subject and name), or the provider (the customer's team or automation, never named). */
  actor: { type: 'tenant-user'; subject: string; name: string } | { type: 'provider' };
}

const served = (image: unknown): { enabled: boolean; value: JsonValue } | null =>
  image && typeof image === 'object' ? { enabled: Boolean((image as TenantOverride).enabled), value: ((image as TenantOverride).value ?? null) as JsonValue } : null;

function actorOf(actor: ActorRef, tenant: string): TenantHistoryEntry['actor'] {
  return actor.type === 'tenant-user' && actor.tenant === tenant && actor.subject !== undefined ? { type: 'tenant-user', subject: actor.subject, name: actor.name } : { type: 'provider' };
}

/**
 * Changes to the tenant's values in this environment, newest first: of features the tenant may
 * configure now (others are never shown, whoever changed them).
 */
export async function listTenantHistory(deps: Deps, user: TenantUser, query: z.infer<typeof tenantSchemas.tenantHistoryQuery>): Promise<{ items: TenantHistoryEntry[]; cursor?: string | undefined }> {
  const snapshot = await snapshotOf(deps, user.environment);
  const visible = new Set(snapshot.features.filter((feature) => configurable(feature, user.tenant)).map((feature) => feature.name));
  const page = await deps.store.list({ of: 'tenant-history', envId: user.environment.id, tenantKey: user.tenant }, { limit: query.limit, cursor: query.cursor });
  const items = page.items
    .filter((event) => event.subject.kind === 'tenant-override' && event.subject.tenantId === user.tenant && visible.has(event.subject.featureName ?? ''))
    .map((event) => ({
      at: event.at,
      action: event.action,
      featureName: event.subject.featureName ?? '',
      before: served(event.before),
      after: served(event.after),
      actor: actorOf(event.actor, user.tenant),
    }));
  return { items, ...(page.cursor ? { cursor: page.cursor } : {}) };
}

/** The tenant's own segments (its cohorts), never another tenant's or a project-wide one. */
export async function listTenantSegments(deps: Deps, user: TenantUser, project: Project, query: z.infer<typeof tenantSchemas.tenantHistoryQuery>) {
  const page = await listSegments(deps, project, { ...query, tenantKey: user.tenant });
  return { items: page.items.filter((segment) => segment.tenantKey === user.tenant), ...(page.cursor ? { cursor: page.cursor } : {}) };
}

async function ownSegment(deps: Deps, user: TenantUser, project: Project, id: string): Promise<Segment> {
  const segment = await deps.store.get({ type: 'segment', projectId: project.id, id });
  // Another tenant's segment, or a project-wide one, is not there for this tenant.
  if (!segment || segment.tenantKey !== user.tenant) throw new NotFound(`No segment ${id} of yours.`);
  return segment;
}

export async function createTenantSegment(deps: Deps, user: TenantUser, project: Project, body: z.infer<typeof tenantSchemas.tenantSegmentBody>): Promise<Segment> {
  const mine = await deps.store.listAll({ of: 'segments', projectId: project.id, tenantKey: user.tenant });
  if (mine.filter((segment) => segment.tenantKey === user.tenant).length >= LIMITS.tenantSegmentsPerTenant) {
    throw new Conflict(`A tenant may have at most ${LIMITS.tenantSegmentsPerTenant} segments: remove one first.`);
  }
  return createSegment(deps, tenantActor(user), project, { ...body, tenantKey: user.tenant });
}

export async function updateTenantSegment(deps: Deps, user: TenantUser, project: Project, id: string, body: z.infer<typeof tenantSchemas.tenantSegmentPatchBody>): Promise<Segment> {
  await ownSegment(deps, user, project, id);
  return updateSegment(deps, tenantActor(user), project, id, body);
}

export async function deleteTenantSegment(deps: Deps, user: TenantUser, project: Project, id: string): Promise<{ deleted: string }> {
  await ownSegment(deps, user, project, id);
  await deleteSegment(deps, tenantActor(user), project, id);
  return { deleted: id };
}
