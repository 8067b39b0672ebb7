/**
 * An OpenFeature provider for `@openfeature/web-sdk`, backed by the Vexilla SDK. Browsers should
 * use `edge` mode with a client key (the CloudFront-cached URLs); a short `cacheTtlMs` makes
 * CONFIGURATION_CHANGED carry the identity's fresh flags rather than its cached ones.
 *
 * ```ts
 * import { OpenFeature } from '@openfeature/web-sdk';
 * import { VexillaWebProvider } from '@vexilla/sdk/openfeature-web';
 * await OpenFeature.setProviderAndWait(new VexillaWebProvider({ environmentKey: clientKey, apiUrl, mode: 'edge' }), { targetingKey: 'user-1', plan: 'pro' });
 * OpenFeature.getClient().getStringValue('banner', 'hello');
 * ```
 *
 * Resolution is synchronous, from the flags fetched for the current context: `initialize` and
 * `onContextChange` fetch them (OpenFeature reports RECONCILING, then CONTEXT_CHANGED). Events as
 * for the server provider: READY, CONFIGURATION_CHANGED (`flagsChanged`), STALE, ERROR.
 */
import {
  type EvaluationContext,
  type JsonValue,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from '@openfeature/web-sdk';
import type { EvaluationDetails, Flags } from './flags.js';
import { resolve, toIdentity, VexillaBacking, type VexillaProviderOptions } from './openfeature-shared.js';

export type { ExistingClientOptions, VexillaProviderOptions } from './openfeature-shared.js';

export class VexillaWebProvider implements Provider {
  readonly metadata = { name: 'Vexilla' } as const;
  readonly runsOn = 'client' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly backing: VexillaBacking;
  private flags?: Flags;
  private context: EvaluationContext = {};
  /** Bumped on every context change: answers for an older context are dropped. */
  private generation = 0;

  constructor(options: VexillaProviderOptions) {
    this.backing = new VexillaBacking(options, {
      changed: (names) => void this.refetch().then((changed) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: [...new Set([...names, ...changed])].sort() })),
      health: (event) => {
        if (event.type === 'ready') void this.refetch().then(() => this.events.emit(ProviderEvents.Ready));
        // Fetch again so that answers carry the STALE reason (and the identity's last-known-good flags).
        else if (event.type === 'stale') void this.refetch().then(() => this.events.emit(ProviderEvents.Stale, { message: event.message }));
        else this.events.emit(ProviderEvents.Error, { message: event.message });
      },
    });
  }

  /** The Vexilla client behind this provider. */
  get client() {
    return this.backing.client;
  }

  async initialize(context: EvaluationContext = {}): Promise<void> {
    const generation = this.generation;
    this.context = context;
    const flags = await this.backing.initialize(toIdentity(context));
    if (generation === this.generation) this.flags = flags;
  }

  async onContextChange(_oldContext: EvaluationContext, newContext: EvaluationContext): Promise<void> {
    const generation = ++this.generation;
    this.context = newContext;
    const flags = await this.backing.client.getFlags(toIdentity(newContext));
    if (generation !== this.generation) return;
    this.flags = flags;
    // OpenFeature sets READY once this resolves: report staleness after that.
    if (flags.stale) setTimeout(() => this.backing.observe(flags, 'Vexilla is serving last-known-good flags.', true), 0);
    else this.backing.observe(flags);
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean> {
    return resolve(this.flags, flagKey, defaultValue, 'boolean');
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string> {
    return resolve(this.flags, flagKey, defaultValue, 'string');
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number> {
    return resolve(this.flags, flagKey, defaultValue, 'number');
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return resolve(this.flags, flagKey, defaultValue, 'object');
  }

  /** Forward an adopted client's `onChange` here to get CONFIGURATION_CHANGED. */
  notifyChanged(names: string[]): void {
    this.backing.notifyChanged(names);
  }

  /** Forward an adopted client's `onError` here to get timely STALE and ERROR events. */
  notifyError(error: Error | EvaluationDetails<unknown>): void {
    this.backing.notifyError(error);
  }

  /** Stops the client's timers (when the provider created it). */
  async onClose(): Promise<void> {
    await this.backing.close();
  }

  /** Fetches the current context's flags again; the names of the flags that differ. */
  private async refetch(): Promise<string[]> {
    const generation = this.generation;
    const flags = await this.backing.client.getFlags(toIdentity(this.context));
    if (generation !== this.generation) return [];
    const before = this.flags?.values ?? {};
    this.flags = flags;
    const names = new Set([...Object.keys(before), ...Object.keys(flags.values)]);
    return [...names].filter((name) => JSON.stringify(before[name]) !== JSON.stringify(flags.values[name]));
  }
}
