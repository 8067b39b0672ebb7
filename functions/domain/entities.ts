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
  /**
   * Approvals a change request needs before it may apply. Above 0, feature states and segment / tenant
   * overrides of this environment change only through approved change requests (API, import, restore and
   * schedules are refused). Absent on environments stored before governance existed: 0.
   */
  requiredApprovals?: number | undefined;
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
  /** A server key scoped to one tenant (by key): it sees that tenant's data only. */
  tenantKey?: string | undefined;
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

/**
 * Who made a change, as audit records, events, webhooks and change requests name them: an admin
 * token (a machine user) or a person signed in through the identity provider. `tokenId` is the
 * caller's id either way (a token's `tok_...`, a person's `usr_...`); people also carry their
 * subject at the identity provider and their email address.
 */
export interface ActorRef {
  tokenId: string;
  name: string;
  type?: 'token' | 'user' | 'event' | 'tenant-user' | undefined;
  subject?: string | undefined;
  email?: string | undefined;
  /** A tenant user's tenant (their token named it; `subject` names the user). */
  tenant?: string | undefined;
}

/**
 * A person who signs in through the identity provider (Cognito, or the customer's own issuer).
 * Vexilla stores no password: the identity provider vouches for who they are, and the id is
 * derived from the issuer and subject, so each token finds its user without a lookup.
 */
export interface User {
  type: 'user';
  id: string;
  issuer: string;
  subject: string;
  /** Lower-cased; empty when the identity provider never sent one. */
  email: string;
  /** Whether the identity provider says it verified `email` (invitations need it). */
  emailVerified: boolean;
  name: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** A person's roles in one organisation: the same grants an admin token holds. */
export interface Membership extends Stamped {
  type: 'membership';
  orgId: string;
  userId: string;
  /** Copies of the user's, so listings need no second read. */
  subject: string;
  email: string;
  name: string;
  roles: Roles;
  /** The project of each environment in `roles.environments`, fixed when the roles are set. */
  environmentProjects?: Record<string, string> | undefined;
  /** Who invited them, when they joined through an invitation. */
  invitedBy?: ActorRef | undefined;
}

/** An invitation to an organisation, accepted when a person with this verified email signs in. */
export interface Invitation {
  type: 'invitation';
  id: string;
  orgId: string;
  /** Lower-cased. One pending invitation per address and organisation. */
  email: string;
  roles: Roles;
  environmentProjects?: Record<string, string> | undefined;
  createdAt: string;
  /** When it stops being accepted (ISO instant). */
  expires: string;
  createdBy: ActorRef;
  /** Epoch seconds (DynamoDB TTL), set on every write from `expires`; stripped on read. */
  expiresAt?: number | undefined;
  version: number;
}

/** Roles everyone in an identity-provider group holds, for as long as their tokens say they are in it. */
export interface GroupRule extends Stamped {
  type: 'group-rule';
  orgId: string;
  group: string;
  roles: Roles;
  environmentProjects?: Record<string, string> | undefined;
}

export interface MultivariateOption {
  id: string;
  /** Flagsmith-format id; also the option's place in the split order (lower first). */
  numericId: number;
  value: JsonValue;
  /** Percentage (0-100) that environments start with. */
  defaultWeight: number;
}

/**
 * Another feature that must be on for the same identity (serving a given variant or value, when
 * named), or the feature is served off with reason PREREQUISITE_FAILED. Bound by name, so a
 * required feature deleted with `force` fails the requirement until one of that name exists again.
 */
export interface FeaturePrerequisite {
  featureName: string;
  /** The required multivariate option's id. */
  variant?: string | undefined;
  /** The required value (a string, number or boolean). */
  value?: string | number | boolean | undefined;
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
  /** Features that must be on for the same identity; absent or empty: none. */
  prerequisites?: FeaturePrerequisite[] | undefined;
  /** A tenant-scoped feature exists only for these tenants (keys); everyone else is served it off. Absent or null: every tenant. */
  tenants?: string[] | null | undefined;
  /** Present when tenants' own admins may set this feature for their tenant (/tenant/v1), within these constraints. */
  tenantSettings?: TenantSettings | undefined;
}

/**
 * What a tenant's admins may choose for a tenant-configurable feature: a value within every
 * constraint given (one of `allowedValues`, within `minimum`-`maximum` for numbers, valid
 * against `schema`), and on/off when `allowToggle`. Checked by domain/tenant-constraints.ts.
 */
export interface TenantSettings {
  /** What the settings panel shows instead of the feature's name. */
  label?: string | undefined;
  description?: string | undefined;
  allowedValues?: JsonValue[] | undefined;
  minimum?: number | undefined;
  maximum?: number | undefined;
  /** A JSON Schema (draft 2020-12) values must satisfy. */
  schema?: { [key: string]: JsonValue } | undefined;
  /** Whether tenants may switch the feature on or off for themselves. @default false */
  allowToggle?: boolean | undefined;
}

/**
 * A key tenant tokens of one environment are verified with: the customer's backend signs short
 * JWTs for one tenant and one user, and `/tenant/v1` accepts them. A JWKS URL (fetched, cached,
 * fetched again on an unknown key id) or one public key (as a JWK; PEM is converted on the way in).
 */
export interface TenantTokenKey {
  type: 'tenant-token-key';
  id: string;
  orgId: string;
  projectId: string;
  envId: string;
  name: string;
  jwksUrl?: string | undefined;
  publicKey?: { [key: string]: JsonValue } | undefined;
  /** Asymmetric JWS algorithms accepted (never `none`, never HS*). */
  algorithms: string[];
  /** The exact `iss` and an `aud` tokens must carry. */
  issuer: string;
  audience: string;
  /** The longest `exp - iat` a token may have. */
  maxLifetimeSeconds: number;
  /** Browser origins (`https://app.example.com`) that may call /tenant/v1 with these tokens. */
  allowedOrigins: string[];
  createdAt: string;
  createdBy: string;
}

/** The content of a feature state, the part that versions and restores copy. */
export interface FeatureStateContent {
  enabled: boolean;
  value: JsonValue;
  /** Multivariate weights per option id; options without an entry use their default weight. */
  weights: Record<string, number>;
}

/**
 * The split a running rollout serves on the feature state it rolls out: identities whose bucket
 * (the Flagsmith hash of the segment id and the identity key) is within `percentage` get
 * `target`. While it is there, the feature state changes only through its rollout.
 */
export interface ServedRollout {
  id: string;
  /** Identities served the target, in percent (0-100]. */
  percentage: number;
  /** The Flagsmith-format id of the rollout's segment, the bucketing key: constant for the rollout's life, so buckets are sticky. */
  segmentId: number;
  target: FeatureStateContent;
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
  /** The split of the rollout in progress, if one is. */
  rollout?: ServedRollout | undefined;
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
  /** The rollout split this version served, if one. */
  rollout?: ServedRollout | undefined;
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
  /**
   * The tenant this segment belongs to (a tenant-scoped segment: it only ever matches identities
   * whose tenant trait names this tenant), or null for a project-wide segment.
   */
  tenantKey: string | null;
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

/**
 * A tenant (one of the customer's customers), keyed by the value identities carry in the
 * project's tenant trait (`tenantTraitKey`). Segment conditions read its traits as
 * `tenant.<trait>` (plan, region, seats, ...).
 */
export interface Tenant extends Stamped {
  type: 'tenant';
  orgId: string;
  projectId: string;
  key: string;
  name: string;
  traits: Record<string, TraitValue>;
  /** Templates assigned to the tenant (keys); absent: none. Templates whose rule its traits satisfy apply too. */
  templates?: string[] | undefined;
  /**
   * When the name and each trait were last set or removed (ISO instants: an event's
   * `occurredAt`, or the commit time of an API write), so a tenant-update event that arrives
   * late never undoes a newer change. Removed traits keep their time (at most
   * `LIMITS.traitsPerTenant` of them, the newest).
   */
  changedAt?: TenantChangeTimes | undefined;
}

export interface TenantChangeTimes {
  name?: string | undefined;
  traits: Record<string, string>;
}

/**
 * A template: a named set of feature values (per environment: {@link TemplateValues}) that
 * applies to the tenants assigned to it and to those whose traits satisfy its rule. Templates
 * apply in `rank` order (lower first; ties by key): the first that sets a feature wins.
 */
export interface Template extends Stamped {
  type: 'template';
  orgId: string;
  projectId: string;
  key: string;
  name: string;
  description: string;
  rank: number;
  /** Conditions on tenant traits (`tenant.plan EQUAL enterprise`); empty: by assignment only. */
  rules: SegmentRule[];
}

/** What a template serves for one feature. */
export interface TemplateValue {
  enabled: boolean;
  value: JsonValue;
}

/** A template's feature values in one environment, by feature name: one item, so one change changes every assigned tenant at once. */
export interface TemplateValues extends Stamped {
  type: 'template-values';
  orgId: string;
  projectId: string;
  envId: string;
  templateKey: string;
  values: Record<string, TemplateValue>;
}

export interface Identity extends Stamped {
  type: 'identity';
  orgId: string;
  projectId: string;
  envId: string;
  identifier: string;
  traits: Record<string, TraitValue>;
  /** When an SDK last evaluated it (refreshed at most daily) or it was written: its idle time starts here. */
  lastSeenAt?: string | undefined;
  /**
   * Set while the identity is being deleted (its overrides go in batches): from then on none of
   * its overrides apply, and deleting again finishes the job.
   */
  deletedAt?: string | undefined;
  /** True while the identity has overrides: it is then kept however long it goes unseen. */
  hasOverrides?: boolean | undefined;
  /** Epoch seconds (DynamoDB TTL), set on writes of identities without overrides; stripped on read. */
  expiresAt?: number | undefined;
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
  | 'identity-override.changed'
  | 'webhook.changed'
  | 'change-request.changed'
  | 'schedule.changed'
  | 'rollout.changed'
  | 'member.changed'
  | 'tenant.changed'
  | 'template.changed';

export type ChangeAction =
  | 'created'
  | 'updated'
  | 'deleted'
  | 'restored'
  | 'approved'
  | 'commented'
  | 'applied'
  | 'cancelled'
  | 'failed'
  | 'started'
  | 'advanced'
  | 'paused'
  | 'resumed'
  | 'completed'
  | 'rolled-back'
  | 'aborted';

/**
 * One committed change: written in the same transaction as the change itself, so it is both the
 * audit record and the outbox entry the event pipeline publishes. It cannot be lost or invented.
 */
export interface ChangeEvent {
  type: 'event';
  id: string;
  detailType: DetailType;
  action: ChangeAction;
  orgId: string;
  projectId?: string | undefined;
  envId?: string | undefined;
  /** What changed, e.g. `{ kind: 'feature-state', featureName: 'checkout' }`. */
  subject: Record<string, string>;
  actor: ActorRef;
  before: unknown;
  after: unknown;
  /**
   * Images left out because the event would not fit one DynamoDB item (before goes first): the
   * side is null above, and this says what it was. A left-out `before` is the `after` of the
   * previous event on the same subject, or a version record (feature states).
   */
  omittedImages?: OmittedImages | undefined;
  version?: number | undefined;
  at: string;
}

/** What an image left out of an event was: the SHA-256 of its canonical JSON (sorted keys), and its size. */
export interface ImageDigest {
  sha256: string;
  bytes: number;
}

export interface OmittedImages {
  before?: ImageDigest | undefined;
  after?: ImageDigest | undefined;
}

/**
 * A change to one feature state, as change requests and scheduled changes carry it: the content
 * to write, and the version it was proposed against (applying refuses if the state moved).
 * No `target` field: changes stored before overrides could be proposed are feature-state changes.
 */
export interface FeatureStateChange {
  target?: 'feature-state' | undefined;
  featureName: string;
  featureId: string;
  /** The feature state's version when the change was proposed (0: never written). */
  expectedVersion: number;
  /** The content after the change (complete, so what is approved is exactly what is written). */
  content: FeatureStateContent;
}

/** What a segment override serves: lower priority wins. */
export interface SegmentOverrideContent {
  enabled: boolean;
  value: JsonValue;
  priority: number;
}

/** What a tenant override serves. */
export interface TenantOverrideContent {
  enabled: boolean;
  value: JsonValue;
}

/** A change to one segment override: its complete content, or null to remove it. */
export interface SegmentOverrideChange {
  target: 'segment-override';
  featureName: string;
  featureId: string;
  segmentId: string;
  /** The override's version when the change was proposed (0: absent). */
  expectedVersion: number;
  content: SegmentOverrideContent | null;
}

/** A change to one tenant override: its complete content, or null to remove it. */
export interface TenantOverrideChange {
  target: 'tenant-override';
  featureName: string;
  featureId: string;
  tenantId: string;
  /** The override's version when the change was proposed (0: absent). */
  expectedVersion: number;
  content: TenantOverrideContent | null;
}

/**
 * Starting a rollout that awaits approval: applying it starts the rollout (its first step), which
 * then runs every step without asking again.
 */
export interface RolloutChange {
  target: 'rollout';
  featureName: string;
  featureId: string;
  rolloutId: string;
  /** The rollout's version when it was proposed. */
  expectedVersion: number;
  /** What is approved, for reviewers: the rollout's target, plan, bake times and guard alarms. */
  rollout: Pick<Rollout, 'target' | 'percentages' | 'bakeSeconds' | 'finalBakeSeconds' | 'guardAlarms'>;
}

/** One feature's entry in a template change, for reviewers: what it serves now and after (null: absent). */
export interface TemplateFeatureChange {
  featureName: string;
  before: TemplateValue | null;
  after: TemplateValue | null;
}

/**
 * Replacing a template's values in the environment (whole), which changes every tenant the
 * template applies to: opened by `PUT …/templates/{key}/values` where approvals are required.
 */
export interface TemplateValuesChange {
  target: 'template-values';
  templateKey: string;
  templateName: string;
  /** The values' version when the change was proposed (0: none yet). */
  expectedVersion: number;
  /** The template's values once applied (replacing the current ones whole). */
  content: Record<string, TemplateValue>;
  /** The features whose entry changes, old → new. */
  features: TemplateFeatureChange[];
  /** How many tenants the template applied to when the change was proposed (assigned, or by its rule). */
  tenants: number;
}

/** A change a change set carries: to a feature state, a segment override, a tenant override or a template's values, or the start of a rollout. */
export type ProposedChange = FeatureStateChange | SegmentOverrideChange | TenantOverrideChange | RolloutChange | TemplateValuesChange;

/** A change that cannot apply because its target moved since it was proposed: the diff, as a 409 and a failed schedule show it. */
export interface FeatureStateConflict {
  featureName: string;
  expectedVersion: number;
  /** null: the feature no longer exists (deleted, or deleted and created again). */
  currentVersion: number | null;
  current: FeatureStateContent | null;
  proposed: FeatureStateContent;
}

/** An override that moved: current and proposed are null where the override is (or would be) absent; currentVersion is null when the feature or segment is gone. */
export interface SegmentOverrideConflict {
  featureName: string;
  segmentId: string;
  expectedVersion: number;
  currentVersion: number | null;
  current: SegmentOverrideContent | null;
  proposed: SegmentOverrideContent | null;
}

/** A tenant override that moved (see {@link SegmentOverrideConflict}). */
export interface TenantOverrideConflict {
  featureName: string;
  tenantId: string;
  expectedVersion: number;
  currentVersion: number | null;
  current: TenantOverrideContent | null;
  proposed: TenantOverrideContent | null;
}

/** A rollout that cannot start: it moved since it was proposed, or its feature cannot take it now. */
export interface RolloutConflict {
  featureName: string;
  rolloutId: string;
  expectedVersion: number;
  /** null: the rollout (or its feature) is gone. */
  currentVersion: number | null;
  reason: string;
}

/** A template's values that moved since the change was proposed (currentVersion null: the template is gone). */
export interface TemplateValuesConflict {
  templateKey: string;
  expectedVersion: number;
  currentVersion: number | null;
  current: Record<string, TemplateValue> | null;
  proposed: Record<string, TemplateValue>;
}

export type ChangeConflict = FeatureStateConflict | SegmentOverrideConflict | TenantOverrideConflict | RolloutConflict | TemplateValuesConflict;

/** A per-environment webhook. The secret signs deliveries; the API shows it only once. */
export interface Webhook extends Stamped {
  type: 'webhook';
  id: string;
  orgId: string;
  projectId: string;
  envId: string;
  url: string;
  /**
   * The HMAC key. Kept (not hashed: signing needs it), never returned after creation, never in
   * events, audit images or logs.
   */
  secret: string;
  /** The first characters of the secret, so people can tell secrets apart. */
  secretPrefix: string;
  /** Detail-types delivered; empty means every detail-type the dispatcher receives. */
  events: DetailType[];
  enabled: boolean;
  description: string;
  createdBy: string;
}

/** One event's delivery to one webhook, with its attempts. Its id is derived from both, so it is made once. */
export interface WebhookDelivery {
  type: 'webhook-delivery';
  id: string;
  orgId: string;
  envId: string;
  webhookId: string;
  eventId: string;
  detailType: DetailType;
  /** pending → delivered | retrying → … → failed (the dead-letter list); redelivery makes it pending again. */
  status: 'pending' | 'retrying' | 'delivered' | 'failed';
  attempts: number;
  lastAttemptAt?: string | undefined;
  lastStatusCode?: number | undefined;
  lastError?: string | undefined;
  nextAttemptAt?: string | undefined;
  deliveredAt?: string | undefined;
  /**
   * The event part of the body, as JSON (`{"id","type","data"}`). Each attempt POSTs it with that
   * attempt's `timestamp` added and signs the exact bytes, so a redelivery days later is fresh.
   */
  payload: string;
  createdAt: string;
  updatedAt: string;
  /** Epoch seconds (DynamoDB TTL), set on every write from `createdAt`; stripped on read. */
  expiresAt?: number | undefined;
  version: number;
}

export interface Approval extends ActorRef {
  at: string;
}

export interface Comment extends ActorRef {
  id: string;
  at: string;
  text: string;
}

/** Proposed changes to an environment's feature states, applied atomically once approved. */
export interface ChangeRequest extends Stamped {
  type: 'change-request';
  id: string;
  orgId: string;
  projectId: string;
  envId: string;
  title: string;
  description: string;
  changes: ProposedChange[];
  author: ActorRef;
  /** Approvals of the current `changes`; editing the changes empties it. */
  approvals: Approval[];
  comments: Comment[];
  status: 'open' | 'applied' | 'closed';
  appliedAt?: string | undefined;
  appliedBy?: string | undefined;
}

/** A change set (or an approved change request) to apply at an instant, once. */
export interface ScheduledChange extends Stamped {
  type: 'scheduled-change';
  id: string;
  orgId: string;
  projectId: string;
  envId: string;
  /** When to apply (ISO instant). */
  runAt: string;
  /** The changes to apply, or the approved change request whose changes apply. */
  changes: ProposedChange[];
  changeRequestId?: string | undefined;
  status: 'scheduled' | 'applied' | 'cancelled' | 'failed';
  /** Why it failed (e.g. a state moved since it was scheduled). */
  failure?: string | undefined;
  /** When it failed because targets moved: the diff per feature. */
  conflicts?: ChangeConflict[] | undefined;
  /** Conflicts left out of `conflicts` to keep the item small (`failure` still names every target). */
  conflictsOmitted?: number | undefined;
  appliedAt?: string | undefined;
  createdBy: ActorRef;
}

export type RolloutStatus = 'awaiting-approval' | 'running' | 'paused' | 'completed' | 'rolled-back' | 'aborted' | 'cancelled' | 'failed';

/** How a rollout's percentages were asked for. */
export type RolloutSteps =
  | { type: 'linear'; steps: number }
  | { type: 'exponential'; start: number; factor: number }
  | { type: 'percentages'; percentages: number[] };

/** What a rollout serves at 100%: on (or off), optionally with a value or one multivariate option (by id). */
export interface RolloutTarget {
  enabled: boolean;
  value?: JsonValue | undefined;
  variant?: string | undefined;
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** A CloudWatch alarm's state, as DescribeAlarms or a state-change event reports it. */
export interface AlarmState {
  name: string;
  arn?: string | undefined;
  state: AlarmStateValue;
  reason?: string | undefined;
  updatedAt?: string | undefined;
}

/**
 * A progressive rollout of one feature in one environment: the feature state is served to a
 * growing percentage of identities, step by step, each step after a bake time, while the guard
 * alarms stay out of ALARM. An alarm rolls it back to where it started.
 */
export interface Rollout extends Stamped {
  type: 'rollout';
  id: string;
  orgId: string;
  projectId: string;
  envId: string;
  featureId: string;
  featureName: string;
  target: RolloutTarget;
  steps: RolloutSteps;
  /** The percentages served, step by step, ascending; the last is 100. */
  percentages: number[];
  /** How long each step is served before the next. */
  bakeSeconds: number;
  /** How long 100% is served, still guarded, before the rollout completes (0: it completes at 100%). */
  finalBakeSeconds: number;
  /** CloudWatch alarms (names or ARNs) that roll it back when they enter ALARM. */
  guardAlarms: string[];
  description: string;
  /** The Flagsmith-format id of its segment: the bucketing key (see ServedRollout). */
  segmentId: number;
  status: RolloutStatus;
  /** Index in `percentages` of the step served; -1 before the first. */
  step: number;
  /** Percentage of identities served the target now. */
  percentage: number;
  /** While running: when the next step (or completion) is due. */
  nextStepAt?: string | undefined;
  /** While paused: how much of the current bake was left. */
  remainingMs?: number | undefined;
  /** The feature state when the rollout started: what a rollback serves again. */
  start?: { version: number; content: FeatureStateContent } | undefined;
  /** What every identity is served once complete. */
  targetContent?: FeatureStateContent | undefined;
  /** The change request that approves it, where the environment requires approvals. */
  changeRequestId?: string | undefined;
  /** Each step served, oldest first. */
  history: { step: number; percentage: number; at: string; by: string }[];
  /** Why it stopped or paused on its own: the alarm, when one did it. */
  stop?: { reason: string; at: string; by: string; alarm?: AlarmState | undefined } | undefined;
  startedAt?: string | undefined;
  endedAt?: string | undefined;
  createdBy: ActorRef;
}

/**
 * Marks an event as handled by a consumer: consumers put it with the effects of handling the
 * event (conditionally absent), so a redelivered event changes nothing. Expires with TTL.
 */
export interface ConsumedEvent {
  type: 'consumed';
  consumer: string;
  eventId: string;
  at: string;
  /** Epoch seconds (DynamoDB TTL). */
  expiresAt: number;
}

/** The latest published document of an environment: what the edge serves, and when it changed. */
export interface PublishedDocument {
  type: 'published-document';
  orgId: string;
  envId: string;
  /** Hash of the document's canonical JSON. */
  etag: string;
  updatedAt: string;
  /** The event ids the publish covered (a coalesced burst), newest last, capped. */
  eventIds: string[];
  bytes: number;
  version: number;
  /**
   * The environment's keys when this version was published, by edge key (a hash prefix,
   * functions/edge/cache-rules.ts): whose cached answers the next publish drops.
   */
  edgeKeys?: EdgeKeyRef[] | undefined;
  /** The keys this version's publish invalidated at the edge (the previous version's and these). */
  invalidated?: EdgeKeyRef[] | undefined;
}

/**
 * An upper bound of an environment document's size (`jsonBytes` of `environmentDocument`), kept
 * so the document budget is checked without building the document. Each growing write adds what
 * it may add, in its own transaction ({@link Write} `grow-document`); shrinking writes leave it
 * high; the exact measure (the publisher's, or the budget check's when the bound says "full")
 * brings it back down. No version: it only ever moves by atomic additions.
 */
export interface DocumentSize {
  type: 'document-size';
  envId: string;
  bytes: number;
}

/** An environment key as the edge knows it: the hash prefix in its cached paths, and its kind. */
export interface EdgeKeyRef {
  edgeKey: string;
  kind: 'client' | 'server';
}

/** What a background job does: import a document, or delete what a deleted entity owned. */
export type JobInput = ImportJobInput | PurgeJobInput;

/** An import of a Flagsmith document, kept in chunks next to the job until it finishes. */
export interface ImportJobInput {
  kind: 'import';
  dryRun: boolean;
  /** How many gzipped chunks hold the document, and its size in bytes. */
  chunks: number;
  bytes: number;
}

/** What a deleted entity owned, still stored: nothing of it applies any more (see use-cases/purges.ts). */
export type PurgeTarget =
  | { type: 'feature'; projectId: string; featureId: string; featureName: string; envIds: string[] }
  | { type: 'segment'; projectId: string; segmentId: string; envIds: string[] }
  | { type: 'webhook'; envId: string; webhookId: string }
  | { type: 'environment'; projectId: string; envId: string; webhookIds: string[] }
  | { type: 'project'; projectId: string };

export interface PurgeJobInput {
  kind: 'purge';
  target: PurgeTarget;
}

/** Why a job failed, in domain terms: the error's kind (Invalid, Conflict, NotFound, ...), its message and details. */
export interface JobError {
  error: string;
  message: string;
  details?: unknown;
}

/**
 * A background job: an import or a purge, run in batches by whoever takes it (the job-runner
 * function in production, the local stack in-process). A runner holds it until `leaseUntil`;
 * every batch commits with the job's progress, conditional on its version, so two runners never
 * both work on it and a run that dies is resumed from its last batch.
 */
export interface Job extends Stamped {
  type: 'job';
  id: string;
  orgId: string;
  projectId?: string | undefined;
  envId?: string | undefined;
  input: JobInput;
  status: 'queued' | 'running' | 'succeeded' | 'failed';
  /** Who started it, as audit names them. */
  actor: { tokenId: string; name: string };
  /** Changes (an import) or items (a purge) done so far, of how many (null until known). */
  progress: { done: number; total: number | null };
  /** A purge's place: the sweep it is in and the cursor within it. */
  position?: { sweep: number; cursor?: string | undefined } | undefined;
  /** An import's plan: what it changes (or, for a dry run, would change). */
  summary?: unknown;
  error?: JobError | undefined;
  /** Unexpected failures so far; the job fails after a few. */
  failures: number;
  /** Runs that stopped on a conflict with a concurrent change; the job fails after a few. */
  conflicts?: number | undefined;
  leaseUntil?: string | undefined;
  finishedAt?: string | undefined;
}

/** A piece of a job's input too large for one item (a gzipped document): at most ~300 KB each. */
export interface JobChunk {
  type: 'job-chunk';
  jobId: string;
  index: number;
  data: Uint8Array;
  /** Epoch seconds (DynamoDB TTL): chunks of a job that never finished go on their own. */
  expiresAt?: number | undefined;
}

export type Entity =
  | Organisation
  | Project
  | Environment
  | ApiKey
  | AdminToken
  | User
  | Membership
  | Invitation
  | GroupRule
  | Feature
  | FeatureState
  | FeatureStateVersion
  | Segment
  | SegmentOverride
  | TenantOverride
  | Tenant
  | Template
  | TemplateValues
  | TenantTokenKey
  | Identity
  | IdentityOverride
  | ChangeEvent
  | Webhook
  | WebhookDelivery
  | ChangeRequest
  | ScheduledChange
  | Rollout
  | ConsumedEvent
  | PublishedDocument
  | DocumentSize
  | Job
  | JobChunk;
