/**
 * The sdk-api's in-memory copies: environment keys and environment snapshots, so a warm
 * function answers most requests without reading the table for the environment at all.
 * Concurrent misses share one load.
 *
 * Snapshots stay fresh two ways. Where the document-publisher has published an environment
 * (its `PublishedDocument` marker exists), a snapshot older than `ttlMs` costs one GetItem of
 * the marker, and is rebuilt only when the marker's etag moved (at the latest after
 * `maxAgeMs`, in case the publisher lags). Without a marker it is rebuilt every `ttlMs`, as
 * before. The local stack also calls `forget` when it publishes, so it serves a change at once;
 * production Lambdas cannot be told, and rely on the marker.
 */
import type { ApiKey, PublishedDocument } from '../../domain/entities.js';
import { type EnvironmentSnapshot, loadSnapshot } from '../../domain/environment-snapshot.js';
import type { Store } from '../../domain/ports.js';
import { hashSecret } from '../../domain/use-cases/support.js';

interface Entry<T> {
  value: Promise<T>;
  loadedAt: number;
}

class TtlCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, load: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.loadedAt < this.ttlMs) return entry.value;
    const value = load();
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, loadedAt: this.now() });
    // A failed load is not cached: the next request tries again.
    value.catch(() => this.entries.delete(key));
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}

interface SnapshotEntry {
  value: Promise<EnvironmentSnapshot | undefined>;
  /** The marker's etag when the snapshot was loaded (undefined: no marker, rebuild on TTL). */
  etag: Promise<string | undefined>;
  loadedAt: number;
  checkedAt: number;
  /** The marker read in progress, shared by concurrent requests. */
  checking?: Promise<boolean> | undefined;
}

export interface EnvironmentCacheOptions {
  /** How long a key or snapshot is served before it is checked again. @default 1000 */
  ttlMs?: number;
  /** Longest a snapshot is served while its marker says nothing changed. @default 60000 */
  maxAgeMs?: number;
  now?: () => number;
}

export class EnvironmentCache {
  private readonly keys: TtlCache<ApiKey | undefined>;
  private readonly snapshots = new Map<string, SnapshotEntry>();
  private readonly ttlMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    options: EnvironmentCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 1000;
    this.maxAgeMs = options.maxAgeMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.keys = new TtlCache(this.ttlMs, this.now);
  }

  /** The key record for a secret, or undefined when it is unknown or revoked. */
  key(secret: string): Promise<ApiKey | undefined> {
    const hash = hashSecret(secret);
    return this.keys.get(hash, () => this.store.get({ type: 'api-key', hash }));
  }

  async snapshot(envId: string): Promise<EnvironmentSnapshot | undefined> {
    const entry = this.snapshots.get(envId);
    const now = this.now();
    if (entry && now - entry.checkedAt < this.ttlMs) return entry.value;
    if (entry && now - entry.loadedAt < this.maxAgeMs && (await this.unchanged(entry, envId))) return entry.value;
    // Concurrent requests that found the same stale entry share the one reload.
    const latest = this.snapshots.get(envId);
    if (latest && latest !== entry && this.now() - latest.checkedAt < this.ttlMs) return latest.value;
    return this.load(envId).value;
  }

  /**
   * Drops an environment's snapshot, so the next request rebuilds it; or every snapshot and
   * every key, so a revoked key is refused at once too.
   */
  forget(envId?: string): void {
    if (envId !== undefined) {
      this.snapshots.delete(envId);
      return;
    }
    this.snapshots.clear();
    this.keys.clear();
  }

  private marker(envId: string): Promise<PublishedDocument | undefined> {
    return this.store.get({ type: 'published-document', envId });
  }

  /** Whether the marker still names the snapshot's content: one GetItem, shared. */
  private unchanged(entry: SnapshotEntry, envId: string): Promise<boolean> {
    entry.checking ??= (async () => {
      try {
        const etag = await entry.etag;
        if (etag === undefined) return false;
        const same = (await this.marker(envId))?.etag === etag;
        if (same) entry.checkedAt = this.now();
        return same;
      } catch {
        return false;
      } finally {
        entry.checking = undefined;
      }
    })();
    return entry.checking;
  }

  private load(envId: string): SnapshotEntry {
    // The marker is read before the snapshot: if a publish lands in between, the next check sees a new etag.
    const etag = this.marker(envId).then((marker) => marker?.etag);
    const value = etag.then(() => loadSnapshot(this.store, envId));
    const now = this.now();
    const entry: SnapshotEntry = { value, etag, loadedAt: now, checkedAt: now };
    if (this.snapshots.size >= 1000) this.snapshots.delete(this.snapshots.keys().next().value as string);
    this.snapshots.set(envId, entry);
    value.catch(() => {
      if (this.snapshots.get(envId) === entry) this.snapshots.delete(envId);
    });
    etag.catch(() => undefined);
    return entry;
  }
}
