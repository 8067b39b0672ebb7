/**
 * Tenant-configurable features: the constraints the customer sets (allowed values, a numeric
 * range, a JSON Schema) and the check every tenant write goes through. JSON Schemas are compiled
 * once by Ajv (draft 2020-12, strict), with RE2 (re2js) for `pattern` and `patternProperties`, so
 * no schema and no value can make a regular expression backtrack.
 */
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { RE2JS } from 're2js';
import type { Feature, JsonValue, TenantSettings } from './entities.js';
import { jsonBytes, LIMITS } from './limits.js';

export interface Problem {
  path: string;
  message: string;
}

/**
 * Ajv's pluggable regular-expression engine, on RE2 (linear time). JSON Schema patterns are not
 * anchored (they match anywhere), as RE2's `find` does. Ajv keys compiled patterns by
 * `toString()`, so each must name its own pattern (without it, every pattern shares one key).
 */
const re2Engine = Object.assign(
  (pattern: string) => {
    const compiled = RE2JS.compile(pattern);
    return { test: (text: string) => compiled.matcher(text).find(), toString: () => `re2:${pattern}` };
  },
  { code: 're2' },
);

// One instance for the process; schemas are compiled without being added to it (see below).
const ajv = new Ajv2020({ strict: true, allErrors: false, validateFormats: false, code: { regExp: re2Engine } });

/** Compiled schemas by their JSON text: compiled once, shared by features with equal schemas, bounded. */
const validators = new Map<string, ValidateFunction>();
const MAX_VALIDATORS = 500;

function validatorFor(schema: { [key: string]: JsonValue }): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    // Customers' `$id`s must not collide in the shared instance: compile the schema anonymously.
    const { $id: _id, ...anonymous } = schema;
    validate = ajv.compile(anonymous);
    ajv.removeSchema(anonymous);
    if (validators.size >= MAX_VALIDATORS) validators.delete(validators.keys().next().value as string);
    validators.set(key, validate);
  }
  return validate;
}

const same = (a: JsonValue, b: JsonValue) => JSON.stringify(a) === JSON.stringify(b);
const fitsType = (feature: Pick<Feature, 'valueType'>, value: JsonValue) => value === null || feature.valueType === 'json' || typeof value === feature.valueType;

/** Problems of one value against the constraints: the feature's type, allowed values, range and schema. */
export function valueProblems(feature: Pick<Feature, 'valueType'>, settings: TenantSettings, value: JsonValue, path = 'value'): Problem[] {
  if (!fitsType(feature, value)) return [{ path, message: `expected a ${feature.valueType} value (or null)` }];
  if (settings.allowedValues && !settings.allowedValues.some((allowed) => same(allowed, value))) {
    return [{ path, message: `must be one of ${settings.allowedValues.map((allowed) => JSON.stringify(allowed)).join(', ')}` }];
  }
  if (typeof value === 'number') {
    if (settings.minimum !== undefined && value < settings.minimum) return [{ path, message: `must be at least ${settings.minimum}` }];
    if (settings.maximum !== undefined && value > settings.maximum) return [{ path, message: `must be at most ${settings.maximum}` }];
  }
  if (settings.schema) {
    const validate = validatorFor(settings.schema);
    if (!validate(value)) {
      const error = validate.errors?.[0];
      const at = error?.instancePath ? error.instancePath.slice(1).replaceAll('/', '.') : '';
      return [{ path: at ? `${path}.${at}` : path, message: `does not match the schema: ${error?.message ?? 'invalid'}` }];
    }
  }
  return [];
}

/**
 * Problems of the constraints themselves (a 422's details when the customer sets them): a range
 * only on number features and in order, a schema Ajv compiles in strict mode and of at most
 * `LIMITS.tenantSchemaBytes`, and allowed values that all pass the other constraints.
 */
export function tenantSettingsProblems(feature: Pick<Feature, 'valueType'>, settings: TenantSettings, path = 'tenantSettings'): Problem[] {
  const problems: Problem[] = [];
  const hasRange = settings.minimum !== undefined || settings.maximum !== undefined;
  if (hasRange && feature.valueType !== 'number' && feature.valueType !== 'json') problems.push({ path: `${path}.minimum`, message: 'only number (or json) features have a range' });
  if (settings.minimum !== undefined && settings.maximum !== undefined && settings.minimum > settings.maximum) {
    problems.push({ path: `${path}.maximum`, message: 'must not be below minimum' });
  }
  if (settings.schema) {
    if (jsonBytes(settings.schema) > LIMITS.tenantSchemaBytes) {
      problems.push({ path: `${path}.schema`, message: `at most ${LIMITS.tenantSchemaBytes / 1024} KiB of JSON` });
    } else {
      try {
        validatorFor(settings.schema);
      } catch (error) {
        problems.push({ path: `${path}.schema`, message: `not a valid JSON Schema: ${(error as Error).message}` });
      }
    }
  }
  if (problems.length === 0) {
    const others = { ...settings, allowedValues: undefined };
    settings.allowedValues?.forEach((allowed, i) => problems.push(...valueProblems(feature, others, allowed, `${path}.allowedValues.${i}`)));
  }
  return problems;
}

/** What a tenant asks to be served for a feature: its tenant override's complete content. */
export interface TenantChoice {
  enabled: boolean;
  value: JsonValue;
}

/**
 * Problems of what a tenant wants to be served (a 422's details): the value within the
 * constraints, and on/off unchanged unless the feature lets tenants toggle it. `base` is what
 * the tenant is served without its own override; a value left as it is needs no check.
 */
export function tenantChoiceProblems(feature: Pick<Feature, 'valueType'>, settings: TenantSettings, choice: TenantChoice, base: TenantChoice): Problem[] {
  const problems: Problem[] = [];
  if (!settings.allowToggle && choice.enabled !== base.enabled) problems.push({ path: 'enabled', message: 'tenants may not switch this feature on or off' });
  if (!same(choice.value, base.value)) problems.push(...valueProblems(feature, settings, choice.value));
  return problems;
}

/** The input a settings panel shows for a feature: a choice, a toggle, a number, a text or JSON. */
export function inputKindOf(feature: Pick<Feature, 'valueType'>, settings: TenantSettings): 'choice' | 'number' | 'text' | 'json' | 'toggle-only' {
  if (settings.allowedValues) return 'choice';
  if (feature.valueType === 'number') return 'number';
  if (feature.valueType === 'string') return 'text';
  if (feature.valueType === 'boolean') return 'choice';
  return 'json';
}
