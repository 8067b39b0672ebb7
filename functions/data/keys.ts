/**
 * Where each entity lives in the single table (see table.ts for the access patterns).
 *
 * Key sizes. DynamoDB refuses partition keys over 2,048 bytes and sort keys over 1,024 (table
 * and index alike, UTF-8). Every key here is built from generated ids (at most 64 characters,
 * `LIMITS.entityIdChars`), fixed prefixes, ISO times, and three kinds of user input, each
 * decided once:
 * - feature names: at most 150 ASCII characters (the `featureName` schema), kept as they are;
 * - tenant ids and tenant keys: at most 512 bytes (`LIMITS.tenantIdBytes`), kept as they are
 *   (`TO#<featureId>#<tenantId>` and `TENANT#<key>` stay under 1,024);
 * - identifiers: Flagsmith allows 2,000 characters (up to 8,000 bytes), more than any key
 *   holds, so an identifier over `LIMITS.identifierKeyBytes` (512) is keyed by its first bytes
 *   and a SHA-256 digest ({@link identifierKey}); the item still holds the identifier itself.
 * Path parameters are validated against the same schemas before any read (domain/schemas.ts
 * `pathParameters`), and the store checks every key's bytes before it writes.
 */
import { createHash } from 'node:crypto';
import type { Entity } from '../domain/entities.js';
import { LIMITS } from '../domain/limits.js';
import { type Collection, type EntityRef, entityRef } from '../domain/ports.js';
import type { IndexName } from './table.js';

/** The longest prefix of `text` that is at most `bytes` UTF-8 bytes, never splitting a character. */
function utf8Prefix(text: string, bytes: number): string {
  let used = 0;
  let end = 0;
  for (const char of text) {
    const size = Buffer.byteLength(char, 'utf8');
    if (used + size > bytes) break;
    used += size;
    end += char.length;
  }
  return text.slice(0, end);
}

/**
 * How an identifier appears in keys. Up to {@link LIMITS.identifierKeyBytes} it is the
 * identifier itself (so existing keys do not move); a longer one is its first bytes, `#` and the
 * SHA-256 of the whole identifier. That form is always longer than the limit, so it can never
 * equal a kept identifier, and it stays far below DynamoDB's key limits.
 */
export function identifierKey(identifier: string): string {
  if (Buffer.byteLength(identifier, 'utf8') <= LIMITS.identifierKeyBytes) return identifier;
  return `${utf8Prefix(identifier, LIMITS.identifierKeyBytes)}#${createHash('sha256').update(identifier, 'utf8').digest('hex')}`;
}

export interface ItemKeys {
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
}

/** Identities spread over this many index partitions, so millions per environment stay cool. */
export const IDENTITY_SHARDS = 8;

/** FNV-1a: a cheap, stable spread of identifiers over the shards. */
export function identityShard(identifier: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < identifier.length; i++) hash = Math.imul(hash ^ identifier.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % IDENTITY_SHARDS;
}

/** Env ids are at most 64 characters and tenant ids 512 bytes: well under the 2,048 a partition key may have. */
const tenantHistoryPartition = (envId: string, tenantKey: string) => `ENV#${envId}#TENANTLOG#${tenantKey}`;

const versionKey = (version: number) => `V#${String(version).padStart(12, '0')}`;

type EventRef = { type: 'event'; orgId: string; at: string; id: string };

/** The table key of an entity or reference. */
export function keyOf(ref: EntityRef | EventRef): ItemKeys {
  switch (ref.type) {
    case 'organisation':
      return { pk: `ORG#${ref.id}`, sk: '#META' };
    case 'project':
      return { pk: `PROJECT#${ref.id}`, sk: '#META' };
    case 'environment':
      return { pk: `ENV#${ref.id}`, sk: '#META' };
    case 'api-key':
      return { pk: `APIKEY#${ref.hash}`, sk: '#KEY' };
    case 'token':
      return { pk: `TOKEN#${ref.hash}`, sk: '#TOKEN' };
    case 'user':
      return { pk: `USER#${ref.id}`, sk: '#META' };
    case 'membership':
      return { pk: `USER#${ref.userId}`, sk: `MEMBER#${ref.orgId}` };
    case 'invitation':
      return { pk: `ORG#${ref.orgId}`, sk: `INVITE#${ref.email}` };
    case 'group-rule':
      return { pk: `ORG#${ref.orgId}`, sk: `GROUPRULE#${ref.group}` };
    case 'feature':
      return { pk: `PROJECT#${ref.projectId}`, sk: `FEATURE#${ref.name}` };
    case 'feature-state':
      return { pk: `ENV#${ref.envId}`, sk: `FS#${ref.featureId}` };
    case 'feature-state-version':
      return { pk: `FSV#${ref.envId}#${ref.featureId}`, sk: versionKey(ref.version) };
    case 'segment':
      return { pk: `PROJECT#${ref.projectId}`, sk: `SEGMENT#${ref.id}` };
    case 'segment-override':
      return { pk: `ENV#${ref.envId}`, sk: `SO#${ref.featureId}#${ref.segmentId}` };
    case 'tenant-override':
      return { pk: `ENV#${ref.envId}`, sk: `TO#${ref.featureId}#${ref.tenantId}` };
    case 'tenant':
      // In the project's partition, by key: listed in key order, apart from features and segments.
      return { pk: `PROJECT#${ref.projectId}`, sk: `TENANT#${ref.key}` };
    case 'template':
      return { pk: `PROJECT#${ref.projectId}`, sk: `TEMPLATE#${ref.key}` };
    case 'template-values':
      return { pk: `ENV#${ref.envId}`, sk: `TV#${ref.templateKey}` };
    case 'tenant-token-key':
      return { pk: `ENV#${ref.envId}`, sk: `TENANTKEY#${ref.id}` };
    case 'identity':
      return { pk: `IDENTITY#${ref.envId}#${identifierKey(ref.identifier)}`, sk: '#META' };
    case 'identity-override':
      return { pk: `IDENTITY#${ref.envId}#${identifierKey(ref.identifier)}`, sk: `OVERRIDE#${ref.featureId}` };
    case 'event':
      return { pk: `AUDIT#${ref.orgId}`, sk: `${ref.at}#${ref.id}` };
    case 'webhook':
      return { pk: `ENV#${ref.envId}`, sk: `WEBHOOK#${ref.id}` };
    case 'webhook-delivery':
      return { pk: `WEBHOOK#${ref.webhookId}`, sk: `DELIVERY#${ref.id}` };
    case 'change-request':
      return { pk: `ENV#${ref.envId}`, sk: `CR#${ref.id}` };
    case 'scheduled-change':
      return { pk: `ENV#${ref.envId}`, sk: `SCHEDULE#${ref.id}` };
    case 'rollout':
      return { pk: `ENV#${ref.envId}`, sk: `ROLLOUT#${ref.id}` };
    case 'consumed':
      return { pk: `CONSUMED#${ref.consumer}#${ref.eventId}`, sk: '#CONSUMED' };
    case 'published-document':
      return { pk: `ENV#${ref.envId}`, sk: '#DOCUMENT' };
    case 'document-size':
      return { pk: `ENV#${ref.envId}`, sk: '#DOCUMENT-SIZE' };
    case 'job':
      return { pk: `JOB#${ref.id}`, sk: '#JOB' };
    case 'job-chunk':
      return { pk: `JOB#${ref.jobId}`, sk: `CHUNK#${String(ref.index).padStart(4, '0')}` };
  }
}

/** The reference of a stored entity (its domain reference; audit records have a key of their own). */
export function refOf(entity: Entity): EntityRef | EventRef {
  return entity.type === 'event' ? { type: 'event', orgId: entity.orgId, at: entity.at, id: entity.id } : entityRef(entity);
}

/** All key attributes of an entity's item, index keys included. */
export function itemKeysOf(entity: Entity): ItemKeys {
  const keys = keyOf(refOf(entity));
  switch (entity.type) {
    case 'project':
      return { ...keys, gsi1pk: `ORG#${entity.orgId}#PROJECTS`, gsi1sk: `${entity.createdAt}#${entity.id}` };
    case 'environment':
      return { ...keys, gsi1pk: `PROJECT#${entity.projectId}#ENVS`, gsi1sk: `${entity.createdAt}#${entity.id}` };
    case 'api-key':
      return { ...keys, gsi1pk: `ENV#${entity.envId}#KEYS`, gsi1sk: `${entity.createdAt}#${entity.id}` };
    case 'token':
      return { ...keys, gsi1pk: `ORG#${entity.orgId}#TOKENS`, gsi1sk: `${entity.createdAt}#${entity.id}` };
    case 'membership':
      return { ...keys, gsi1pk: `ORG#${entity.orgId}#MEMBERS`, gsi1sk: `${entity.email}#${entity.userId}` };
    case 'invitation':
      return { ...keys, gsi1pk: `INVITES#${entity.email}`, gsi1sk: entity.orgId };
    case 'group-rule':
      return { ...keys, gsi1pk: `GROUPRULE#${entity.group}`, gsi1sk: entity.orgId };
    case 'event':
      // A tenant's overrides' changes, per environment: the tenant's own history (/tenant/v1).
      return entity.subject.kind === 'tenant-override' && entity.envId && entity.subject.tenantId !== undefined
        ? { ...keys, gsi1pk: tenantHistoryPartition(entity.envId, entity.subject.tenantId), gsi1sk: `${entity.at}#${entity.id}` }
        : keys;
    case 'identity-override':
      return { ...keys, gsi1pk: `ENV#${entity.envId}#IDOVERRIDES`, gsi1sk: `${identifierKey(entity.identifier)}#${entity.featureId}` };
    case 'identity':
      return {
        ...keys,
        // An identity being deleted leaves the listing for the environment's (short) list of deletions.
        gsi1pk: entity.deletedAt ? `ENV#${entity.envId}#IDDELETING` : `ENV#${entity.envId}#IDENTITIES#${identityShard(entity.identifier)}`,
        gsi1sk: identifierKey(entity.identifier),
      };
    case 'webhook':
      // One list of every webhook: the stuck-delivery sweep walks it (a few items per webhook, no scan).
      return { ...keys, gsi1pk: 'WEBHOOKS#ALL', gsi1sk: `${entity.envId}#${entity.id}` };
    case 'webhook-delivery':
      // Newest first within a status, for the deliveries list and its dead-letter view.
      return { ...keys, gsi1pk: `WEBHOOK#${entity.webhookId}#DELIVERIES#${entity.status}`, gsi1sk: `${entity.createdAt}#${entity.id}` };
    case 'change-request':
      return { ...keys, gsi1pk: `ENV#${entity.envId}#CRS`, gsi1sk: `${entity.createdAt}#${entity.id}` };
    case 'scheduled-change':
      // Only waiting schedules are in the pending list (the index is sparse on that key).
      return entity.status === 'scheduled' ? { ...keys, gsi1pk: 'SCHEDULES#PENDING', gsi1sk: `${entity.runAt}#${entity.id}` } : keys;
    case 'rollout':
      // Only running and paused rollouts are in the active list (sparse, like pending schedules).
      return entity.status === 'running' || entity.status === 'paused' ? { ...keys, gsi1pk: 'ROLLOUTS#ACTIVE', gsi1sk: `${entity.envId}#${entity.id}` } : keys;
    case 'job':
      // Only unfinished jobs are in the pending list (sparse, as scheduled changes are).
      return entity.status === 'queued' || entity.status === 'running' ? { ...keys, gsi1pk: 'JOBS#PENDING', gsi1sk: `${entity.updatedAt}#${entity.id}` } : keys;
    default:
      return keys;
  }
}

/** How a collection is queried: a partition (and sort-key prefix) on the table or an index. */
export interface CollectionQuery {
  index?: IndexName;
  /** Partition key values to read in order; identities have one per shard. */
  partitions: string[];
  skPrefix?: string;
  newestFirst?: boolean;
  /** For time-ranged audit queries. */
  skBetween?: [string, string];
}

export function queryOf(collection: Collection): CollectionQuery {
  switch (collection.of) {
    case 'projects':
      return { index: 'childrenByParent', partitions: [`ORG#${collection.orgId}#PROJECTS`] };
    case 'environments':
      return { index: 'childrenByParent', partitions: [`PROJECT#${collection.projectId}#ENVS`] };
    case 'api-keys':
      return { index: 'childrenByParent', partitions: [`ENV#${collection.envId}#KEYS`] };
    case 'tokens':
      return { index: 'childrenByParent', partitions: [`ORG#${collection.orgId}#TOKENS`] };
    case 'user-with-memberships':
      return { partitions: [`USER#${collection.userId}`] };
    case 'members':
      return { index: 'childrenByParent', partitions: [`ORG#${collection.orgId}#MEMBERS`], ...(collection.email ? { skPrefix: `${collection.email}#` } : {}) };
    case 'invitations':
      return { partitions: [`ORG#${collection.orgId}`], skPrefix: 'INVITE#' };
    case 'invitations-for-email':
      return { index: 'childrenByParent', partitions: [`INVITES#${collection.email}`] };
    case 'group-rules':
      return { partitions: [`ORG#${collection.orgId}`], skPrefix: 'GROUPRULE#' };
    case 'group-rules-for-group':
      return { index: 'childrenByParent', partitions: [`GROUPRULE#${collection.group}`] };
    case 'features':
      return { partitions: [`PROJECT#${collection.projectId}`], skPrefix: 'FEATURE#' };
    case 'segments':
      return { partitions: [`PROJECT#${collection.projectId}`], skPrefix: 'SEGMENT#' };
    case 'feature-states':
      return { partitions: [`ENV#${collection.envId}`], skPrefix: 'FS#' };
    case 'segment-overrides':
      return {
        partitions: [`ENV#${collection.envId}`],
        skPrefix: collection.featureId ? `SO#${collection.featureId}#` : 'SO#',
      };
    case 'tenant-overrides':
      return {
        partitions: [`ENV#${collection.envId}`],
        skPrefix: collection.featureId ? `TO#${collection.featureId}#` : 'TO#',
      };
    case 'tenants':
      return { partitions: [`PROJECT#${collection.projectId}`], skPrefix: 'TENANT#' };
    case 'templates':
      return { partitions: [`PROJECT#${collection.projectId}`], skPrefix: 'TEMPLATE#' };
    case 'template-values':
      return { partitions: [`ENV#${collection.envId}`], skPrefix: 'TV#' };
    case 'tenant-token-keys':
      return { partitions: [`ENV#${collection.envId}`], skPrefix: 'TENANTKEY#' };
    case 'tenant-history':
      return { index: 'childrenByParent', partitions: [tenantHistoryPartition(collection.envId, collection.tenantKey)], newestFirst: true };
    case 'feature-state-versions':
      return { partitions: [`FSV#${collection.envId}#${collection.featureId}`], skPrefix: 'V#', newestFirst: true };
    case 'identities':
      return {
        index: 'childrenByParent',
        partitions: Array.from({ length: IDENTITY_SHARDS }, (_, shard) => `ENV#${collection.envId}#IDENTITIES#${shard}`),
      };
    case 'identity-overrides':
      return { partitions: [`IDENTITY#${collection.envId}#${identifierKey(collection.identifier)}`], skPrefix: 'OVERRIDE#' };
    case 'deleting-identities':
      return { index: 'childrenByParent', partitions: [`ENV#${collection.envId}#IDDELETING`] };
    case 'environment-identity-overrides':
      return { index: 'childrenByParent', partitions: [`ENV#${collection.envId}#IDOVERRIDES`] };
    case 'identity-with-overrides':
      return { partitions: [`IDENTITY#${collection.envId}#${identifierKey(collection.identifier)}`] };
    case 'webhooks':
      return { partitions: [`ENV#${collection.envId}`], skPrefix: 'WEBHOOK#' };
    case 'webhook-deliveries':
      return collection.status
        ? { index: 'childrenByParent', partitions: [`WEBHOOK#${collection.webhookId}#DELIVERIES#${collection.status}`], newestFirst: true }
        : { partitions: [`WEBHOOK#${collection.webhookId}`], skPrefix: 'DELIVERY#', newestFirst: true };
    case 'change-requests':
      return { index: 'childrenByParent', partitions: [`ENV#${collection.envId}#CRS`], newestFirst: true };
    case 'scheduled-changes':
      return { partitions: [`ENV#${collection.envId}`], skPrefix: 'SCHEDULE#' };
    case 'pending-scheduled-changes':
      return { index: 'childrenByParent', partitions: ['SCHEDULES#PENDING'] };
    case 'rollouts':
      // Ids lead with their creation time: newest first.
      return { partitions: [`ENV#${collection.envId}`], skPrefix: 'ROLLOUT#', newestFirst: true };
    case 'active-rollouts':
      return { index: 'childrenByParent', partitions: ['ROLLOUTS#ACTIVE'] };
    case 'all-webhooks':
      return { index: 'childrenByParent', partitions: ['WEBHOOKS#ALL'] };
    case 'environment-items':
      return { partitions: [`ENV#${collection.envId}`] };
    case 'job-chunks':
      return { partitions: [`JOB#${collection.jobId}`], skPrefix: 'CHUNK#' };
    case 'pending-jobs':
      return { index: 'childrenByParent', partitions: ['JOBS#PENDING'] };
    case 'audit':
      return {
        partitions: [`AUDIT#${collection.orgId}`],
        newestFirst: true,
        // Sort keys are `<ISO time>#<id>`: '~' sorts after every id character.
        skBetween: [collection.from ?? '0000', `${collection.to ?? '9999'}~`],
      };
  }
}
