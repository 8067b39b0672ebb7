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
import { CommitConflict, type Page, type PageRequest, type Write } from '../ports.js';
import type * as schemas from '../schemas.js';
import { identityWrite, isExpired, nextIdentity, readIdentity, retentionOf } from '../identities.js';
import { documentGrowth, ensureDocumentRoom, ensureProjectDocumentRoom } from './document-budget.js';
import { getFeature } from './features.js';
import { commitDirectWrite, refuseDirectWrites } from './governance.js';
import { purgeJob, startPurge } from './purges.js';
import { type Actor, allocateNumbers, commitOrConflict, type Deps, defined, eventWrite, expectVersion, isoNow, newId, stableUuid } from './support.js';

export async function getSegment(deps: Deps, project: Project, id: string): Promise<Segment> {
  const segment = await deps.store.get({ type: 'segment', projectId: project.id, id });
  if (!segment) throw new NotFound(`No segment ${id} in this project.`);
  return segment;
}

export const listSegments = (deps: Deps, project: Project, query: z.infer<typeof schemas.listSegmentsQuery>): Promise<Page<Segment>> =>
  deps.store.list({ of: 'segments', projectId: project.id, tenantKey: query.tenantKey }, { limit: query.limit, cursor: query.cursor });

export async function createSegment(
  deps: Deps,
  actor: Actor,
  project: Project,
  body: Omit<z.infer<typeof schemas.createSegmentBody>, 'tenantKey'> & { tenantKey?: string | null | undefined },
) {
  const room = await ensureProjectDocumentRoom(deps, project, documentGrowth(body.rules, null));
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
    tenantKey: body.tenantKey ?? null,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  await deps.store.commit([
    { kind: 'put', entity: segment, expect: 'absent' },
    eventWrite(deps, actor, { detailType: 'segment.changed', action: 'created', orgId: project.orgId, projectId: project.id, subject: { kind: 'segment', id: segment.id }, before: null, after: segment, version: 1 }),
    ...room,
  ]);
  return segment;
}

export async function updateSegment(deps: Deps, actor: Actor, project: Project, id: string, body: z.infer<typeof schemas.updateSegmentBody>) {
  const segment = await getSegment(deps, project, id);
  const expected = expectVersion(segment.version, body.version, `Segment ${id}`);
  const { version: _version, ...changes } = body;
  const next: Segment = { ...segment, ...defined(changes), version: expected + 1, updatedAt: isoNow(deps) };
  const room = await ensureProjectDocumentRoom(deps, project, documentGrowth(next.rules, { value: segment.rules }));
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: next, expect: expected },
      eventWrite(deps, actor, { detailType: 'segment.changed', action: 'updated', orgId: project.orgId, projectId: project.id, subject: { kind: 'segment', id }, before: segment, after: next, version: next.version }),
      ...room,
    ],
    async () => new Conflict(`Segment ${id} changed meanwhile: reload and try again.`, { currentVersion: (await getSegment(deps, project, id)).version }),
  );
  return next;
}

/**
 * Deletes a segment. Overrides that name it stop applying at once (evaluation skips unknown
 * segments); a purge job, committed with the deletion, removes them from every environment.
 */
export async function deleteSegment(deps: Deps, actor: Actor, project: Project, id: string) {
  const segment = await getSegment(deps, project, id);
  const envIds = (await deps.store.listAll({ of: 'environments', projectId: project.id })).map((environment) => environment.id);
  const purge = purgeJob(deps, actor, { type: 'segment', projectId: project.id, segmentId: id, envIds }, { orgId: project.orgId, projectId: project.id });
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'segment', projectId: project.id, id }, expect: segment.version },
      eventWrite(deps, actor, { detailType: 'segment.changed', action: 'deleted', orgId: project.orgId, projectId: project.id, subject: { kind: 'segment', id }, before: segment, after: null }),
      { kind: 'put', entity: purge, expect: 'absent' },
    ],
    async () => new Conflict(`Segment ${id} changed meanwhile: reload and try again.`),
  );
  await startPurge(deps, purge);
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
  const room = await ensureDocumentRoom(deps, environment, documentGrowth(value, current));
  const { entity, writes } = segmentOverrideWrites(deps, actor, environment, feature, segmentId, current, { enabled: body.enabled, value, priority: body.priority });
  await commitGoverned(deps, environment, [...writes, ...room]);
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
  const room = await ensureDocumentRoom(deps, environment, documentGrowth(value, current));
  const { entity, writes } = tenantOverrideWrites(deps, actor, environment, feature, tenantId, current, { enabled: body.enabled, value });
  await commitGoverned(deps, environment, [...writes, ...room]);
  return entity as TenantOverride;
}

export async function deleteTenantOverride(deps: Deps, actor: Actor, environment: Environment, project: Project, featureName: string, tenantId: string) {
  const feature = await getFeature(deps, project, featureName);
  refuseDirectWrites(environment);
  const current = await deps.store.get({ type: 'tenant-override', envId: environment.id, featureId: feature.id, tenantId });
  if (!current) throw new NotFound('No such override.');
  await commitGoverned(deps, environment, tenantOverrideWrites(deps, actor, environment, feature, tenantId, current, null).writes);
}

/** An identity as it applies (absent, expired and half-deleted ones answer 404), with its overrides. */
export async function getIdentity(deps: Deps, environment: Environment, identifier: string) {
  const { identity, overrides } = await readIdentity(deps.store, environment.id, identifier, retentionOf(deps));
  if (!identity) throw new NotFound(`No identity ${identifier} in this environment.`);
  return { ...identity, overrides };
}

/** Identities, paginated; those whose idle time is over (DynamoDB deletes them within days) are left out. */
export async function listIdentities(deps: Deps, environment: Environment, page: PageRequest): Promise<Page<Identity>> {
  const listed = await deps.store.list({ of: 'identities', envId: environment.id }, page);
  const { now, idleSeconds } = retentionOf(deps);
  return { ...listed, items: listed.items.filter((identity) => !isExpired(identity, idleSeconds, now)) };
}

/** Creates or replaces an identity's traits (a null trait value removes the trait). */
export async function putIdentity(deps: Deps, actor: Actor, environment: Environment, identifier: string, body: z.infer<typeof schemas.putIdentityBody>) {
  const retention = retentionOf(deps);
  let stored = await readIdentity(deps.store, environment.id, identifier, retention);
  if (stored.item?.deletedAt) {
    // A deletion that stopped half-way: finish it, so none of the old overrides come back.
    await finishIdentityDeletion(deps, stored.item);
    stored = await readIdentity(deps.store, environment.id, identifier, retention);
  }
  const current = stored.identity;
  expectVersion(current?.version ?? 0, body.version, `Identity ${identifier}`);
  const traits = Object.fromEntries(Object.entries(body.traits).filter(([, value]) => value !== null));
  const identity: Identity = {
    ...nextIdentity(environment, identifier, current, traits, isoNow(deps), stored.item),
    hasOverrides: stored.overrides.length > 0 || undefined,
  };
  await commitOrConflict(
    deps,
    [
      identityWrite(identity, retention.idleSeconds, stored.item ? stored.item.version : 'absent'),
      eventWrite(deps, actor, { detailType: 'identity.changed', action: current ? 'updated' : 'created', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, subject: { kind: 'identity', identifier }, before: current ?? null, after: identity, version: identity.version }),
    ],
    async () => new Conflict(`Identity ${identifier} changed meanwhile: reload and try again.`),
  );
  return identity;
}

/** Writes per transaction (DynamoDB's limit). */
const TRANSACTION_ITEMS = 100;

/**
 * Deletes an identity with all its overrides, however many. When they fit one transaction they
 * go with it; otherwise the identity is first marked deleted (with the audit event), which stops
 * every override of it from applying at once, and its overrides are then deleted in as many
 * transactions as needed, the mark last. Safe to retry: deleting a half-deleted identity
 * finishes the job (and answers 204); overrides left without an identity are deleted too.
 */
export async function deleteIdentity(deps: Deps, actor: Actor, environment: Environment, identifier: string) {
  const items = await deps.store.listAll({ of: 'identity-with-overrides', envId: environment.id, identifier });
  let item = items.find((candidate): candidate is Identity => candidate.type === 'identity');
  const overrides = items.filter((candidate): candidate is IdentityOverride => candidate.type === 'identity-override');
  if (!item && overrides.length === 0) throw new NotFound(`No identity ${identifier} in this environment.`);
  if (!item?.deletedAt) {
    const event = eventWrite(deps, actor, { detailType: 'identity.changed', action: 'deleted', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, subject: { kind: 'identity', identifier }, before: item ?? null, after: null });
    const changedMeanwhile = async () => new Conflict(`Identity ${identifier} changed meanwhile: reload and try again.`);
    if (overrides.length + 2 <= TRANSACTION_ITEMS) {
      await commitOrConflict(
        deps,
        [
          ...(item ? [{ kind: 'delete' as const, ref: identityRef(environment, identifier), expect: item.version }] : []),
          ...overrides.map((override): Write => ({ kind: 'delete', ref: identityOverrideRef(override), expect: override.version })),
          event,
        ],
        changedMeanwhile,
      );
      return;
    }
    const at = isoNow(deps);
    const tombstone: Identity = {
      ...(item ?? nextIdentity(environment, identifier, undefined, {}, at)),
      deletedAt: at,
      updatedAt: at,
      version: (item?.version ?? 0) + 1,
    };
    await commitOrConflict(deps, [identityWrite(tombstone, 0, item ? item.version : 'absent'), event], changedMeanwhile);
    item = tombstone;
  }
  await finishIdentityDeletion(deps, item, overrides);
}

const identityRef = (environment: Pick<Environment, 'id'>, identifier: string) => ({ type: 'identity' as const, envId: environment.id, identifier });
const identityOverrideRef = (override: IdentityOverride) => ({ type: 'identity-override' as const, envId: override.envId, identifier: override.identifier, featureId: override.featureId });

/** Deletes a marked identity's overrides in batches, then the mark. Idempotent: deleting what is already gone is no error. */
export async function finishIdentityDeletion(deps: Deps, tombstone: Identity, known?: IdentityOverride[]) {
  const overrides = known ?? (await deps.store.listAll({ of: 'identity-overrides', envId: tombstone.envId, identifier: tombstone.identifier }));
  for (let i = 0; i < overrides.length; i += TRANSACTION_ITEMS) {
    await deps.store.commit(overrides.slice(i, i + TRANSACTION_ITEMS).map((override): Write => ({ kind: 'delete', ref: identityOverrideRef(override) })));
  }
  try {
    await deps.store.commit([{ kind: 'delete', ref: identityRef({ id: tombstone.envId }, tombstone.identifier), expect: tombstone.version }]);
  } catch (error) {
    // Another request finished the deletion (and perhaps created the identity again): nothing left to do.
    if (!(error instanceof CommitConflict)) throw error;
  }
}

/**
 * Creates or replaces an identity override. The identity must exist (404 otherwise: the admin
 * API does not invent identities; create it with PUT .../identities/{identifier}). While it has
 * overrides, an identity never expires; the commit also holds only if the identity was not
 * deleted meanwhile, so no override outlives its identity.
 */
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
  const retention = retentionOf(deps);
  const { identity, overrides } = await readIdentity(deps.store, environment.id, identifier, retention);
  if (!identity) throw new NotFound(`No identity ${identifier} in this environment: create it first (PUT .../identities/{identifier}).`);
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
  writes.push(
    identity.hasOverrides
      ? { kind: 'check', ref: identityRef(environment, identifier), expect: identity.version }
      : identityWrite({ ...identity, hasOverrides: true, version: identity.version + 1 }, retention.idleSeconds, identity.version),
  );
  // Not governed: identity overrides serve one user (often a support fix, such as a beta for one
  // customer) and leave what everyone else is served unchanged; approvals would only delay them.
  await commitOrConflict(deps, writes, overrideMoved);
  return entity;
}

/** Removes an identity override; an identity left without any starts its idle time again. */
export async function deleteIdentityOverride(deps: Deps, actor: Actor, environment: Environment, project: Project, identifier: string, featureName: string) {
  const feature = await getFeature(deps, project, featureName);
  const retention = retentionOf(deps);
  const { item, overrides } = await readIdentity(deps.store, environment.id, identifier, retention);
  const current = overrides.find((override) => override.featureId === feature.id);
  if (!current) throw new NotFound('No such override.');
  const writes = overrideDeleteWrites(deps, actor, environment, current, { kind: 'identity-override', identifier, featureName });
  if (item && overrides.length === 1) {
    const at = isoNow(deps);
    writes.push(identityWrite({ ...item, hasOverrides: undefined, lastSeenAt: at, version: item.version + 1 }, retention.idleSeconds, item.version));
  }
  await commitOrConflict(deps, writes, overrideMoved);
}
