/**
 * One identity's flags, read synchronously. Reading never throws: an unknown flag, a wrong type
 * or missing data answers the caller's default, with a reason saying why.
 */

export type Reason =
  | 'STATIC'
  | 'DEFAULT'
  | 'TARGETING_MATCH'
  | 'SPLIT'
  | 'DISABLED'
  | 'STALE'
  | 'ERROR'
  // The tenant layer's steps of the evaluation order, named even when they serve the flag off.
  | 'TENANT_OVERRIDE'
  | 'TENANT_SEGMENT'
  | 'TENANT_SCOPED'
  | `TEMPLATE:${string}`;
export type ErrorCode = 'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'PROVIDER_NOT_READY' | 'GENERAL';

export interface FlagValue {
  enabled: boolean;
  value: unknown;
  /** The engine's reason, e.g. `TARGETING_MATCH; segment=beta`. */
  reason?: string | undefined;
  variant?: string | null | undefined;
}

export interface EvaluationDetails<T> {
  flagKey: string;
  value: T;
  enabled: boolean;
  reason: Reason;
  variant?: string | undefined;
  errorCode?: ErrorCode | undefined;
  errorMessage?: string | undefined;
}

const TENANT_STEP = /^(TENANT_OVERRIDE|TENANT_SEGMENT|TENANT_SCOPED|TEMPLATE:[^;]*)(?=$|;)/;

/** An engine reason in OpenFeature's vocabulary. */
export function toReason(flag: FlagValue): Reason {
  const tenantStep = flag.reason ? TENANT_STEP.exec(flag.reason)?.[0] : undefined;
  if (tenantStep) return tenantStep as Reason;
  if (!flag.enabled) return 'DISABLED';
  if (flag.reason?.startsWith('SPLIT')) return 'SPLIT';
  if (flag.reason?.startsWith('TARGETING_MATCH')) return 'TARGETING_MATCH';
  return 'DEFAULT';
}

type Kind = 'string' | 'number' | 'boolean' | 'json' | 'any';

/**
 * `F` maps flag names to value types (generate it with `npx vexilla types`); untyped by default.
 */
export class Flags<F extends Record<string, unknown> = Record<string, unknown>> {
  constructor(
    readonly values: Readonly<Record<string, FlagValue>>,
    /** True when these are last-known-good values the service could not refresh. */
    readonly stale = false,
    private readonly onRead?: (name: string) => void,
    private readonly onError?: (details: EvaluationDetails<unknown>) => void,
  ) {}

  /** Whether the flag is on; `defaultValue` when it is unknown. */
  isEnabled(name: keyof F & string, defaultValue = false): boolean {
    return this.details(name, defaultValue, 'boolean', true).value;
  }

  /** The flag's value as stored; `defaultValue` when it is unknown. */
  getValue<K extends keyof F & string>(name: K, defaultValue?: F[K]): F[K] {
    return this.details(name, defaultValue as F[K], 'any').value;
  }

  getString(name: keyof F & string, defaultValue: string): string {
    return this.details(name, defaultValue, 'string').value;
  }

  getNumber(name: keyof F & string, defaultValue: number): number {
    return this.details(name, defaultValue, 'number').value;
  }

  getBoolean(name: keyof F & string, defaultValue: boolean): boolean {
    return this.details(name, defaultValue, 'boolean').value;
  }

  /** JSON values travel as strings in Flagsmith's formats: they are parsed here. */
  getJSON<T = unknown>(name: keyof F & string, defaultValue: T): T {
    return this.details(name, defaultValue, 'json').value;
  }

  /**
   * The value with why it is what it is. `enabledAsValue` reads a flag's on/off state (what
   * `isEnabled` does) instead of its value.
   */
  details<T>(name: string, defaultValue: T, kind: Kind = 'any', enabledAsValue = false): EvaluationDetails<T> {
    const flag = Object.hasOwn(this.values, name) ? this.values[name] : undefined;
    if (!flag) return this.fail({ flagKey: name, value: defaultValue, enabled: false, reason: 'DEFAULT', errorCode: 'FLAG_NOT_FOUND', errorMessage: `No flag ${name}.` });
    this.onRead?.(name);
    const raw = enabledAsValue ? flag.enabled : flag.value;
    const converted = convert(raw, kind);
    if (converted === MISMATCH) {
      return this.fail({ flagKey: name, value: defaultValue, enabled: flag.enabled, reason: 'ERROR', errorCode: 'TYPE_MISMATCH', errorMessage: `${name} is not a ${kind}.` });
    }
    return {
      flagKey: name,
      value: converted as T,
      enabled: flag.enabled,
      reason: this.stale ? 'STALE' : toReason(flag),
      ...(flag.variant ? { variant: flag.variant } : {}),
    };
  }

  private fail<T>(details: EvaluationDetails<T>): EvaluationDetails<T> {
    this.onError?.(details as EvaluationDetails<unknown>);
    return details;
  }
}

const MISMATCH = Symbol('mismatch');

function convert(value: unknown, kind: Kind): unknown {
  switch (kind) {
    case 'any':
      return value;
    case 'json':
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value);
      } catch {
        return MISMATCH;
      }
    default:
      return typeof value === kind ? value : MISMATCH;
  }
}
