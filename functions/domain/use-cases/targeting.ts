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
  TenantOverride,
} from '../entities.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import type { Page, PageRequest } from '../ports.js';
import type * as schemas from '../schemas.js';
import { nextIdentity } from '../identities.js';
import { getFeature } from './features.js';
import { type Actor, allocateNumbers, commitOrConflict, type Deps, defined, eventWrite, expectVersion, isoNow, newId, stableUuid } from './support.js';

export async function getSegment(deps: Deps, project: Project, id: string): Promise<Segment> {
  const segment = await deps.store.get({ type: 'segment', projectId: project.id, id });
  if (!segment) throw new NotFound(`No segment ${id} in this project.`);
  return segment;
}

export const listSegments = (deps: Deps, project: Project, page: PageRequest): Promise<Page<Segment>> =>
  deps.store.list({ of: 'segments', projectId: project.id }, page);

export async function createSegment(deps: Deps, actor: Actor, project: Project, body: z.infer<typeof schemas.createSegmentBody>) {
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

function checkOverrideValue(feature: Feature, value: JsonValue) {
  if (value === null || feature.valueType === 'json' || typeof value === feature.valueType) return;
  throw new Invalid('The override is not valid.', [{ path: 'value', message: `expected a ${feature.valueType} value (or null)` }]);
}

/** The generic put / delete of a per-environment override, versioned and audited. */
async function putOverride<T extends SegmentOverride | TenantOverride | IdentityOverride>(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  current: T | undefined,
  next: Omit<T, 'version' | 'createdAt' | 'updatedAt'>,
  expectedVersion: number | undefined,
  subject: Record<string, string>,
): Promise<T> {
  const expected = expectVersion(current?.version ?? 0, expectedVersion, 'The override');
  const at = isoNow(deps);
  const entity = { ...next, version: expected + 1, createdAt: current?.createdAt ?? at, updatedAt: at } as T;
  await commitOrConflict(
    deps,
    [
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
    ],
    async () => new Conflict('The override changed meanwhile: reload and try again.'),
  );
  return entity;
}

async function deleteOverride(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  current: SegmentOverride | TenantOverride | IdentityOverride | undefined,
  subject: Record<string, string>,
): Promise<void> {
  if (!current) throw new NotFound('No such override.');
  const ref =
    current.type === 'segment-override'
      ? { type: current.type, envId: current.envId, featureId: current.featureId, segmentId: current.segmentId }
      : current.type === 'tenant-override'
        ? { type: current.type, envId: current.envId, featureId: current.featureId, tenantId: current.tenantId }
        : { type: current.type, envId: current.envId, featureId: current.featureId, identifier: current.identifier };
  await commitOrConflict(
    deps,
    [
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
    ],
    async () => new Conflict('The override changed meanwhile: reload and try again.'),
  );
}

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
  await getSegment(deps, project, segmentId);
  const value = body.value === undefined ? feature.initialValue : body.value;
  checkOverrideValue(feature, value);
  const current = await deps.store.get({ type: 'segment-override', envId: environment.id, featureId: feature.id, segmentId });
  return putOverride<SegmentOverride>(
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
      featureName,
      segmentId,
      priority: body.priority,
      enabled: body.enabled,
      value,
      hashKey: current?.hashKey ?? stableUuid(`${environment.id}:${feature.id}:${segmentId}`),
    },
    body.version,
    { kind: 'segment-override', featureName, segmentId },
  );
}

export async function deleteSegmentOverride(deps: Deps, actor: Actor, environment: Environment, project: Project, featureName: string, segmentId: string) {
  const feature = await getFeature(deps, project, featureName);
  const current = await deps.store.get({ type: 'segment-override', envId: environment.id, featureId: feature.id, segmentId });
  await deleteOverride(deps, actor, environment, current, { kind: 'segment-override', featureName, segmentId });
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
  const value = body.value === undefined ? feature.initialValue : body.value;
  checkOverrideValue(feature, value);
  const current = await deps.store.get({ type: 'tenant-override', envId: environment.id, featureId: feature.id, tenantId });
  return putOverride<TenantOverride>(
    deps,
    actor,
    environment,
    current,
    { type: 'tenant-override', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, featureId: feature.id, featureName, tenantId, enabled: body.enabled, value },
    body.version,
    { kind: 'tenant-override', featureName, tenantId },
  );
}

export async function deleteTenantOverride(deps: Deps, actor: Actor, environment: Environment, project: Project, featureName: string, tenantId: string) {
  const feature = await getFeature(deps, project, featureName);
  const current = await deps.store.get({ type: 'tenant-override', envId: environment.id, featureId: feature.id, tenantId });
  await deleteOverride(deps, actor, environment, current, { kind: 'tenant-override', featureName, tenantId });
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
  const current = await deps.store.get({ type: 'identity-override', envId: environment.id, identifier, featureId: feature.id });
  return putOverride<IdentityOverride>(
    deps,
    actor,
    environment,
    current,
    { type: 'identity-override', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, identifier, featureId: feature.id, featureName, enabled: body.enabled, value },
    body.version,
    { kind: 'identity-override', identifier, featureName },
  );
}

export async function deleteIdentityOverride(deps: Deps, actor: Actor, environment: Environment, project: Project, identifier: string, featureName: string) {
  const feature = await getFeature(deps, project, featureName);
  const current = await deps.store.get({ type: 'identity-override', envId: environment.id, identifier, featureId: feature.id });
  await deleteOverride(deps, actor, environment, current, { kind: 'identity-override', identifier, featureName });
}
