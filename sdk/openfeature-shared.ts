/**
 * What the OpenFeature server and web providers share: building (or adopting) the Vexilla client,
 * mapping an OpenFeature evaluation context to an identity, mapping the SDK's evaluation details
 * to OpenFeature resolution details, and tracking the provider's health (STALE, ERROR, back to
 * READY) from what the client reports.
 *
 * Only `@openfeature/core` is imported here (both SDKs re-export it and declare it as a peer), so
 * this module works under either SDK.
 */
import { ErrorCode, type EvaluationContext as OpenFeatureContext, type FlagMetadata, type ResolutionDetails } from '@openfeature/core';
import { type ClientOptions, type EvaluationContext, VexillaClient } from './client.js';
import type { ErrorCode as VexillaErrorCode, EvaluationDetails, Flags } from './flags.js';
import type { TraitValue } from '../functions/engine/index.js';

/** A client the provider adopts rather than creates. */
export interface ExistingClientOptions {
  /** Any flag typing (`F`) will do. */
  client: VexillaClient<any>;
  /**
   * How often to check whether the client recovered after a failure. The provider cannot see
   * an adopted client's `onChange` / `onError`: forward them to `provider.notifyChanged()` and
   * `provider.notifyError()` to get CONFIGURATION_CHANGED and timely STALE / ERROR events.
   * @default 30000
   */
  recheckIntervalMs?: number;
  /** Close the adopted client when OpenFeature closes the provider. @default false */
  closeClient?: boolean;
}

/**
 * The SDK's client options (the provider creates and owns the client; `local` or `edge` mode is
 * recommended) or an existing client.
 */
export type VexillaProviderOptions = (ClientOptions & { client?: never }) | ExistingClientOptions;

export type ResolvedType = 'boolean' | 'string' | 'number' | 'object';

type HealthEvent = { type: 'ready' } | { type: 'stale'; message: string } | { type: 'error'; message: string };

/** The OpenFeature context as a Vexilla identity: `targetingKey` and primitive attributes as traits. */
export function toIdentity(context: OpenFeatureContext | undefined): EvaluationContext {
  if (!context) return {};
  const traits: Record<string, TraitValue> = {};
  for (const [name, value] of Object.entries(context)) {
    if (name === 'targetingKey') continue;
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) traits[name] = value;
    else if (value instanceof Date && !Number.isNaN(value.getTime())) traits[name] = value.toISOString();
    // Objects, arrays and nulls are not targetable traits.
  }
  const identifier = typeof context.targetingKey === 'string' && context.targetingKey !== '' ? context.targetingKey : undefined;
  return identifier ? { identifier, traits } : { traits };
}

const errorCodes: Record<VexillaErrorCode, ErrorCode> = {
  FLAG_NOT_FOUND: ErrorCode.FLAG_NOT_FOUND,
  TYPE_MISMATCH: ErrorCode.TYPE_MISMATCH,
  PROVIDER_NOT_READY: ErrorCode.PROVIDER_NOT_READY,
  GENERAL: ErrorCode.GENERAL,
};

/** Whether the client has flags at all (fetched, stored or bootstrapped). */
export const hasFlags = (flags: Flags): boolean => Object.keys(flags.values).length > 0;

/**
 * One flag of `flags` as OpenFeature resolution details. Booleans read the flag's on/off state
 * (what `isEnabled` does); strings, numbers and objects read its value (objects parse JSON
 * strings). Errors carry the caller's default and an error code; this never throws.
 */
export function resolve<T>(flags: Flags | undefined, flagKey: string, defaultValue: T, type: ResolvedType): ResolutionDetails<T> {
  try {
    if (!flags || (flags.stale && !hasFlags(flags))) {
      return { value: defaultValue, reason: 'ERROR', errorCode: ErrorCode.PROVIDER_NOT_READY, errorMessage: 'Vexilla has no flags yet (the first fetch has not succeeded).' };
    }
    const details: EvaluationDetails<unknown> =
      type === 'boolean' ? flags.details(flagKey, defaultValue, 'boolean', true) : flags.details(flagKey, defaultValue, type === 'object' ? 'json' : type);
    if (details.errorCode) {
      return { value: defaultValue, reason: 'ERROR', errorCode: errorCodes[details.errorCode], ...(details.errorMessage ? { errorMessage: details.errorMessage } : {}) };
    }
    if (type === 'object' && (details.value === null || typeof details.value !== 'object')) {
      return { value: defaultValue, reason: 'ERROR', errorCode: ErrorCode.TYPE_MISMATCH, errorMessage: `${flagKey} is not a JSON object or array.` };
    }
    const flagMetadata: FlagMetadata = { enabled: details.enabled };
    const engineReason = flags.values[flagKey]?.reason;
    if (engineReason) flagMetadata.engineReason = engineReason;
    return {
      value: details.value as T,
      reason: details.reason,
      ...(details.variant ? { variant: details.variant } : {}),
      flagMetadata,
    };
  } catch (error) {
    return { value: defaultValue, reason: 'ERROR', errorCode: ErrorCode.GENERAL, errorMessage: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The client behind a provider and the provider's health. Health follows what the client
 * reports: a failed refresh with last-known-good flags is STALE, a failure with no flags at all is
 * ERROR, and the first fresh answer after either is READY again.
 */
export class VexillaBacking {
  readonly client: VexillaClient<any>;
  private readonly closeClient: boolean;
  private readonly recheckIntervalMs: number;
  private state: 'ok' | 'stale' | 'error' = 'ok';
  private initialized = false;
  private recheck?: ReturnType<typeof setInterval>;
  private closed = false;

  constructor(
    options: VexillaProviderOptions,
    private readonly handlers: { changed: (names: string[]) => void; health: (event: HealthEvent) => void },
  ) {
    if (options.client) {
      this.client = options.client;
      this.closeClient = options.closeClient ?? false;
      this.recheckIntervalMs = options.recheckIntervalMs ?? 30_000;
    } else {
      const clientOptions = options as ClientOptions;
      this.client = new VexillaClient({
        ...clientOptions,
        onChange: (names) => {
          clientOptions.onChange?.(names);
          this.notifyChanged(names);
        },
        onError: (error) => {
          clientOptions.onError?.(error);
          this.notifyError(error);
        },
      });
      this.closeClient = true;
      this.recheckIntervalMs = clientOptions.refreshIntervalMs ?? 30_000;
    }
  }

  /**
   * Waits for the client's first load. Rejects (so OpenFeature reports ERROR) when there are no
   * flags at all; with last-known-good or bootstrap flags only, resolves and reports STALE right
   * after OpenFeature's READY.
   */
  async initialize(context: EvaluationContext = {}): Promise<Flags> {
    await this.client.ready();
    const flags = await this.client.getFlags(context);
    this.initialized = true;
    if (flags.stale && !hasFlags(flags)) {
      this.state = 'error';
      this.startRecheck();
      throw new Error('Vexilla could not load any flags; answering defaults until it can.');
    }
    // OpenFeature emits READY when `initialize` resolves: STALE has to come after it.
    if (flags.stale) setTimeout(() => this.observe(flags, 'Vexilla is serving last-known-good flags.'), 0);
    return flags;
  }

  /** Flags changed on the server (the client's `onChange`). */
  notifyChanged(names: string[]): void {
    if (this.closed || !this.initialized) return;
    this.handlers.changed(names);
  }

  /** Something failed (the client's `onError`); evaluation errors are not failures of the provider. */
  notifyError(error: Error | EvaluationDetails<unknown>): void {
    if (this.closed || !this.initialized || !(error instanceof Error)) return;
    void this.client.getFlags().then(
      (flags) => this.observe(flags, error.message),
      () => undefined,
    );
  }

  /**
   * Moves health along with a fresh look at the client's flags. `repeat` emits STALE / ERROR even
   * when that is already the state (after OpenFeature itself set the status back to READY).
   */
  observe(flags: Flags, message = 'Vexilla could not refresh its flags.', repeat = false): void {
    if (this.closed || !this.initialized) return;
    if (flags.stale) {
      const next = hasFlags(flags) ? 'stale' : 'error';
      this.startRecheck();
      if (next === this.state && !repeat) return;
      this.state = next;
      this.handlers.health(next === 'stale' ? { type: 'stale', message } : { type: 'error', message });
    } else if (this.state !== 'ok') {
      this.state = 'ok';
      this.stopRecheck();
      this.handlers.health({ type: 'ready' });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopRecheck();
    if (this.closeClient) await this.client.close();
  }

  /** While unhealthy, look again every refresh interval (the client refreshes by itself). */
  private startRecheck(): void {
    if (this.recheck || this.closed) return;
    this.recheck = setInterval(() => {
      void this.client.getFlags().then(
        (flags) => this.observe(flags),
        () => undefined,
      );
    }, this.recheckIntervalMs);
    (this.recheck as { unref?: () => void }).unref?.();
  }

  private stopRecheck(): void {
    if (this.recheck) clearInterval(this.recheck);
    this.recheck = undefined;
  }
}
