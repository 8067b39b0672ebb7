/**
 * The flags page in one answer: a project's features once, and a slim state of each in every
 * environment the caller may read (on/off, a short value, override counts, the version a change
 * must name). A 1,000-feature project with a few environments answers in one request instead of
 * a features list and a state list per environment.
 *
 * Reads: the features (one Query of the project's partition) and the environments (one Query of
 * the index) in parallel; then, for every visible environment at once, its feature states,
 * segment overrides and tenant overrides (each a Query of a sort-key prefix of the environment's
 * partition, so nothing else there — change requests, schedules, webhooks — is read) and its
 * identity overrides (one Query of the index). No read per feature.
 */
import { allows } from '../access.js';
import type { Environment, Feature, FeatureState, JsonValue, Project } from '../entities.js';
import { defaultState } from './features.js';
import type { Actor, Deps } from './support.js';

/** Characters of a value's text the matrix carries; the feature-state route has the whole value. */
export const VALUE_SUMMARY_CHARS = 80;

export interface MatrixFeature {
  id: string;
  name: string;
  description: string;
  tags: string[];
  kind: Feature['kind'];
  valueType: Feature['valueType'];
  updatedAt: string;
}

export interface MatrixState {
  enabled: boolean;
  /** The value as people read it (strings bare, anything else as JSON), cut to {@link VALUE_SUMMARY_CHARS}; null: no value. */
  value: string | null;
  /** Whether `value` was cut. */
  truncated: boolean;
  /** The version a change must name (optimistic concurrency); 0 while the feature has its defaults here. */
  version: number;
  overrides: { segments: number; tenants: number; identities: number };
  /** The percentage a rollout in progress serves, if one is (the state then changes only through it). */
  rolloutPercentage?: number | undefined;
}

export interface MatrixEnvironment {
  id: string;
  name: string;
  requiredApprovals?: number | undefined;
  /** Whether the caller may change states here (an editor role or above on the environment). */
  writable: boolean;
  /** One per feature, in the order of `features`. */
  states: MatrixState[];
}

export interface FlagsMatrix {
  /** By name. */
  features: MatrixFeature[];
  /** The environments the caller may read, in creation order. */
  environments: MatrixEnvironment[];
}

function summarise(value: JsonValue): { value: string | null; truncated: boolean } {
  if (value === null) return { value: null, truncated: false };
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  // Cut by code points, so a character outside the BMP is never split in half.
  const chars = Array.from(text);
  return chars.length > VALUE_SUMMARY_CHARS ? { value: chars.slice(0, VALUE_SUMMARY_CHARS).join(''), truncated: true } : { value: text, truncated: false };
}

const countBy = (items: { featureId: string }[]) => {
  const counts = new Map<string, number>();
  for (const { featureId } of items) counts.set(featureId, (counts.get(featureId) ?? 0) + 1);
  return counts;
};

/** One environment's rows, read in parallel: states, segment and tenant overrides (prefixes of its partition), identity overrides (the index). */
async function readEnvironment(deps: Deps, environment: Environment) {
  const envId = environment.id;
  const [states, segmentOverrides, tenantOverrides, identityOverrides] = await Promise.all([
    deps.store.listAll({ of: 'feature-states', envId }),
    deps.store.listAll({ of: 'segment-overrides', envId }),
    deps.store.listAll({ of: 'tenant-overrides', envId }),
    deps.store.listAll({ of: 'environment-identity-overrides', envId }),
  ]);
  return { environment, states, segments: countBy(segmentOverrides), tenants: countBy(tenantOverrides), identities: countBy(identityOverrides) };
}

function column(actor: Actor, project: Project, read: Awaited<ReturnType<typeof readEnvironment>>, features: Feature[]): MatrixEnvironment {
  const { environment, segments, tenants, identities } = read;
  const byFeature = new Map(read.states.map((state) => [state.featureId, state]));
  return {
    id: environment.id,
    name: environment.name,
    ...(environment.requiredApprovals !== undefined ? { requiredApprovals: environment.requiredApprovals } : {}),
    writable: allows(actor, { orgId: project.orgId, projectId: project.id, envId: environment.id }, 'write'),
    states: features.map((feature): MatrixState => {
      const state: FeatureState = byFeature.get(feature.id) ?? defaultState(environment, feature);
      return {
        enabled: state.enabled,
        ...summarise(state.value),
        version: state.version,
        overrides: { segments: segments.get(feature.id) ?? 0, tenants: tenants.get(feature.id) ?? 0, identities: identities.get(feature.id) ?? 0 },
        ...(state.rollout ? { rolloutPercentage: state.rollout.percentage } : {}),
      };
    }),
  };
}

/** The project's features and their slim states in every environment the caller may read (the same rule as each environment's own routes). */
export async function getFlagsMatrix(deps: Deps, actor: Actor, project: Project): Promise<FlagsMatrix> {
  const readable = (environment: Environment) => allows(actor, { orgId: project.orgId, projectId: project.id, envId: environment.id }, 'read');
  // Each environment's reads start as soon as the environments are known, alongside the features'.
  const [features, reads] = await Promise.all([
    deps.store.listAll({ of: 'features', projectId: project.id }),
    deps.store.listAll({ of: 'environments', projectId: project.id }).then((all) => Promise.all(all.filter(readable).map((environment) => readEnvironment(deps, environment)))),
  ]);
  return {
    features: features.map(({ id, name, description, tags, kind, valueType, updatedAt }) => ({ id, name, description, tags, kind, valueType, updatedAt })),
    environments: reads.map((read) => column(actor, project, read, features)),
  };
}
