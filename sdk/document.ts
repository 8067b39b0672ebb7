/**
 * A Flagsmith-format environment document as engine input, with the same hashing keys the
 * server uses: feature-state ids (django_id, else UUID), segment ids, variants in id order.
 */
import type { EnvironmentParts, FeatureContext, Prerequisite, SegmentContext, SegmentRule } from '../functions/engine/index.js';

interface DocumentFeatureState {
  feature: { id: number; name: string };
  enabled: boolean;
  feature_state_value: unknown;
  django_id?: number | null;
  featurestate_uuid?: string | null;
  multivariate_feature_state_values?: {
    id?: number | null;
    mv_fs_value_uuid?: string | null;
    percentage_allocation: number;
    multivariate_feature_option: { id?: number | null; value: unknown };
  }[];
  feature_segment?: { priority?: number | null } | null;
}

interface DocumentRule {
  type: 'ALL' | 'ANY' | 'NONE';
  conditions?: { operator: string; property_?: string | null; value?: string | null }[];
  rules?: DocumentRule[];
}

export interface EnvironmentDocument {
  api_key: string;
  name?: string;
  feature_states: DocumentFeatureState[];
  project: { segments?: { id: number; name: string; rules: DocumentRule[]; feature_states?: DocumentFeatureState[] }[] };
  identity_overrides?: { identifier: string; identity_features?: DocumentFeatureState[] }[];
  /** Vexilla's extension, which Flagsmith SDKs ignore: each feature's prerequisites, evaluated natively. */
  vexilla?: {
    prerequisites?: Record<string, Prerequisite[]>;
    /** The reason each derived segment's overrides report (by segment id): the step of the evaluation order (TENANT_OVERRIDE, TEMPLATE:<key>, ...). */
    reasons?: Record<string, string>;
  };
}

const hashKey = (state: DocumentFeatureState) =>
  state.django_id !== null && state.django_id !== undefined ? String(state.django_id) : (state.featurestate_uuid ?? state.feature.name);

function featureContext(state: DocumentFeatureState, priority?: number): FeatureContext {
  const values = [...(state.multivariate_feature_state_values ?? [])];
  // Flagsmith SDKs split in id order, or by UUID read as a number when there are no ids.
  const rank = (v: (typeof values)[number]) => (v.id !== null && v.id !== undefined ? BigInt(v.id) : BigInt(`0x${(v.mv_fs_value_uuid ?? '0').replaceAll('-', '')}`));
  values.sort((a, b) => (rank(a) < rank(b) ? -1 : rank(a) > rank(b) ? 1 : 0));
  const context: FeatureContext = {
    key: hashKey(state),
    name: state.feature.name,
    enabled: state.enabled,
    value: state.feature_state_value ?? null,
    metadata: { id: state.feature.id },
  };
  if (values.length > 0) {
    context.variants = values.map((value, i) => ({
      value: value.multivariate_feature_option.value ?? null,
      weight: value.percentage_allocation,
      priority: i,
      // The option's id names the variant, as the server's results do.
      ...(value.multivariate_feature_option.id !== null && value.multivariate_feature_option.id !== undefined ? { key: String(value.multivariate_feature_option.id) } : {}),
    }));
  }
  if (priority !== undefined) context.priority = priority;
  return context;
}

const toRules = (rules: DocumentRule[]): SegmentRule[] =>
  rules.map((rule) => ({
    type: rule.type,
    conditions: (rule.conditions ?? []).map((condition) => ({ operator: condition.operator as never, property: condition.property_ ?? '', value: condition.value ?? '' })),
    rules: toRules(rule.rules ?? []),
  }));

export interface CompiledDocument {
  parts: EnvironmentParts;
  /** Each identity's overrides, which outrank everything for that identity. */
  identityOverrides: Map<string, FeatureContext[]>;
}

export function fromDocument(document: EnvironmentDocument): CompiledDocument {
  const segments: Record<string, SegmentContext> = {};
  for (const segment of document.project.segments ?? []) {
    segments[String(segment.id)] = {
      key: String(segment.id),
      name: segment.name,
      rules: toRules(segment.rules),
      overrides: (segment.feature_states ?? []).map((state) => featureContext(state, state.feature_segment?.priority ?? undefined)),
    };
    const reason = document.vexilla?.reasons && Object.hasOwn(document.vexilla.reasons, String(segment.id)) ? document.vexilla.reasons[String(segment.id)] : undefined;
    if (typeof reason === 'string') (segments[String(segment.id)] as SegmentContext).reason = reason;
  }
  const identityOverrides = new Map<string, FeatureContext[]>();
  for (const identity of document.identity_overrides ?? []) {
    identityOverrides.set(identity.identifier, (identity.identity_features ?? []).map((state) => featureContext(state)));
  }
  return {
    parts: {
      environment: { key: document.api_key, name: document.name ?? '' },
      features: Object.fromEntries(
        document.feature_states.map((state) => {
          const context = featureContext(state);
          const prerequisites = document.vexilla?.prerequisites?.[state.feature.name];
          if (prerequisites?.length) context.prerequisites = prerequisites;
          return [state.feature.name, context];
        }),
      ),
      segments,
    },
    identityOverrides,
  };
}
