import type { JSONPathQuery } from 'json-p3';
import { jsonP3 } from './condition-libraries.js';
import { type ContextValue, toContextValue } from './context-values.js';
import { jsonPath } from './jsonpath.js';

/** The identity-specific inputs a property lookup reads. */
export interface PropertySource {
  traits: Readonly<Record<string, unknown>> | undefined;
  identity: Readonly<Record<string, unknown>> | undefined;
  identityKey: string | undefined;
  context: Readonly<Record<string, unknown>>;
  /** The context as JSONPath sees it, built on first use; see {@link jsonPathDocument}. */
  document?: unknown;
}

/** The context with the identity key filled in, as the reference engine's JSONPath sees it. */
function jsonPathDocument(source: PropertySource): unknown {
  const { identity, identityKey, context } = source;
  return (source.document ??= { ...context, identity: identity ? { ...identity, key: identityKey } : identity });
}

export type PropertyReader = (source: PropertySource) => ContextValue | undefined;

const own = (record: Readonly<Record<string, unknown>> | undefined, key: string): unknown =>
  record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;

const isScalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

/**
 * Compiles a condition property: a trait key, or a JSONPath such as `$.identity.identifier` or
 * `$.environment.name`. As in the reference engine, a trait literally named like the path wins,
 * a path that is not valid JSONPath is read as a trait key, and a path that resolves to an
 * object or array is "not set".
 */
export function compileProperty(property: string): PropertyReader {
  const readTrait: PropertyReader = ({ traits }) => toContextValue(own(traits, property));
  if (!property.startsWith('$.')) return readTrait;

  let path: JSONPathQuery;
  try {
    path = jsonPath().compile(property);
  } catch (error) {
    if (error instanceof jsonP3().JSONPathSyntaxError) return readTrait;
    throw error;
  }

  // Most paths are plain chains of names: walk them directly instead of running a query.
  const names: string[] = [];
  const simple =
    path.singularQuery() &&
    path.segments.every((segment) => {
      const selector = segment.selectors[0] as { name?: unknown } | undefined;
      if (segment.selectors.length !== 1 || typeof selector?.name !== 'string') return false;
      names.push(selector.name);
      return true;
    });

  const resolve = simple
    ? (document: unknown): unknown => {
        let node = document;
        for (const name of names) {
          if (node === null || typeof node !== 'object' || Array.isArray(node)) return undefined;
          node = own(node as Record<string, unknown>, name);
        }
        return node;
      }
    : (document: unknown): unknown => path.match(document as never)?.value;

  return (source) => {
    const trait = readTrait(source);
    if (trait !== undefined) return trait;
    const found = resolve(jsonPathDocument(source));
    return isScalar(found) ? toContextValue(found) : undefined;
  };
}
