/**
 * What the domain needs from storage, in domain terms. The DynamoDB repository implements it;
 * nothing here knows about AWS.
 */
import type {
  AdminToken,
  ApiKey,
  ChangeEvent,
  ChangeRequest,
  Entity,
  Environment,
  Feature,
  FeatureState,
  GroupRule,
  Invitation,
  Membership,
  User,
  FeatureStateVersion,
  Identity,
  IdentityOverride,
  Job,
  JobChunk,
  Project,
  AlarmState,
  AlarmStateValue,
  Rollout,
  ScheduledChange,
  Segment,
  SegmentOverride,
  Tenant,
  Template,
  TemplateValues,
  TenantOverride,
  TenantTokenKey,
  Webhook,
  WebhookDelivery,
} from './entities.js';

/** The key of one audit record (a change event as stored: not an entity, it has no version). */
export type AuditRecordRef = { type: 'event'; orgId: string; at: string; id: string };

/** The identity of one stored entity. */
export type EntityRef =
  | { type: 'organisation'; id: string }
  | { type: 'project'; id: string }
  | { type: 'environment'; id: string }
  | { type: 'api-key'; hash: string }
  | { type: 'token'; hash: string }
  | { type: 'user'; id: string }
  | { type: 'membership'; userId: string; orgId: string }
  | { type: 'invitation'; orgId: string; email: string }
  | { type: 'group-rule'; orgId: string; group: string }
  | { type: 'feature'; projectId: string; name: string }
  | { type: 'feature-state'; envId: string; featureId: string }
  | { type: 'feature-state-version'; envId: string; featureId: string; version: number }
  | { type: 'segment'; projectId: string; id: string }
  | { type: 'segment-override'; envId: string; featureId: string; segmentId: string }
  | { type: 'tenant-override'; envId: string; featureId: string; tenantId: string }
  | { type: 'tenant'; projectId: string; key: string }
  | { type: 'template'; projectId: string; key: string }
  | { type: 'template-values'; envId: string; templateKey: string }
  | { type: 'tenant-token-key'; envId: string; id: string }
  | { type: 'identity'; envId: string; identifier: string }
  | { type: 'identity-override'; envId: string; identifier: string; featureId: string }
  | { type: 'webhook'; envId: string; id: string }
  | { type: 'webhook-delivery'; webhookId: string; id: string }
  | { type: 'change-request'; envId: string; id: string }
  | { type: 'scheduled-change'; envId: string; id: string }
  | { type: 'rollout'; envId: string; id: string }
  | { type: 'consumed'; consumer: string; eventId: string }
  | { type: 'published-document'; envId: string }
  | { type: 'document-size'; envId: string }
  | { type: 'job'; id: string }
  | { type: 'job-chunk'; jobId: string; index: number };

export type EntityOf<R extends EntityRef> = Extract<Entity, { type: R['type'] }>;

/** The reference of a stored entity (audit records are never referenced: they are written once, and kept). */
export function entityRef(entity: Exclude<Entity, ChangeEvent>): EntityRef {
  switch (entity.type) {
    case 'organisation':
    case 'project':
    case 'environment':
      return { type: entity.type, id: entity.id };
    case 'api-key':
    case 'token':
      return { type: entity.type, hash: entity.hash };
    case 'user':
      return { type: 'user', id: entity.id };
    case 'membership':
      return { type: 'membership', userId: entity.userId, orgId: entity.orgId };
    case 'invitation':
      return { type: 'invitation', orgId: entity.orgId, email: entity.email };
    case 'group-rule':
      return { type: 'group-rule', orgId: entity.orgId, group: entity.group };
    case 'feature':
      return { type: 'feature', projectId: entity.projectId, name: entity.name };
    case 'feature-state':
      return { type: 'feature-state', envId: entity.envId, featureId: entity.featureId };
    case 'feature-state-version':
      return { type: 'feature-state-version', envId: entity.envId, featureId: entity.featureId, version: entity.version };
    case 'segment':
      return { type: 'segment', projectId: entity.projectId, id: entity.id };
    case 'segment-override':
      return { type: 'segment-override', envId: entity.envId, featureId: entity.featureId, segmentId: entity.segmentId };
    case 'tenant-override':
      return { type: 'tenant-override', envId: entity.envId, featureId: entity.featureId, tenantId: entity.tenantId };
    case 'tenant':
      return { type: 'tenant', projectId: entity.projectId, key: entity.key };
    case 'template':
      return { type: 'template', projectId: entity.projectId, key: entity.key };
    case 'template-values':
      return { type: 'template-values', envId: entity.envId, templateKey: entity.templateKey };
    case 'tenant-token-key':
      return { type: 'tenant-token-key', envId: entity.envId, id: entity.id };
    case 'identity':
      return { type: 'identity', envId: entity.envId, identifier: entity.identifier };
    case 'identity-override':
      return { type: 'identity-override', envId: entity.envId, identifier: entity.identifier, featureId: entity.featureId };
    case 'webhook':
    case 'change-request':
    case 'scheduled-change':
    case 'rollout':
      return { type: entity.type, envId: entity.envId, id: entity.id };
    case 'webhook-delivery':
      return { type: 'webhook-delivery', webhookId: entity.webhookId, id: entity.id };
    case 'consumed':
      return { type: 'consumed', consumer: entity.consumer, eventId: entity.eventId };
    case 'published-document':
    case 'document-size':
      return { type: entity.type, envId: entity.envId };
    case 'job':
      return { type: 'job', id: entity.id };
    case 'job-chunk':
      return { type: 'job-chunk', jobId: entity.jobId, index: entity.index };
  }
}

/** A listable set of entities, each served by one Query (see data/table.ts). */
export type Collection =
  | { of: 'projects'; orgId: string }
  | { of: 'environments'; projectId: string }
  | { of: 'api-keys'; envId: string }
  | { of: 'tokens'; orgId: string }
  /** A user and every membership they hold, in one read (each request a person makes). */
  | { of: 'user-with-memberships'; userId: string }
  /** The members of an organisation, by email (`email`: only that address's). */
  | { of: 'members'; orgId: string; email?: string | undefined }
  | { of: 'invitations'; orgId: string }
  /** The invitations to an email address, across organisations (accepted at sign-in). */
  | { of: 'invitations-for-email'; email: string }
  | { of: 'group-rules'; orgId: string }
  /** The rules naming a group, across organisations (which organisations a group lets a person into). */
  | { of: 'group-rules-for-group'; group: string }
  | { of: 'features'; projectId: string }
  | { of: 'segments'; projectId: string; tenantKey?: string | undefined }
  | { of: 'feature-states'; envId: string }
  | { of: 'segment-overrides'; envId: string; featureId?: string | undefined }
  | { of: 'tenant-overrides'; envId: string; featureId?: string | undefined }
  /** A project's tenants by key; `search`: those whose key or name contains it (any case). */
  | { of: 'tenants'; projectId: string; search?: string | undefined }
  | { of: 'templates'; projectId: string }
  | { of: 'template-values'; envId: string }
  /** The keys an environment's tenant tokens are verified with. */
  | { of: 'tenant-token-keys'; envId: string }
  /** Changes to one tenant's overrides in an environment, newest first (its /tenant/v1 history). */
  | { of: 'tenant-history'; envId: string; tenantKey: string }
  | { of: 'feature-state-versions'; envId: string; featureId: string }
  | { of: 'identities'; envId: string }
  | { of: 'identity-overrides'; envId: string; identifier: string }
  /** Identities being deleted (tombstoned): their overrides no longer apply. Usually empty. */
  | { of: 'deleting-identities'; envId: string }
  /** Every identity override of an environment, ordered by identifier (for documents). */
  | { of: 'environment-identity-overrides'; envId: string }
  /** An identity and its overrides in one read (the SDK hot path). */
  | { of: 'identity-with-overrides'; envId: string; identifier: string }
  | { of: 'audit'; orgId: string; from?: string | undefined; to?: string | undefined; filter?: AuditFilter | undefined }
  | { of: 'webhooks'; envId: string }
  /** A webhook's deliveries, newest first; `status` narrows to e.g. the dead-letter list (`failed`). */
  | { of: 'webhook-deliveries'; webhookId: string; status?: WebhookDelivery['status'] | undefined }
  /** An environment's change requests, newest first. */
  | { of: 'change-requests'; envId: string }
  /** An environment's scheduled changes, by run time. */
  | { of: 'scheduled-changes'; envId: string }
  /** Every scheduled change still waiting to run, across organisations, by run time (the local scheduler's restart list). */
  | { of: 'pending-scheduled-changes' }
  /** An environment's rollouts, newest first. */
  | { of: 'rollouts'; envId: string }
  /** Every running or paused rollout, across organisations: what an alarm may roll back (and the local scheduler's restart list). */
  | { of: 'active-rollouts' }
  /** Every webhook, across organisations (the sweep of stuck deliveries). */
  | { of: 'all-webhooks' }
  /** Every item of an environment's own partition (feature states, overrides, webhooks, change requests, ...): for purges. */
  | { of: 'environment-items'; envId: string }
  /** The chunks of a job's input, in order. */
  | { of: 'job-chunks'; jobId: string }
  /** Jobs not finished yet, across organisations, oldest change first (the sweep of stuck jobs). */
  | { of: 'pending-jobs' };

export interface AuditFilter {
  envId?: string | undefined;
  featureName?: string | undefined;
  /** The actor's id (a token's or a person's) or a person's email address. */
  tokenId?: string | undefined;
}

export interface CollectionItems {
  projects: Project;
  environments: Environment;
  'api-keys': ApiKey;
  tokens: AdminToken;
  'user-with-memberships': User | Membership;
  members: Membership;
  invitations: Invitation;
  'invitations-for-email': Invitation;
  'group-rules': GroupRule;
  'group-rules-for-group': GroupRule;
  features: Feature;
  segments: Segment;
  'feature-states': FeatureState;
  'segment-overrides': SegmentOverride;
  'tenant-overrides': TenantOverride;
  tenants: Tenant;
  templates: Template;
  'template-values': TemplateValues;
  'tenant-token-keys': TenantTokenKey;
  'tenant-history': ChangeEvent;
  'feature-state-versions': FeatureStateVersion;
  identities: Identity;
  'identity-overrides': IdentityOverride;
  'deleting-identities': Identity;
  'environment-identity-overrides': IdentityOverride;
  'identity-with-overrides': Identity | IdentityOverride;
  audit: ChangeEvent;
  webhooks: Webhook;
  'webhook-deliveries': WebhookDelivery;
  'change-requests': ChangeRequest;
  'scheduled-changes': ScheduledChange;
  'pending-scheduled-changes': ScheduledChange;
  rollouts: Rollout;
  'active-rollouts': Rollout;
  'all-webhooks': Webhook;
  'environment-items': Exclude<Entity, ChangeEvent>;
  'job-chunks': JobChunk;
  'pending-jobs': Job;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass it back to get the next page. Absent on the last page. */
  cursor?: string | undefined;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
  /** Ends the page after the item that brings it to this many bytes (as stored), for answers that must stay small. */
  maxBytes?: number | undefined;
}

/** A write in a commit, with the condition it needs to hold. */
export type Write =
  | {
      kind: 'put';
      entity: Entity;
      /** `absent`: must not exist yet; a number: the stored version must equal it. */
      expect?: 'absent' | number | undefined;
    }
  | { kind: 'delete'; ref: EntityRef; expect?: number | undefined }
  /**
   * Writes nothing: the commit holds only if the entity is still at version `expect`, so a
   * decision taken on a read (governance) stays true at commit time; `present`: only if it
   * exists (an audit record, which has no version). DynamoDB allows one operation per item in a
   * transaction: never combine a check with a put or delete of the same entity (that write's own
   * `expect` already says the same).
   */
  | { kind: 'check'; ref: EntityRef; expect: number }
  | { kind: 'check'; ref: EntityRef | AuditRecordRef; expect: 'present' }
  /**
   * Adds `bytes` (negative: takes away) to an environment's {@link DocumentSize} bound, creating
   * it when absent. Unconditional: concurrent additions never conflict with each other.
   */
  | { kind: 'grow-document'; ref: { type: 'document-size'; envId: string }; bytes: number };

/**
 * What {@link Store.getMany} answers: each reference's entity (or undefined), in the same order.
 * ({@link EntityOf} spelt out: TypeScript does not narrow `EntityOf<R[K]>` inside a mapped tuple.)
 */
export type EntitiesOf<R extends readonly EntityRef[]> = { -readonly [K in keyof R]: R[K] extends { type: infer T } ? Extract<Entity, { type: T }> | undefined : never };

export interface Store {
  get<R extends EntityRef>(ref: R): Promise<EntityOf<R> | undefined>;
  /**
   * Several entities read at once, as consistently as {@link get}, in one round trip where the
   * store can (a request's authorisation reads its token and what its path names together).
   */
  getMany<const R extends readonly EntityRef[]>(refs: R): Promise<EntitiesOf<R>>;
  list<C extends Collection>(collection: C, page: PageRequest): Promise<Page<CollectionItems[C['of']]>>;
  /** Every item of a collection: for the small ones (an environment's overrides). */
  listAll<C extends Collection>(collection: C): Promise<CollectionItems[C['of']][]>;
  /**
   * Applies all writes atomically, or none. A failed condition throws a
   * {@link CommitConflict} naming the write that failed.
   */
  commit(writes: Write[]): Promise<void>;
  /**
   * Reserves `count` consecutive numbers from a named counter and returns the first. Numbers
   * are never reused; a failed commit leaves a gap, which is harmless.
   */
  allocate(counter: string, count?: number): Promise<number>;
  /** Adds flag evaluation counts for one environment and day (`YYYY-MM-DD`), per feature name. */
  addEvaluations(envId: string, day: string, counts: Record<string, number>): Promise<void>;
  /** Evaluation counts of one environment and day, per feature name. */
  getEvaluations(envId: string, day: string): Promise<Record<string, number>>;
  /**
   * Evaluation counts of one environment from `fromDay` to `toDay` (both included, `YYYY-MM-DD`),
   * one entry per day and feature name with evaluations: one read however many days.
   */
  getEvaluationDays(envId: string, fromDay: string, toDay: string): Promise<EvaluationCount[]>;
}

/** One feature's evaluations in one environment on one day (`YYYY-MM-DD`, UTC). */
export interface EvaluationCount {
  day: string;
  feature: string;
  count: number;
}

/** A commit refused because the stored state was not what a write expected. */
export class CommitConflict extends Error {
  override readonly name = 'CommitConflict';
  constructor(readonly failedWrites: number[]) {
    super(`Commit refused: condition failed for write(s) ${failedWrites.join(', ')}`);
  }
}

/** A cursor that was not issued by us, or belongs to another listing. */
export class InvalidCursor extends Error {
  override readonly name = 'InvalidCursor';
}

/** What a scheduled change's schedule fires with. */
export interface ScheduledChangeTarget {
  envId: string;
  scheduledChangeId: string;
}

/** What a rollout's schedule fires with: the step it is due to apply (`percentages.length`: completion after the final bake). */
export interface RolloutStepTarget {
  envId: string;
  rolloutId: string;
  step: number;
}

/**
 * A write the store refuses before sending it, because the database would refuse it: an item
 * too large or nested too deep, a key too long, a number out of range, a transaction too large.
 * Nothing was written.
 */
export class StoreLimitExceeded extends Error {
  override readonly name = 'StoreLimitExceeded';
  constructor(
    readonly limit: 'item-size' | 'nesting' | 'key-size' | 'transaction-size' | 'number',
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }
}

/**
 * One-time schedules (EventBridge Scheduler in production, an in-process timer locally). A
 * schedule carries only a reference; applying reads the rest from the table.
 */
export interface SchedulerPort<T extends object = ScheduledChangeTarget> {
  /** Creates the one-time schedule `name` firing at `at` (idempotent on name). */
  create(name: string, at: Date, target: T): Promise<void>;
  /** Deletes it; a schedule that no longer exists is not an error. */
  delete(name: string): Promise<void>;
}

/** CloudWatch alarms, as rollouts read them (CloudWatch in production, simulated in the local stack). */
export interface AlarmsPort {
  /** The current state of each named alarm; alarms that do not exist are left out. */
  describe(names: readonly string[]): Promise<AlarmState[]>;
  /**
   * The local stack only: sets an alarm's state as CloudWatch would, and when it changes, puts the
   * `CloudWatch Alarm State Change` event on the local default bus; resolves once it is handled.
   */
  simulate?(name: string, state: AlarmStateValue, reason: string): Promise<{ changed: boolean }>;
}

/** Invalidates cached paths at the edge (CloudFront in production, the local edge cache in dev). */
export interface EdgeInvalidator {
  /**
   * Invalidates the paths (a trailing `*` matches any suffix). `reference` names the batch
   * being handled: the same reference again (a retried batch) is the same invalidation.
   */
  invalidate(paths: string[], reference: string): Promise<void>;
}

/**
 * The identity provider's user directory, where Vexilla owns one (its Cognito user pool without
 * federation): inviting someone there creates their account and emails them how to sign in.
 */
export interface UserDirectory {
  /** Creates the account for `email` (or sends its invitation again); an existing, active account is left alone. */
  invite(email: string): Promise<void>;
}

/** Hands a job to a runner (SQS in production, in-process locally); a job may be queued twice, runners take it once. */
export interface JobQueue {
  enqueue(jobId: string): Promise<void>;
}

/** Queues a webhook delivery attempt after a delay (SQS with DelaySeconds in production, a timer locally). */
export interface DeliveryQueue {
  enqueue(delivery: { webhookId: string; deliveryId: string }, delaySeconds: number): Promise<void>;
}
