/**
 * The sdk-api's in-memory copies: environment keys and environment snapshots, each reloaded
 * after a short time-to-live, so a warm function answers most requests without reading the
 * table for the environment at all. Concurrent misses share one load.
 */
import type { ApiKey } from '../../domain/entities.js';
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
}

export interface EnvironmentCacheOptions {
  /** How long a loaded environment is served before it is read again. @default 1000 */
  ttlMs?: number;
  now?: () => number;
}

export class EnvironmentCache {
  private readonly keys: TtlCache<ApiKey | undefined>;
  private readonly snapshots: TtlCache<EnvironmentSnapshot | undefined>;

  constructor(
    private readonly store: Store,
    options: EnvironmentCacheOptions = {},
  ) {
    const ttl = options.ttlMs ?? 1000;
    const now = options.now ?? Date.now;
    this.keys = new TtlCache(ttl, now);
    this.snapshots = new TtlCache(ttl, now, 1000);
  }

  /** The key record for a secret, or undefined when it is unknown or revoked. */
  key(secret: string): Promise<ApiKey | undefined> {
    const hash = hashSecret(secret);
    return this.keys.get(hash, () => this.store.get({ type: 'api-key', hash }));
  }

  snapshot(envId: string): Promise<EnvironmentSnapshot | undefined> {
    return this.snapshots.get(envId, () => loadSnapshot(this.store, envId));
  }
}
