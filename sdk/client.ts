/**
 * The Vexilla client: remote, local or edge evaluation behind one API that never throws on
 * evaluation and keeps answering from last-known-good values when the service cannot be reached.
 */
import { createEvaluator, type Evaluator, type FeatureContext, type TraitValue } from '../functions/engine/index.js';
import { type EnvironmentDocument, fromDocument } from './document.js';
import { type EvaluationDetails, Flags, type FlagValue } from './flags.js';
import { HttpError, request, type HttpOptions } from './http.js';
import type { StorageAdapter } from './storage.js';

export type Mode = 'remote' | 'local' | 'edge';

export interface EvaluationContext {
  identifier?: string | undefined;
  traits?: Record<string, TraitValue> | undefined;
}

export interface ClientOptions {
  /** A client key (browsers, remote) or a server key (`ser.…`, needed for local evaluation). */
  environmentKey: string;
  /** The API, e.g. `https://flags.example.com` (for edge mode: the CloudFront URL). */
  apiUrl: string;
  /** @default 'remote' */
  mode?: Mode;
  /** How often local and edge modes refresh the environment. @default 30000 */
  refreshIntervalMs?: number;
  /** How long remote mode reuses an identity's flags. @default 5000 */
  cacheTtlMs?: number;
  /** @default 5000 */
  requestTimeoutMs?: number;
  /** @default 2 */
  retries?: number;
  /** Values to answer with before (or without) the first successful fetch. */
  bootstrap?: Record<string, FlagValue>;
  /** Keeps last-known-good environment flags across restarts (localStorage, a file, ...). */
  storage?: StorageAdapter;
  /** Store traits sent in remote mode, as Flagsmith does. @default true */
  persistTraits?: boolean;
  /** Count evaluations and report them. `false` to turn off. @default { flushIntervalMs: 10000 } */
  analytics?: { flushIntervalMs?: number } | false;
  /** Called with the names of flags whose environment-level values changed after a refresh. */
  onChange?: (changed: string[]) => void;
  /** Called when something goes wrong; evaluation carries on with defaults or stale values. */
  onError?: (error: Error | EvaluationDetails<unknown>) => void;
  fetch?: typeof fetch;
}

const STORAGE_KEY = 'vexilla:flags';

export class VexillaClient<F extends Record<string, unknown> = Record<string, unknown>> {
  private readonly mode: Mode;
  private readonly http: HttpOptions;
  private readonly base: string;
  private evaluator?: Evaluator;
  private identityOverrides = new Map<string, FeatureContext[]>();
  private environmentFlags?: Record<string, FlagValue>;
  private etag?: string;
  private stale = false;
  private readonly identityCache = new Map<string, { at: number; flags: Record<string, FlagValue> }>();
  private readonly counts: Record<string, number> = {};
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private readonly firstLoad: Promise<void>;
  private loaded = false;
  private closed = false;
  private refreshing?: Promise<void>;

  constructor(private readonly options: ClientOptions) {
    this.mode = options.mode ?? 'remote';
    this.base = options.apiUrl.replace(/\/+$/, '');
    this.http = {
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
      timeoutMs: options.requestTimeoutMs ?? 5000,
      retries: options.retries ?? 2,
      backoffMs: 200,
    };
    if (options.bootstrap) this.environmentFlags = { ...options.bootstrap };
    this.firstLoad = this.load().then(() => {
      this.loaded = true;
    });
    if (this.mode !== 'remote') {
      const timer = setInterval(() => void this.refresh(), options.refreshIntervalMs ?? 30_000);
      this.timers.push(timer);
    }
    if (options.analytics !== false) {
      const timer = setInterval(() => void this.flushAnalytics(), options.analytics?.flushIntervalMs ?? 10_000);
      this.timers.push(timer);
    }
    // Timers never keep a process alive on their own.
    for (const timer of this.timers) (timer as { unref?: () => void }).unref?.();
  }

  /** Resolves once the first fetch (or the stored fallback) is in; never rejects. */
  ready(): Promise<void> {
    return this.firstLoad;
  }

  /** The flags of an identity (or of the environment, without an identifier). */
  async getFlags(context: EvaluationContext = {}): Promise<Flags<F>> {
    if (!this.loaded) await this.firstLoad;
    // Local evaluation needs no I/O: stay synchronous on the hot path.
    const values = this.evaluatesLocally && this.evaluator && context.identifier ? this.evaluateLocally(context) : await this.valuesFor(context);
    return new Flags<F>(values ?? {}, this.stale || values === undefined, (name) => this.count(name), (details) => this.options.onError?.(details));
  }

  async isEnabled(name: keyof F & string, context: EvaluationContext, defaultValue: boolean): Promise<boolean> {
    return (await this.getFlags(context)).isEnabled(name, defaultValue);
  }

  async getValue<K extends keyof F & string>(name: K, context: EvaluationContext, defaultValue: F[K]): Promise<F[K]> {
    return (await this.getFlags(context)).getValue(name, defaultValue);
  }

  async getString(name: keyof F & string, context: EvaluationContext, defaultValue: string) {
    return (await this.getFlags(context)).getString(name, defaultValue);
  }

  async getNumber(name: keyof F & string, context: EvaluationContext, defaultValue: number) {
    return (await this.getFlags(context)).getNumber(name, defaultValue);
  }

  async getBoolean(name: keyof F & string, context: EvaluationContext, defaultValue: boolean) {
    return (await this.getFlags(context)).getBoolean(name, defaultValue);
  }

  async getJSON<T>(name: keyof F & string, context: EvaluationContext, defaultValue: T) {
    return (await this.getFlags(context)).getJSON(name, defaultValue);
  }

  /** Stops every timer and sends the last analytics, so a process can exit. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.flushAnalytics();
  }

  private get evaluatesLocally(): boolean {
    return this.mode === 'local' || (this.mode === 'edge' && this.options.environmentKey.startsWith('ser.'));
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { 'x-environment-key': this.options.environmentKey, ...extra };
  }

  private async load(): Promise<void> {
    if (!this.environmentFlags && this.options.storage) {
      try {
        const stored = await this.options.storage.get(STORAGE_KEY);
        if (stored) this.environmentFlags = JSON.parse(stored) as Record<string, FlagValue>;
      } catch (error) {
        this.report(error);
      }
    }
    await this.refresh();
  }

  /**
   * Fetches the environment (document or flags), keeping what we had when that fails. One at a
   * time: a slow answer must not pile up refreshes whose answers arrive out of order (an older
   * document would replace a newer one).
   */
  private refresh(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.refreshing ??= this.fetchEnvironment().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async fetchEnvironment(): Promise<void> {
    try {
      if (this.evaluatesLocally) await this.refreshDocument();
      else if (this.mode === 'edge' || this.mode === 'remote') await this.refreshEnvironmentFlags();
      this.stale = false;
    } catch (error) {
      this.stale = this.environmentFlags !== undefined || this.evaluator !== undefined;
      this.report(error);
    }
  }

  private async refreshDocument(): Promise<void> {
    const response = await request(`${this.base}/api/v1/environment-document/`, { headers: this.headers(this.etag ? { 'if-none-match': this.etag } : {}) }, this.http);
    if (response.status === 304) return;
    const document = (await response.json()) as EnvironmentDocument;
    this.etag = response.headers.get('etag') ?? undefined;
    const compiled = fromDocument(document);
    this.evaluator = createEvaluator(compiled.parts);
    this.identityOverrides = compiled.identityOverrides;
    this.setEnvironmentFlags(this.evaluator.evaluate(null).flags);
  }

  private async refreshEnvironmentFlags(): Promise<void> {
    const response = await request(`${this.base}/api/v1/flags/`, { headers: this.headers() }, this.http);
    this.setEnvironmentFlags(fromApi((await response.json()) as ApiFlag[]));
  }

  private setEnvironmentFlags(next: Record<string, FlagValue>): void {
    const previous = this.environmentFlags;
    this.environmentFlags = next;
    const storage = this.options.storage;
    if (storage) {
      Promise.resolve()
        .then(() => storage.set(STORAGE_KEY, JSON.stringify(next)))
        .catch((error: unknown) => this.report(error));
    }
    if (previous && this.options.onChange) {
      const names = new Set([...Object.keys(previous), ...Object.keys(next)]);
      const changed = [...names].filter((name) => JSON.stringify(previous[name]) !== JSON.stringify(next[name]));
      if (changed.length) this.options.onChange(changed);
    }
  }

  private async valuesFor(context: EvaluationContext): Promise<Record<string, FlagValue> | undefined> {
    if (!context.identifier) return this.environmentFlags;
    if (this.evaluatesLocally && this.evaluator) return this.evaluateLocally(context);
    return this.remoteIdentity(context.identifier, context.traits ?? {});
  }

  private evaluateLocally(context: EvaluationContext): Record<string, FlagValue> | undefined {
    const evaluator = this.evaluator as Evaluator;
    const identifier = context.identifier as string;
    try {
      // Engine results already have the shape of flag values: no copy on the hot path.
      return evaluator.evaluate({ identifier, traits: context.traits ?? {} }, this.identityOverrides.get(identifier)).flags;
    } catch (error) {
      this.report(error);
      return this.environmentFlags;
    }
  }

  /** Remote identity flags, cached briefly per identity and traits; on failure the last known. */
  private async remoteIdentity(identifier: string, traits: Record<string, TraitValue>): Promise<Record<string, FlagValue> | undefined> {
    const key = JSON.stringify([identifier, Object.entries(traits).sort(([a], [b]) => (a < b ? -1 : 1))]);
    const cached = this.identityCache.get(key);
    if (cached && Date.now() - cached.at < (this.options.cacheTtlMs ?? 5000)) return cached.flags;
    try {
      const response = await request(
        `${this.base}/api/v1/identities/`,
        {
          method: 'POST',
          headers: this.headers({ 'content-type': 'application/json' }),
          body: JSON.stringify({
            identifier,
            traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })),
            ...(this.options.persistTraits === false ? { transient: true } : {}),
          }),
        },
        this.http,
      );
      const flags = fromApi(((await response.json()) as { flags: ApiFlag[] }).flags);
      this.identityCache.set(key, { at: Date.now(), flags });
      if (this.identityCache.size > 10_000) this.identityCache.delete(this.identityCache.keys().next().value as string);
      this.stale = false;
      return flags;
    } catch (error) {
      this.report(error);
      this.stale = true;
      return cached?.flags ?? this.environmentFlags;
    }
  }

  private count(name: string): void {
    if (this.options.analytics !== false) this.counts[name] = (this.counts[name] ?? 0) + 1;
  }

  private async flushAnalytics(): Promise<void> {
    const batch = { ...this.counts };
    if (Object.keys(batch).length === 0) return;
    for (const name of Object.keys(batch)) delete this.counts[name];
    try {
      await request(`${this.base}/api/v1/analytics/flags/`, { method: 'POST', headers: this.headers({ 'content-type': 'application/json' }), body: JSON.stringify(batch) }, { ...this.http, retries: 0 });
    } catch (error) {
      // Keep the counts for the next flush rather than lose them.
      for (const [name, count] of Object.entries(batch)) this.counts[name] = (this.counts[name] ?? 0) + count;
      this.report(error);
    }
  }

  private report(error: unknown): void {
    const wrapped = error instanceof Error ? error : new Error(String(error));
    if (wrapped instanceof HttpError && wrapped.status === 401) wrapped.message += ' (is the environment key right?)';
    this.options.onError?.(wrapped);
  }
}

interface ApiFlag {
  feature: { name: string };
  enabled: boolean;
  feature_state_value: unknown;
  reason?: string;
  variant?: string | null;
}

const fromApi = (flags: ApiFlag[]): Record<string, FlagValue> =>
  Object.fromEntries(flags.map((flag) => [flag.feature.name, { enabled: flag.enabled, value: flag.feature_state_value ?? null, reason: flag.reason, variant: flag.variant ?? null }]));

/** A Vexilla client; see {@link ClientOptions}. `F` types flag values (`npx vexilla types`). */
export const createClient = <F extends Record<string, unknown> = Record<string, unknown>>(options: ClientOptions) => new VexillaClient<F>(options);
