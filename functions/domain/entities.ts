/**
 * What a team manages in Vexilla. Plain data: the domain decides, the data layer stores.
 * Every mutable entity carries a `version` for optimistic concurrency.
 */
import type { SegmentRule, TraitValue } from '../engine/index.js';

export type Role = 'admin' | 'editor' | 'viewer';

/** A token's grants: organisation admin, or roles per project and per environment. */
export interface Roles {
  organisation?: 'admin' | undefined;
  projects?: Record<string, Role> | undefined;
  environments?: Record<string, Role> | undefined;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type ValueType = 'string' | 'number' | 'boolean' | 'json';

interface Stamped {
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface Organisation extends Stamped {
  type: 'organisation';
  id: string;
  name: string;
}

export interface Project extends Stamped {
  type: 'project';
  id: string;
  orgId: string;
  name: string;
  /** The identity trait that names a tenant for tenant overrides. */
  tenantTraitKey: string;
}

export interface Environment extends Stamped {
  type: 'environment';
  id: string;
  orgId: string;
  projectId: string;
  name: string;
  /**
   * The environment key identities are hashed with (`<hashKey>_<identifier>`), as Flagsmith's
   * environment api_key is. Kept from the source on import so users stay in their buckets.
   */
  hashKey: string;
}

/** An environment API key (client or server), stored only as a hash and looked up by it. */
export interface ApiKey {
  type: 'api-key';
  id: string;
  hash: string;
  kind: 'client' | 'server';
  /** The first characters, so people can tell keys apart in a list. */
  prefix: string;
  name: string;
  orgId: string;
  projectId: string;
  envId: string;
  createdAt: string;
}

/** An admin token, stored only as a hash and looked up by it. */
export interface AdminToken {
  type: 'token';
  id: string;
  hash: string;
  prefix: string;
  name: string;
  orgId: string;
  roles: Roles;
  /** The project of each environment in `roles.environments`, fixed when the token is made. */
  environmentProjects?: Record<string, string> | undefined;
  createdAt: string;
  createdBy: string;
}

export interface MultivariateOption {
  id: string;
  /** Flagsmith-format id; also the option's place in the split order (lower first). */
  numericId: number;
  value: JsonValue;
  /** Percentage (0-100) that environments start with. */
  defaultWeight: number;
}

export interface Feature extends Stamped {
  type: 'feature';
  id: string;
  /** Flagsmith-format feature id, as SDKs see it. */
  numericId: number;
  orgId: string;
  projectId: string;
  name: string;
  kind: 'STANDARD' | 'MULTIVARIATE';
  valueType: ValueType;
  defaultEnabled: boolean;
  initialValue: JsonValue;
  options: MultivariateOption[];
  tags: string[];
  description: string;
  owner: string | null;
}

/** The content of a feature state, the part that versions and restores copy. */
export interface FeatureStateContent {
  enabled: boolean;
  value: JsonValue;
  /** Multivariate weights per option id; options without an entry use their default weight. */
  weights: Record<string, number>;
}

export interface FeatureState extends Stamped, FeatureStateContent {
  type: 'feature-state';
  orgId: string;
  projectId: string;
  envId: string;
  featureId: string;
  featureName: string;
  /** Hashing key for multivariate splits (Flagsmith's feature-state id). */
  hashKey: string;
  updatedBy: string;
}

export interface FeatureStateVersion extends FeatureStateContent {
  type: 'feature-state-version';
  envId: string;
  featureId: string;
  featureName: string;
  version: number;
  at: string;
  actor: string;
  /** Set when this version was written by restoring an older one. */
  restoredFrom?: number | undefined;
}

export interface Segment extends Stamped {
  type: 'segment';
  id: string;
  /** Flagsmith-format segment id, as SDKs see it. */
  numericId: number;
  /** The key PERCENTAGE_SPLIT hashes with (Flagsmith's segment id; kept on import). */
  hashKey: string;
  orgId: string;
  projectId: string;
  name: string;
  description: string;
  rules: SegmentRule[];
}

export interface SegmentOverride extends Stamped {
  type: 'segment-override';
  orgId: string;
  projectId: string;
  envId: string;
  featureId: string;
  featureName: string;
  segmentId: string;
  /** Lower wins. */
  priority: number;
  enabled: boolean;
  value: JsonValue;
  /** Hashing key for a multivariate split inside the override. */
  hashKey: string;
}

export interface TenantOverride extends Stamped {
  type: 'tenant-override';
  orgId: string;
  projectId: string;
  envId: string;
  featureId: string;
  featureName: string;
  tenantId: string;
  enabled: boolean;
  value: JsonValue;
}

export interface Identity extends Stamped {
  type: 'identity';
  orgId: string;
  projectId: string;
  envId: string;
  identifier: string;
  traits: Record<string, TraitValue>;
}

export interface IdentityOverride extends Stamped {
  type: 'identity-override';
  orgId: string;
  projectId: string;
  envId: string;
  identifier: string;
  featureId: string;
  featureName: string;
  enabled: boolean;
  value: JsonValue;
}

export type DetailType =
  | 'organisation.changed'
  | 'project.changed'
  | 'environment.changed'
  | 'api-key.changed'
  | 'token.changed'
  | 'feature.changed'
  | 'feature-state.changed'
  | 'segment.changed'
  | 'identity.changed'
  | 'identity-override.changed';

/**
 * One committed change: written in the same transaction as the change itself, so it is both the
 * audit record and the outbox entry the event pipeline publishes. It cannot be lost or invented.
 */
export interface ChangeEvent {
  type: 'event';
  id: string;
  detailType: DetailType;
  action: 'created' | 'updated' | 'deleted' | 'restored';
  orgId: string;
  projectId?: string | undefined;
  envId?: string | undefined;
  /** What changed, e.g. `{ kind: 'feature-state', featureName: 'checkout' }`. */
  subject: Record<string, string>;
  actor: { tokenId: string; name: string };
  before: unknown;
  after: unknown;
  version?: number | undefined;
  at: string;
}

export type Entity =
  | Organisation
  | Project
  | Environment
  | ApiKey
  | AdminToken
  | Feature
  | FeatureState
  | FeatureStateVersion
  | Segment
  | SegmentOverride
  | TenantOverride
  | Identity
  | IdentityOverride
  | ChangeEvent;
