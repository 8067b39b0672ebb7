/**
 * An OpenFeature provider for `@openfeature/server-sdk`, backed by the Vexilla SDK (local mode
 * with a server key is what servers should use: no request per evaluation).
 *
 * ```ts
 * import { OpenFeature } from '@openfeature/server-sdk';
 * import { VexillaServerProvider } from '@vexilla/sdk/openfeature-server';
 * await OpenFeature.setProviderAndWait(new VexillaServerProvider({ environmentKey: 'ser.…', apiUrl, mode: 'local' }));
 * const client = OpenFeature.getClient();
 * await client.getBooleanValue('dark_mode', false, { targetingKey: 'user-1', plan: 'pro' });
 * ```
 *
 * `targetingKey` is the identity; the other primitive attributes are its traits. Booleans read a
 * flag's on/off state; strings, numbers and objects read its value (objects parse JSON strings).
 * Events: READY once initialized, CONFIGURATION_CHANGED (with `flagsChanged`) when a refresh
 * changes flags, STALE while serving last-known-good flags, ERROR when there are none, READY again
 * on recovery.
 */
import {
  ErrorCode,
  type EvaluationContext,
  type JsonValue,
  type Logger,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { resolve, type ResolvedType, toIdentity, VexillaBacking, type VexillaProviderOptions } from './openfeature-shared.js';
import type { EvaluationDetails } from './flags.js';

export type { ExistingClientOptions, VexillaProviderOptions } from './openfeature-shared.js';

export class VexillaServerProvider implements Provider {
  readonly metadata = { name: 'Vexilla' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly backing: VexillaBacking;

  constructor(options: VexillaProviderOptions) {
    this.backing = new VexillaBacking(options, {
      changed: (names) => this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: names }),
      health: (event) => {
        if (event.type === 'ready') this.events.emit(ProviderEvents.Ready);
        else if (event.type === 'stale') this.events.emit(ProviderEvents.Stale, { message: event.message });
        else this.events.emit(ProviderEvents.Error, { message: event.message });
      },
    });
  }

  /** The Vexilla client behind this provider. */
  get client() {
    return this.backing.client;
  }

  async initialize(): Promise<void> {
    await this.backing.initialize();
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<boolean>> {
    return this.evaluate(flagKey, defaultValue, context, 'boolean', logger);
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<string>> {
    return this.evaluate(flagKey, defaultValue, context, 'string', logger);
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<number>> {
    return this.evaluate(flagKey, defaultValue, context, 'number', logger);
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T, context: EvaluationContext, logger?: Logger): Promise<ResolutionDetails<T>> {
    return this.evaluate(flagKey, defaultValue, context, 'object', logger);
  }

  /** Forward an adopted client's `onChange` here to get CONFIGURATION_CHANGED. */
  notifyChanged(names: string[]): void {
    this.backing.notifyChanged(names);
  }

  /** Forward an adopted client's `onError` here to get timely STALE and ERROR events. */
  notifyError(error: Error | EvaluationDetails<unknown>): void {
    this.backing.notifyError(error);
  }

  /** Stops the client's timers (when the provider created it) so the process can exit. */
  async onClose(): Promise<void> {
    await this.backing.close();
  }

  private async evaluate<T>(flagKey: string, defaultValue: T, context: EvaluationContext, type: ResolvedType, logger?: Logger): Promise<ResolutionDetails<T>> {
    try {
      const flags = await this.backing.client.getFlags(toIdentity(context));
      this.backing.observe(flags);
      return resolve(flags, flagKey, defaultValue, type);
    } catch (error) {
      // The client never rejects; this is a last line of defence.
      logger?.error('Vexilla evaluation failed', error);
      return { value: defaultValue, reason: 'ERROR', errorCode: ErrorCode.GENERAL, errorMessage: error instanceof Error ? error.message : String(error) };
    }
  }
}
