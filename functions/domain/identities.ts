/**
 * Identities as SDKs see them: stored traits merged with the traits a request sends, the
 * identity's overrides, and trait persistence that writes only when something changed.
 *
 * Retention (what a client key may create, issue 12 item 11): an identity without overrides is
 * kept for `identityIdleSeconds` after it was last written or seen by an SDK, then forgotten
 * (DynamoDB's TTL attribute deletes it; until then reads treat it as gone). Seeing an identity
 * refreshes that time at most once per {@link refreshAfterSeconds}, never once per evaluation.
 * An identity with overrides never expires. A tombstoned identity (`deletedAt`) is being
 * deleted: nothing of it applies any more.
 */
import type { EvaluationResult, TenantRecord, TraitValue } from '../engine/index.js';
import { setOwn } from '../engine/records.js';
import type { Environment, Identity, IdentityOverride } from './entities.js';
import { type EnvironmentSnapshot, identityOverrideContexts } from './environment-snapshot.js';
import { CommitConflict, type Store, type Write } from './ports.js';

export interface TraitInput {
  key: string;
  value: TraitValue;
  /** Used for this evaluation only, never stored. */
  transient?: boolean | undefined;
}

/** How long an identity without overrides is kept after it was last seen, unless configured. */
export const DEFAULT_IDENTITY_IDLE_DAYS = 90;

/** The configured idle time in seconds (0: identities never expire). */
export const idleSecondsOf = (configured: number | undefined): number => configured ?? DEFAULT_IDENTITY_IDLE_DAYS * 86_400;

export interface Retention {
  now: Date;
  idleSeconds: number;
}

/** The retention rule now, from the dependencies' clock and configuration. */
export const retentionOf = (deps: { clock: () => Date; identityIdleSeconds?: number | undefined }): Retention => ({
  now: deps.clock(),
  idleSeconds: idleSecondsOf(deps.identityIdleSeconds),
});

/** Seeing an identity refreshes its expiry when the last refresh is older than this: a day, or a quarter of a short idle time. */
export const refreshAfterSeconds = (idleSeconds: number): number => Math.min(86_400, Math.floor(idleSeconds / 4));

const seenAt = (identity: Identity): string => identity.lastSeenAt ?? identity.updatedAt;

/** The TTL attribute an identity's item carries: none while it has overrides (or identities never expire). */
export function expiresAtOf(identity: Identity, idleSeconds: number): number | undefined {
  if (identity.hasOverrides || idleSeconds <= 0 || identity.deletedAt) return undefined;
  return Math.floor(Date.parse(seenAt(identity)) / 1000) + idleSeconds;
}

/**
 * Whether an identity's idle time is over (DynamoDB deletes expired items within days, not at
 * once: reads must not depend on when). Identities stored before retention existed have no
 * `lastSeenAt` and count as seen when they were last written.
 */
export function isExpired(identity: Identity, idleSeconds: number, now: Date): boolean {
  const expiresAt = expiresAtOf(identity, idleSeconds);
  return expiresAt !== undefined && expiresAt * 1000 <= now.getTime();
}

/** The write of an identity, with its TTL attribute (the store strips it on read, so every write sets it again). */
export function identityWrite(identity: Identity, idleSeconds: number, expect: 'absent' | number): Write {
  const expiresAt = expiresAtOf(identity, idleSeconds);
  const { expiresAt: _stale, ...entity } = identity;
  return { kind: 'put', entity: expiresAt === undefined ? entity : { ...entity, expiresAt }, expect };
}

export interface StoredIdentity {
  /** The identity as it applies: undefined when absent, expired or being deleted. */
  identity: Identity | undefined;
  /** The overrides that apply: none while the identity is being deleted. */
  overrides: IdentityOverride[];
  /** The item as stored (expired, tombstoned or live), for the version a write must expect. */
  item: Identity | undefined;
}

/** The identity and its overrides: one Query on the identity's partition. */
export async function readIdentity(store: Store, envId: string, identifier: string, retention: Retention): Promise<StoredIdentity> {
  const items = await store.listAll({ of: 'identity-with-overrides', envId, identifier });
  const item = items.find((candidate): candidate is Identity => candidate.type === 'identity');
  if (item?.deletedAt) return { identity: undefined, overrides: [], item };
  const overrides = items.filter((candidate): candidate is IdentityOverride => candidate.type === 'identity-override');
  const live = item && (overrides.length > 0 || !isExpired(item, retention.idleSeconds, retention.now)) ? item : undefined;
  return { identity: live, overrides, item };
}

/**
 * Stored traits with the request's applied on top; a null value removes a trait. Any key is a
 * trait key (`__proto__` and `constructor` included): set as own properties, never assigned.
 */
export function mergeTraits(stored: Record<string, TraitValue>, inputs: TraitInput[]): Record<string, TraitValue> {
  const merged = { ...stored };
  for (const { key, value } of inputs) {
    if (value === null) delete merged[key];
    else setOwn(merged, key, value);
  }
  return merged;
}

const sameTraits = (a: Record<string, TraitValue>, b: Record<string, TraitValue>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => Object.hasOwn(b, key) && b[key] === value);

/**
 * The identity with new traits, one version on from what is stored (or the first version).
 * `current` is the identity as it applies; `item` what is stored (an expired identity starts again).
 */
export function nextIdentity(
  environment: Environment,
  identifier: string,
  current: Identity | undefined,
  traits: Record<string, TraitValue>,
  at: string,
  item: Identity | undefined = current,
): Identity {
  return {
    type: 'identity',
    orgId: environment.orgId,
    projectId: environment.projectId,
    envId: environment.id,
    identifier,
    traits,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
    lastSeenAt: at,
    version: (item?.version ?? 0) + 1,
  };
}

/**
 * Stores the identity's persistent traits when they differ from what is stored, or refreshes
 * its expiry when it was last seen long enough ago; otherwise writes nothing. Nothing is created
 * for an identity without traits (it would evaluate exactly as an absent one), and nothing is
 * written while it is being deleted. A concurrent writer winning the race is fine: its traits
 * are as recent.
 */
export async function persistTraits(
  store: Store,
  environment: Environment,
  identifier: string,
  stored: StoredIdentity,
  traits: Record<string, TraitValue>,
  retention: Retention,
): Promise<void> {
  const { identity: current, item, overrides } = stored;
  if (item?.deletedAt) return;
  let next: Identity;
  if (current && sameTraits(current.traits, traits)) {
    if (!needsRefresh(current, overrides.length > 0, retention)) return;
    next = { ...current, lastSeenAt: retention.now.toISOString() };
  } else {
    if (!current && Object.keys(traits).length === 0) return;
    next = { ...nextIdentity(environment, identifier, current, traits, retention.now.toISOString(), item), hasOverrides: overrides.length > 0 || undefined };
  }
  await commitIgnoringRace(store, identityWrite(next, retention.idleSeconds, item ? item.version : 'absent'));
}

/** Refreshes the expiry of an identity an SDK has just seen, when due (GET identities: reads never create). */
export async function touchIdentity(store: Store, stored: StoredIdentity, retention: Retention): Promise<void> {
  const { identity, overrides } = stored;
  if (!identity || !needsRefresh(identity, overrides.length > 0, retention)) return;
  await commitIgnoringRace(store, identityWrite({ ...identity, lastSeenAt: retention.now.toISOString() }, retention.idleSeconds, identity.version));
}

function needsRefresh(identity: Identity, hasOverrides: boolean, { now, idleSeconds }: Retention): boolean {
  // An identity that never expires has nothing to refresh.
  if (hasOverrides || identity.hasOverrides || idleSeconds <= 0) return false;
  // Stored before retention existed: it gets its expiry now.
  if (identity.lastSeenAt === undefined) return true;
  return now.getTime() - Date.parse(identity.lastSeenAt) >= refreshAfterSeconds(idleSeconds) * 1000;
}

async function commitIgnoringRace(store: Store, write: Write): Promise<void> {
  try {
    await store.commit([write]);
  } catch (error) {
    if (!(error instanceof CommitConflict)) throw error;
  }
}

/**
 * Evaluates every flag for an identity: its overrides first, then the environment's rules.
 * `tenant`: the identity's tenant's record, which a snapshot loaded without tenants needs
 * (`identityTenant`).
 */
export function evaluateIdentity(
  snapshot: EnvironmentSnapshot,
  identifier: string,
  traits: Record<string, TraitValue>,
  overrides: IdentityOverride[],
  tenant?: TenantRecord,
): EvaluationResult {
  const features = new Map(snapshot.features.map((feature) => [feature.id, feature]));
  return snapshot.evaluator.evaluate({ identifier, traits }, identityOverrideContexts(snapshot.environment, features, overrides), tenant);
}
