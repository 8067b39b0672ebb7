/**
 * Identities as SDKs see them: stored traits merged with the traits a request sends, the
 * identity's overrides, and trait persistence that writes only when something changed.
 */
import type { EvaluationResult, TraitValue } from '../engine/index.js';
import { setOwn } from '../engine/records.js';
import type { Environment, Identity, IdentityOverride } from './entities.js';
import { type EnvironmentSnapshot, identityOverrideContexts } from './environment-snapshot.js';
import { CommitConflict, type Store } from './ports.js';

export interface TraitInput {
  key: string;
  value: TraitValue;
  /** Used for this evaluation only, never stored. */
  transient?: boolean | undefined;
}

export interface StoredIdentity {
  identity: Identity | undefined;
  overrides: IdentityOverride[];
}

/** The identity and its overrides: one Query on the identity's partition. */
export async function readIdentity(store: Store, envId: string, identifier: string): Promise<StoredIdentity> {
  const items = await store.listAll({ of: 'identity-with-overrides', envId, identifier });
  return {
    identity: items.find((item): item is Identity => item.type === 'identity'),
    overrides: items.filter((item): item is IdentityOverride => item.type === 'identity-override'),
  };
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

/** The identity with new traits, one version on from `current` (or the first version). */
export function nextIdentity(
  environment: Environment,
  identifier: string,
  current: Identity | undefined,
  traits: Record<string, TraitValue>,
  at: string,
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
    version: (current?.version ?? 0) + 1,
  };
}

/**
 * Stores the identity's persistent traits when they differ from what is stored (or when the
 * identity is new). A concurrent writer winning the race is fine: its traits are as recent.
 */
export async function persistTraits(
  store: Store,
  environment: Environment,
  identifier: string,
  current: Identity | undefined,
  traits: Record<string, TraitValue>,
  now: Date,
): Promise<void> {
  if (current && sameTraits(current.traits, traits)) return;
  const identity = nextIdentity(environment, identifier, current, traits, now.toISOString());
  try {
    await store.commit([{ kind: 'put', entity: identity, expect: current ? current.version : 'absent' }]);
  } catch (error) {
    if (!(error instanceof CommitConflict)) throw error;
  }
}

/** Evaluates every flag for an identity: its overrides first, then the environment's rules. */
export function evaluateIdentity(
  snapshot: EnvironmentSnapshot,
  identifier: string,
  traits: Record<string, TraitValue>,
  overrides: IdentityOverride[],
): EvaluationResult {
  const features = new Map(snapshot.features.map((feature) => [feature.id, feature]));
  return snapshot.evaluator.evaluate({ identifier, traits }, identityOverrideContexts(snapshot.environment, features, overrides));
}
