/**
 * Publishing environment documents after changes: each affected environment is rebuilt once
 * per batch of events (a burst coalesces), its `PublishedDocument` marker is stored when the
 * content or the environment's keys changed, and the edge is invalidated once for the whole
 * batch, for exactly the keys whose cached answers changed. The marker is what the SDK API and
 * retried batches check: its etag says whether anything changed, its eventIds which events it
 * already covers, its edgeKeys whose answers the edge may hold.
 */
import { createHash } from 'node:crypto';
import { edgeKeyOfHash, invalidationPathsOf } from '../../edge/cache-rules.js';
import type { DetailType, EdgeKeyRef, PublishedDocument } from '../entities.js';
import { loadSnapshot } from '../environment-snapshot.js';
import { canonicalJson, environmentDocument, identityOverrideDocuments } from '../flagsmith-document.js';
import { jsonBytes } from '../limits.js';
import { CommitConflict, type EdgeInvalidator, type Store, type Write } from '../ports.js';
import { growDocument, readDocumentSize } from './document-budget.js';
import type { Deps } from './support.js';

/** The part of an event the publisher needs. */
export interface DocumentChange {
  eventId: string;
  detailType: DetailType;
  projectId?: string | undefined;
  environmentId?: string | undefined;
}

/** How many event ids a marker remembers: enough to recognise a redelivered batch. */
const REMEMBERED_EVENT_IDS = 100;
const COMMIT_ATTEMPTS = 3;

/**
 * The environments each change affects, with the event ids per environment: an environment's
 * own events, and project-wide ones (features, segments, the project) for every environment
 * of the project.
 */
export async function affectedEnvironments(store: Store, changes: readonly DocumentChange[]): Promise<Map<string, string[]>> {
  const byEnvironment = new Map<string, string[]>();
  const add = (envId: string, eventId: string) => {
    const ids = byEnvironment.get(envId) ?? [];
    if (!ids.includes(eventId)) ids.push(eventId);
    byEnvironment.set(envId, ids);
  };
  const projects = new Map<string, string[]>();
  for (const change of changes) {
    if (change.environmentId) add(change.environmentId, change.eventId);
    else if (change.projectId) projects.set(change.projectId, [...(projects.get(change.projectId) ?? []), change.eventId]);
  }
  for (const [projectId, eventIds] of projects) {
    for (const environment of await store.listAll({ of: 'environments', projectId })) {
      for (const eventId of eventIds) add(environment.id, eventId);
    }
  }
  return byEnvironment;
}

/**
 * The content hash and size of an environment's documents: the base document and every identity
 * override; `documentBytes`: the base document's, as its budget counts it (document-budget.ts).
 */
export async function documentFingerprint(store: Store, envId: string): Promise<{ etag: string; bytes: number; documentBytes: number; orgId: string } | undefined> {
  const snapshot = await loadSnapshot(store, envId);
  if (!snapshot) return undefined;
  const overrides = await store.listAll({ of: 'environment-identity-overrides', envId });
  const document = environmentDocument(snapshot);
  const json = canonicalJson({ document, identityOverrides: identityOverrideDocuments(snapshot, overrides) });
  return {
    etag: createHash('sha256').update(json).digest('base64url').slice(0, 27),
    bytes: Buffer.byteLength(json),
    documentBytes: jsonBytes(document),
    orgId: snapshot.organisation.id,
  };
}

/**
 * The write that brings an environment's size bound to the document just measured (none when it
 * is there): `measured - read`, the bound having been read before the document was built, so
 * writes committed since keep their own additions (document-budget.ts says why that stays a bound).
 */
function rebaseDocumentSize(envId: string, read: number | undefined, measured: number): Write[] {
  return read === measured ? [] : [growDocument(envId, measured - (read ?? 0))];
}

/** The environment's keys as the edge knows them, in a stable order. */
export async function environmentEdgeKeys(store: Store, envId: string): Promise<EdgeKeyRef[]> {
  const keys = await store.listAll({ of: 'api-keys', envId });
  return keys.map((key): EdgeKeyRef => ({ edgeKey: edgeKeyOfHash(key.hash), kind: key.kind })).sort((a, b) => a.edgeKey.localeCompare(b.edgeKey) || a.kind.localeCompare(b.kind));
}

const refId = (ref: EdgeKeyRef) => `${ref.kind}:${ref.edgeKey}`;
const sameKeys = (a: readonly EdgeKeyRef[], b: readonly EdgeKeyRef[]) => a.map(refId).join() === b.map(refId).join();

export type EnvironmentPublish =
  /** The content or the keys changed: a new marker was stored. */
  | { outcome: 'published'; document: PublishedDocument }
  /** Rebuilt, same content and keys as published: nothing stored, nothing invalidated. */
  | { outcome: 'unchanged'; document: PublishedDocument }
  /** Every event was already covered by the stored marker (a redelivery): not even rebuilt. */
  | { outcome: 'covered'; document: PublishedDocument }
  /** The environment no longer exists; its marker, if any, is removed. */
  | { outcome: 'gone'; edgeKeys: EdgeKeyRef[] };

/**
 * The keys whose cached answers a publish outcome makes stale: a published or covered version's
 * `invalidated`, the keys a gone environment had, none for unchanged content. Pure.
 */
export function staleEdgeKeys(result: EnvironmentPublish): EdgeKeyRef[] {
  if (result.outcome === 'gone') return result.edgeKeys;
  if (result.outcome === 'unchanged') return [];
  return result.document.invalidated ?? [];
}

/**
 * Rebuilds one environment's document fingerprint and stores its marker when the content
 * changed (optimistically: a concurrent publisher makes this one re-read and try again).
 */
export async function publishEnvironment(deps: Deps, envId: string, eventIds: readonly string[]): Promise<EnvironmentPublish> {
  for (let attempt = 1; ; attempt++) {
    const [current, size] = await Promise.all([deps.store.get({ type: 'published-document', envId }), readDocumentSize(deps.store, envId)]);
    if (current && eventIds.every((id) => current.eventIds.includes(id))) return { outcome: 'covered', document: current };
    const fingerprint = await documentFingerprint(deps.store, envId);
    try {
      if (!fingerprint) {
        // Deleted with the environment, its keys can no longer be listed: the marker remembers them.
        if (current) await deps.store.commit([{ kind: 'delete', ref: { type: 'published-document', envId }, expect: current.version }]);
        return { outcome: 'gone', edgeKeys: current?.edgeKeys ?? [] };
      }
      const edgeKeys = await environmentEdgeKeys(deps.store, envId);
      const before = current?.edgeKeys ?? [];
      const contentChanged = current?.etag !== fingerprint.etag;
      const rebase = rebaseDocumentSize(envId, size?.bytes, fingerprint.documentBytes);
      if (current && !contentChanged && sameKeys(before, edgeKeys)) {
        await deps.store.commit(rebase);
        return { outcome: 'unchanged', document: current };
      }
      // New content is stale under every key, old and new; the same content only under the keys
      // that are gone (revoked or rotated: the edge must stop serving them).
      const invalidated = contentChanged ? [...new Map([...before, ...edgeKeys].map((ref) => [refId(ref), ref])).values()] : before.filter((ref) => !edgeKeys.some((key) => refId(key) === refId(ref)));
      const document: PublishedDocument = {
        type: 'published-document',
        orgId: fingerprint.orgId,
        envId,
        etag: fingerprint.etag,
        // Moved only when the content changed: updatedAt means "when the document last changed".
        updatedAt: contentChanged || !current ? deps.clock().toISOString() : current.updatedAt,
        eventIds: [...(current?.eventIds ?? []).filter((id) => !eventIds.includes(id)), ...eventIds].slice(-REMEMBERED_EVENT_IDS),
        bytes: fingerprint.bytes,
        version: (current?.version ?? 0) + 1,
        edgeKeys,
        invalidated,
      };
      await deps.store.commit([{ kind: 'put', entity: document, expect: current ? current.version : 'absent' }, ...rebase]);
      return { outcome: 'published', document };
    } catch (error) {
      if (!(error instanceof CommitConflict) || attempt >= COMMIT_ATTEMPTS) throw error;
    }
  }
}

export interface PublishBatchResult {
  results: Map<string, EnvironmentPublish>;
  /** Environments whose publish failed. */
  failed: Map<string, unknown>;
  /** Events of the failed environments: the ones to deliver again. */
  failedEventIds: Set<string>;
  /** The invalidation's reference, when the edge was asked to invalidate. */
  invalidation?: string | undefined;
  /** The paths the edge was asked to invalidate (empty when it was not). */
  paths: string[];
}

/**
 * The reference of the invalidation that makes the edge serve what a batch published: the
 * marker versions it published or found (a version is published once) and the environments
 * that disappeared. Undefined when the batch has nothing to invalidate (only unchanged
 * content). A retried or redelivered batch names the same invalidation, which the edge does not
 * make twice (CloudFront's CallerReference), yet a retry after a failed invalidation still
 * makes it. Pure.
 */
export function invalidationReference(results: ReadonlyMap<string, EnvironmentPublish>): string | undefined {
  const marks: string[] = [];
  for (const [envId, result] of results) {
    if (result.outcome === 'gone') marks.push(`${envId}@gone`);
    else if (result.outcome !== 'unchanged') marks.push(`${envId}@${result.document.version}`);
  }
  if (marks.length === 0) return undefined;
  return createHash('sha256').update(marks.sort().join('\n')).digest('hex').slice(0, 32);
}

/** The edge paths a batch's outcomes make stale: exactly the affected keys' cached answers. Pure. */
export const invalidationPathsOfBatch = (results: ReadonlyMap<string, EnvironmentPublish>): string[] =>
  invalidationPathsOf([...results.values()].flatMap(staleEdgeKeys));

/**
 * Publishes every environment a batch of changes affects, each once, then asks the edge to
 * invalidate, once for the batch, the cached answers of the keys whose answers changed (see
 * `invalidationReference` and `staleEdgeKeys`).
 */
export async function publishDocuments(deps: Deps, edge: EdgeInvalidator, changes: readonly DocumentChange[]): Promise<PublishBatchResult> {
  const results = new Map<string, EnvironmentPublish>();
  const failed = new Map<string, unknown>();
  const failedEventIds = new Set<string>();
  for (const [envId, eventIds] of await affectedEnvironments(deps.store, changes)) {
    try {
      results.set(envId, await publishEnvironment(deps, envId, eventIds));
    } catch (error) {
      failed.set(envId, error);
      for (const id of eventIds) failedEventIds.add(id);
    }
  }
  const paths = invalidationPathsOfBatch(results);
  const invalidation = paths.length > 0 ? invalidationReference(results) : undefined;
  if (invalidation !== undefined) await edge.invalidate(paths, invalidation);
  return { results, failed, failedEventIds, invalidation, paths: invalidation !== undefined ? paths : [] };
}

export interface PublicationStatus {
  /** The published document's marker: what the SDK API and the edge serve. Null before the first publish. */
  published: { etag: string; updatedAt: string; version: number } | null;
  /** The content hash of the environment as the table holds it now. */
  currentEtag: string;
  /** True when what is served holds every change made so far (`vexilla ... --wait` polls this). */
  upToDate: boolean;
}

/**
 * Whether an environment's published document matches its current state. Compared by content,
 * so a change that altered nothing served (or was undone) counts as published too.
 */
export async function publicationStatus(store: Store, envId: string): Promise<PublicationStatus | undefined> {
  const [fingerprint, marker] = await Promise.all([documentFingerprint(store, envId), store.get({ type: 'published-document', envId })]);
  if (!fingerprint) return undefined;
  const published = marker ? { etag: marker.etag, updatedAt: marker.updatedAt, version: marker.version } : null;
  return { published, currentEtag: fingerprint.etag, upToDate: marker?.etag === fingerprint.etag };
}
