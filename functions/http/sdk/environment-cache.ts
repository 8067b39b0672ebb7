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
 *
 * Snapshots for evaluation are loaded without the project's tenants (a cold load costs the same
 * with a hundred thousand tenants as with none); an evaluation reads its identity's tenant alone
 * ({@link EnvironmentCache.tenant}: one GetItem, kept with the snapshot it was read for, so a
 * tenant change is seen exactly when any other change is: when the snapshot is rebuilt). The
 * environment document, which lists tenants in its conditions, asks for every tenant (`all`).
 */
import type { ApiKey, PublishedDocument, Tenant } from '../../domain/entities.js';
import { type EnvironmentSnapshot, loadSnapshot, type TenantScope } from '../../domain/environment-snapshot.js';
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

/** A snapshot's cache slot: environment first (so `forget` finds all of its slots); NUL separates user data. */
const slotOf = (envId: string, scope: TenantScope, tenant: string | undefined) => `${envId}\u0000${scope}\u0000${tenant ?? ''}`;

export class EnvironmentCache {
  private readonly keys: TtlCache<ApiKey | undefined>;
  /** By `slotOf(envId, scope, tenant)`. */
  private readonly snapshots = new Map<string, SnapshotEntry>();
  /** Tenants read for each snapshot, by key (a Map: keys are user data); dropped with it. */
  private readonly tenants = new WeakMap<EnvironmentSnapshot, Map<string, Promise<Tenant | undefined>>>();
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

  /**
   * `tenants`: `own` (evaluation: no tenant is read) or `all` (documents); `tenant`: only that
   * tenant's data (a tenant-scoped server key's view, `onlyTenantOf`).
   */
  async snapshot(envId: string, tenants: TenantScope = 'all', tenant?: string): Promise<EnvironmentSnapshot | undefined> {
    const slot = slotOf(envId, tenants, tenant);
    const entry = this.snapshots.get(slot);
    const now = this.now();
    if (entry && now - entry.checkedAt < this.ttlMs) return entry.value;
    if (entry && now - entry.loadedAt < this.maxAgeMs && (await this.unchanged(entry, envId))) return entry.value;
    // Concurrent requests that found the same stale entry share the one reload.
    const latest = this.snapshots.get(slot);
    if (latest && latest !== entry && this.now() - latest.checkedAt < this.ttlMs) return latest.value;
    return this.load(envId, tenants, tenant).value;
  }

  /**
   * A tenant of the snapshot's project, read once per snapshot: a rebuilt snapshot (anything in
   * the environment changed, or its time is up) starts with no tenant read.
   */
  tenant(snapshot: EnvironmentSnapshot, key: string): Promise<Tenant | undefined> {
    let tenants = this.tenants.get(snapshot);
    if (!tenants) this.tenants.set(snapshot, (tenants = new Map()));
    const cached = tenants.get(key);
    if (cached) return cached;
    const value = this.store.get({ type: 'tenant', projectId: snapshot.project.id, key });
    if (tenants.size >= 10_000) tenants.delete(tenants.keys().next().value as string);
    tenants.set(key, value);
    // A failed read is not kept: the next request tries again.
    value.catch(() => tenants.delete(key));
    return value;
  }

  /**
   * Drops an environment's snapshot, so the next request rebuilds it; or every snapshot and
   * every key, so a revoked key is refused at once too.
   */
  forget(envId?: string): void {
    if (envId !== undefined) {
      for (const slot of [...this.snapshots.keys()]) if (slot.startsWith(`${envId}\u0000`)) this.snapshots.delete(slot);
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

  private load(envId: string, tenants: TenantScope, tenant: string | undefined): SnapshotEntry {
    // The marker is read before the snapshot: if a publish lands in between, the next check sees a new etag.
    const etag = this.marker(envId).then((marker) => marker?.etag);
    const value = etag.then(() => loadSnapshot(this.store, envId, { tenants, tenant }));
    const now = this.now();
    const entry: SnapshotEntry = { value, etag, loadedAt: now, checkedAt: now };
    const slot = slotOf(envId, tenants, tenant);
    if (this.snapshots.size >= 1000) this.snapshots.delete(this.snapshots.keys().next().value as string);
    this.snapshots.set(slot, entry);
    value.catch(() => {
      if (this.snapshots.get(slot) === entry) this.snapshots.delete(slot);
    });
    etag.catch(() => undefined);
    return entry;
  }
}
