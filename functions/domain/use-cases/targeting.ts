/**
 * Segments, segment overrides, tenant overrides, identities and identity overrides.
 */
import type * as z from 'zod';
import type {
  Environment,
  Feature,
  Identity,
  IdentityOverride,
  JsonValue,
  Project,
  Segment,
  SegmentOverride,
  SegmentOverrideContent,
  TenantOverride,
  TenantOverrideContent,
} from '../entities.js';
import { Conflict, Invalid, NotFound, TooLarge } from '../errors.js';
import { formatBytes, jsonBytes, LIMITS } from '../limits.js';
import type { Page, PageRequest, Write } from '../ports.js';
import type * as schemas from '../schemas.js';
import { nextIdentity } from '../identities.js';
import { documentGrowth, ensureDocumentRoom, ensureProjectDocumentRoom } from './document-budget.js';
import { getFeature } from './features.js';
import { commitDirectWrite, refuseDirectWrites } from './governance.js';
import { type Actor, allocateNumbers, commitOrConflict, type Deps, defined, eventWrite, expectVersion, isoNow, newId, stableUuid } from './support.js';

export async function getSegment(deps: Deps, project: Project, id: string): Promise<Segment> {
  const segment = await deps.store.get({ type: 'segment', projectId: project.id, id });
  if (!segment) throw new NotFound(`No segment ${id} in this project.`);
  return segment;
}

export const listSegments = (deps: Deps, project: Project, page: PageRequest): Promise<Page<Segment>> =>
  deps.store.list({ of: 'segments', projectId: project.id }, page);

export async function createSegment(deps: Deps, actor: Actor, project: Project, body: z.infer<typeof schemas.createSegmentBody>) {
  await ensureProjectDocumentRoom(deps, project, documentGrowth(body.rules, null));
  const at = isoNow(deps);
  const numericId = await allocateNumbers(deps);
  const segment: Segment = {
    type: 'segment',
    id: newId('seg'),
    numericId,
    hashKey: String(numericId),
    orgId: project.orgId,
    projectId: project.id,
    ...body,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  await deps.store.commit([
    { kind: 'put', entity: segment, expect: 'absent' },
    eventWrite(deps, actor, { detailType: 'segment.changed', action: 'created', orgId: project.orgId, projectId: project.id, subject: { kind: 'segment', id: segment.id }, before: null, after: segment, version: 1 }),
  ]);
  return segment;
}

export async function updateSegment(deps: Deps, actor: Actor, project: Project, id: string, body: z.infer<typeof schemas.updateSegmentBody>) {
  const segment = await getSegment(deps, project, id);
  const expected = expectVersion(segment.version, body.version, `Segment ${id}`);
  const { version: _version, ...changes } = body;
  const next: Segment = { ...segment, ...defined(changes), version: expected + 1, updatedAt: isoNow(deps) };
  await ensureProjectDocumentRoom(deps, project, documentGrowth(next.rules, { value: segment.rules }));
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: next, expect: expected },
      eventWrite(deps, actor, { detailType: 'segment.changed', action: 'updated', orgId: project.orgId, projectId: project.id, subject: { kind: 'segment', id }, before: segment, after: next, version: next.version }),
    ],
    async () => new Conflict(`Segment ${id} changed meanwhile: reload and try again.`, { currentVersion: (await getSegment(deps, project, id)).version }),
  );
  return next;
}

/** Deletes a segment; overrides that name it stop applying (evaluation skips unknown segments). */
export async function deleteSegment(deps: Deps, actor: Actor, project: Project, id: string) {
  const segment = await getSegment(deps, project, id);
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'segment', projectId: project.id, id }, expect: segment.version },
      eventWrite(deps, actor, { detailType: 'segment.changed', action: 'deleted', orgId: project.orgId, projectId: project.id, subject: { kind: 'segment', id }, before: segment, after: null }),
    ],
    async () => new Conflict(`Segment ${id} changed meanwhile: reload and try again.`),
  );
}

/** Problems with an override's value for its feature (none: the value fits, or is null). */
export function overrideValueProblems(feature: Feature, value: JsonValue, path = 'value'): { path: string; message: string }[] {
  if (value === null || feature.valueType === 'json' || typeof value === feature.valueType) return [];
  return [{ path, message: `expected a ${feature.valueType} value (or null)` }];
}

function checkOverrideValue(feature: Feature, value: JsonValue) {
  const problems = overrideValueProblems(feature, value);
  if (problems.length) throw new Invalid('The override is not valid.', problems);
}

type AnyOverride = SegmentOverride | TenantOverride | IdentityOverride;

/** The writes of an override put: the override, conditional on the version it replaces, and its change event. */
export function overridePutWrites<T extends AnyOverride>(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  current: T | undefined,
  next: Omit<T, 'version' | 'createdAt' | 'updatedAt'>,
  subject: Record<string, string>,
): { entity: T; writes: Write[] } {
  const expected = current?.version ?? 0;
  const at = isoNow(deps);
  const entity = { ...next, version: expected + 1, createdAt: current?.createdAt ?? at, updatedAt: at } as T;
  const writes: Write[] = [
    { kind: 'put', entity, expect: expected === 0 ? 'absent' : expected },
    eventWrite(deps, actor, {
      detailType: entity.type === 'identity-override' ? 'identity-override.changed' : 'feature-state.changed',
      action: current ? 'updated' : 'created',
      orgId: environment.orgId,
      projectId: environment.projectId,
      envId: environment.id,
      subject,
      before: current ?? null,
      after: entity,
      version: entity.version,
    }),
  ];
  return { entity, writes };
}

/** The writes of an override delete: the delete, conditional on the version read, and its change event. */
function overrideDeleteWrites(deps: Deps, actor: Actor, environment: Environment, current: AnyOverride, subject: Record<string, string>): Write[] {
  const ref =
    current.type === 'segment-override'
      ? { type: current.type, envId: current.envId, featureId: current.featureId, segmentId: current.segmentId }
      : current.type === 'tenant-override'
        ? { type: current.type, envId: current.envId, featureId: current.featureId, tenantId: current.tenantId }
        : { type: current.type, envId: current.envId, featureId: current.featureId, identifier: current.identifier };
  return [
    { kind: 'delete', ref, expect: current.version },
    eventWrite(deps, actor, {
      detailType: current.type === 'identity-override' ? 'identity-override.changed' : 'feature-state.changed',
      action: 'deleted',
      orgId: environment.orgId,
      projectId: environment.projectId,
      envId: environment.id,
      subject,
      before: current,
      after: null,
    }),
  ];
}

/**
 * The writes of one segment-override change: put the override with `content` (or delete it when
 * `content` is null), conditional on the version `current` has, with its `feature-state.changed`
 * event. The direct routes and change sets both commit these, so both produce the same events.
 */
export function segmentOverrideWrites(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  feature: Pick<Feature, 'id' | 'name'>,
  segmentId: string,
  current: SegmentOverride | undefined,
  content: SegmentOverrideContent | null,
): { entity: SegmentOverride | null; writes: Write[] } {
  const subject = { kind: 'segment-override', featureName: feature.name, segmentId };
  if (!content) return { entity: null, writes: current ? overrideDeleteWrites(deps, actor, environment, current, subject) : [] };
  return overridePutWrites<SegmentOverride>(
    deps,
    actor,
    environment,
    current,
    {
      type: 'segment-override',
      orgId: environment.orgId,
      projectId: environment.projectId,
      envId: environment.id,
      featureId: feature.id,
      featureName: feature.name,
      segmentId,
      priority: content.priority,
      enabled: content.enabled,
      value: content.value,
      hashKey: current?.hashKey ?? stableUuid(`${environment.id}:${feature.id}:${segmentId}`),
    },
    subject,
  );
}

/** The writes of one tenant-override change (see {@link segmentOverrideWrites}). */
export function tenantOverrideWrites(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  feature: Pick<Feature, 'id' | 'name'>,
  tenantId: string,
  current: TenantOverride | undefined,
  content: TenantOverrideContent | null,
): { entity: TenantOverride | null; writes: Write[] } {
  const subject = { kind: 'tenant-override', featureName: feature.name, tenantId };
  if (!content) return { entity: null, writes: current ? overrideDeleteWrites(deps, actor, environment, current, subject) : [] };
  return overridePutWrites<TenantOverride>(
    deps,
    actor,
    environment,
    current,
    {
      type: 'tenant-override',
      orgId: environment.orgId,
      projectId: environment.projectId,
      envId: environment.id,
      featureId: feature.id,
      featureName: feature.name,
      tenantId,
      enabled: content.enabled,
      value: content.value,
    },
    subject,
  );
}

const overrideMoved = async () => new Conflict('The override changed meanwhile: reload and try again.');

/**
 * Commits a direct segment- or tenant-override write. Those change what users are served as much
 * as feature states do, so a governed environment refuses them (inside the transaction too).
 */
const commitGoverned = (deps: Deps, environment: Environment, writes: Write[]) => commitDirectWrite(deps, environment, writes, overrideMoved);

export async function putSegmentOverride(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  project: Project,
  featureName: string,
  segmentId: string,
  body: z.infer<typeof schemas.putSegmentOverrideBody>,
) {
  const feature = await getFeature(deps, project, featureName);
  refuseDirectWrites(environment);
  await getSegment(deps, project, segmentId);
  const value = body.value === undefined ? feature.initialValue : body.value;
  checkOverrideValue(feature, value);
  const current = await deps.store.get({ type: 'segment-override', envId: environment.id, featureId: feature.id, segmentId });
  expectVersion(current?.version ?? 0, body.version, 'The override');
  await ensureDocumentRoom(deps, environment, documentGrowth(value, current));
  const { entity, writes } = segmentOverrideWrites(deps, actor, environment, feature, segmentId, current, { enabled: body.enabled, value, priority: body.priority });
  await commitGoverned(deps, environment, writes);
  return entity as SegmentOverride;
}

export async function deleteSegmentOverride(deps: Deps, actor: Actor, environment: Environment, project: Project, featureName: string, segmentId: string) {
  const feature = await getFeature(deps, project, featureName);
  refuseDirectWrites(environment);
  const current = await deps.store.get({ type: 'segment-override', envId: environment.id, featureId: feature.id, segmentId });
  if (!current) throw new NotFound('No such override.');
  await commitGoverned(deps, environment, segmentOverrideWrites(deps, actor, environment, feature, segmentId, current, null).writes);
}

export async function listOverrides(deps: Deps, environment: Environment, project: Project, featureName: string) {
  const feature = await getFeature(deps, project, featureName);
  const [segments, tenants] = await Promise.all([
    deps.store.listAll({ of: 'segment-overrides', envId: environment.id, featureId: feature.id }),
    deps.store.listAll({ of: 'tenant-overrides', envId: environment.id, featureId: feature.id }),
  ]);
  return { segmentOverrides: segments.sort((a, b) => a.priority - b.priority), tenantOverrides: tenants };
}

export async function putTenantOverride(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  project: Project,
  featureName: string,
  tenantId: string,
  body: z.infer<typeof schemas.putOverrideBody>,
) {
  const feature = await getFeature(deps, project, featureName);
  refuseDirectWrites(environment);
  const value = body.value === undefined ? feature.initialValue : body.value;
  checkOverrideValue(feature, value);
  const current = await deps.store.get({ type: 'tenant-override', envId: environment.id, featureId: feature.id, tenantId });
  expectVersion(current?.version ?? 0, body.version, 'The override');
  await ensureDocumentRoom(deps, environment, documentGrowth(value, current));
  const { entity, writes } = tenantOverrideWrites(deps, actor, environment, feature, tenantId, current, { enabled: body.enabled, value });
  await commitGoverned(deps, environment, writes);
  return entity as TenantOverride;
}

export async function deleteTenantOverride(deps: Deps, actor: Actor, environment: Environment, project: Project, featureName: string, tenantId: string) {
  const feature = await getFeature(deps, project, featureName);
  refuseDirectWrites(environment);
  const current = await deps.store.get({ type: 'tenant-override', envId: environment.id, featureId: feature.id, tenantId });
  if (!current) throw new NotFound('No such override.');
  await commitGoverned(deps, environment, tenantOverrideWrites(deps, actor, environment, feature, tenantId, current, null).writes);
}

export async function getIdentity(deps: Deps, environment: Environment, identifier: string) {
  const identity = await deps.store.get({ type: 'identity', envId: environment.id, identifier });
  if (!identity) throw new NotFound(`No identity ${identifier} in this environment.`);
  const overrides = await deps.store.listAll({ of: 'identity-overrides', envId: environment.id, identifier });
  return { ...identity, overrides };
}

export const listIdentities = (deps: Deps, environment: Environment, page: PageRequest): Promise<Page<Identity>> =>
  deps.store.list({ of: 'identities', envId: environment.id }, page);

/** Creates or replaces an identity's traits (a null trait value removes the trait). */
export async function putIdentity(deps: Deps, actor: Actor, environment: Environment, identifier: string, body: z.infer<typeof schemas.putIdentityBody>) {
  const current = await deps.store.get({ type: 'identity', envId: environment.id, identifier });
  const expected = expectVersion(current?.version ?? 0, body.version, `Identity ${identifier}`);
  const traits = Object.fromEntries(Object.entries(body.traits).filter(([, value]) => value !== null));
  const identity = nextIdentity(environment, identifier, current, traits, isoNow(deps));
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: identity, expect: expected === 0 ? 'absent' : expected },
      eventWrite(deps, actor, { detailType: 'identity.changed', action: current ? 'updated' : 'created', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, subject: { kind: 'identity', identifier }, before: current ?? null, after: identity, version: identity.version }),
    ],
    async () => new Conflict(`Identity ${identifier} changed meanwhile: reload and try again.`),
  );
  return identity;
}

/** Deletes an identity with its overrides. */
export async function deleteIdentity(deps: Deps, actor: Actor, environment: Environment, identifier: string) {
  const current = await deps.store.get({ type: 'identity', envId: environment.id, identifier });
  if (!current) throw new NotFound(`No identity ${identifier} in this environment.`);
  const overrides = await deps.store.listAll({ of: 'identity-overrides', envId: environment.id, identifier });
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'identity', envId: environment.id, identifier }, expect: current.version },
      ...overrides.slice(0, 97).map((override) => ({
        kind: 'delete' as const,
        ref: { type: 'identity-override' as const, envId: environment.id, identifier, featureId: override.featureId },
      })),
      eventWrite(deps, actor, { detailType: 'identity.changed', action: 'deleted', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, subject: { kind: 'identity', identifier }, before: current, after: null }),
    ],
    async () => new Conflict(`Identity ${identifier} changed meanwhile: reload and try again.`),
  );
}

export async function putIdentityOverride(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  project: Project,
  identifier: string,
  featureName: string,
  body: z.infer<typeof schemas.putOverrideBody>,
) {
  const feature = await getFeature(deps, project, featureName);
  const value = body.value === undefined ? feature.initialValue : body.value;
  checkOverrideValue(feature, value);
  const overrides = await deps.store.listAll({ of: 'identity-overrides', envId: environment.id, identifier });
  const current = overrides.find((override) => override.featureId === feature.id);
  expectVersion(current?.version ?? 0, body.version, 'The override');
  const bytes = overrides.reduce((sum, override) => sum + (override === current ? 0 : jsonBytes(override.value)), jsonBytes(value));
  if (bytes > LIMITS.identityOverridesBytes) {
    throw new TooLarge(`Identity ${identifier}'s override values would add up to ${bytes} bytes of JSON, more than the ${formatBytes(LIMITS.identityOverridesBytes)} one identity may have.`, {
      bytes,
      limitBytes: LIMITS.identityOverridesBytes,
    });
  }
  const { entity, writes } = overridePutWrites<IdentityOverride>(
    deps,
    actor,
    environment,
    current,
    { type: 'identity-override', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, identifier, featureId: feature.id, featureName, enabled: body.enabled, value },
    { kind: 'identity-override', identifier, featureName },
  );
  // Not governed: identity overrides serve one user (often a support fix, such as a beta for one
  // customer) and leave what everyone else is served unchanged; approvals would only delay them.
  await commitOrConflict(deps, writes, overrideMoved);
  return entity;
}

export async function deleteIdentityOverride(deps: Deps, actor: Actor, environment: Environment, project: Project, identifier: string, featureName: string) {
  const feature = await getFeature(deps, project, featureName);
  const current = await deps.store.get({ type: 'identity-override', envId: environment.id, identifier, featureId: feature.id });
  if (!current) throw new NotFound('No such override.');
  await commitOrConflict(deps, overrideDeleteWrites(deps, actor, environment, current, { kind: 'identity-override', identifier, featureName }), overrideMoved);
}
