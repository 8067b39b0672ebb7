/**
 * What importing a Flagsmith-format document into an environment would change, field by field,
 * from the document and the environment's own export (both in that format). Matching follows the
 * importer: features by name, segments by their Flagsmith id, tenant overrides as `tenant:<id>`
 * segments, identity overrides by identifier; an import never deletes, so what only the
 * environment has is listed apart, not as a change.
 */

interface DocState {
  feature: { id?: number; name: string };
  enabled: boolean;
  feature_state_value: unknown;
  multivariate_feature_state_values?: { percentage_allocation: number; multivariate_feature_option: { value: unknown } }[];
  feature_segment?: { priority?: number | null } | null;
}
interface DocSegment {
  id: number;
  name: string;
  rules: unknown[];
  feature_states?: DocState[];
}
export interface FlagsmithDocument {
  api_key: string;
  feature_states: DocState[];
  project?: { segments?: DocSegment[] };
  identity_overrides?: { identifier: string; identity_features?: DocState[] }[];
}

export interface FieldChange {
  field: string;
  old: unknown;
  new: unknown;
}
export interface Change {
  action: 'create' | 'update';
  kind: 'environment' | 'feature-state' | 'segment' | 'segment-override' | 'tenant-override' | 'identity-override';
  environment: string;
  feature?: string;
  segment?: string;
  tenant?: string;
  identity?: string;
  fields: FieldChange[];
}
export interface DocumentDiff {
  changes: Change[];
  /** Features the environment has and the document does not: an import leaves them as they are. */
  untouchedFeatures: string[];
}

/** JSON values travel as strings: compare what they mean, not their spacing. */
function canonical(value: unknown): string {
  if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
    try {
      return canonical(JSON.parse(value));
    } catch {
      return JSON.stringify(value);
    }
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** Rules as the importer compares them: a condition's missing property is its empty property. */
const normalRules = (rules: unknown): unknown =>
  Array.isArray(rules)
    ? rules.map((rule: { type?: string; rules?: unknown[]; conditions?: { operator: string; property_?: string | null; value?: unknown }[] }) => ({
        type: rule.type,
        rules: normalRules(rule.rules ?? []),
        conditions: (rule.conditions ?? []).map((c) => ({ operator: c.operator, property_: c.property_ ?? '', value: c.value ?? null })),
      }))
    : rules;

const weightsOf = (state: DocState) =>
  Object.fromEntries((state.multivariate_feature_state_values ?? []).map((v) => [canonical(v.multivariate_feature_option.value), v.percentage_allocation]));

function fieldChanges(before: Record<string, unknown> | undefined, after: Record<string, unknown>): FieldChange[] {
  return Object.entries(after)
    .filter(([field, value]) => before === undefined || canonical(before[field]) !== canonical(value))
    .map(([field, value]) => ({ field, old: before?.[field] ?? null, new: value }));
}

const stateFields = (state: DocState) => ({ enabled: state.enabled, value: state.feature_state_value });

export function diffDocuments(environment: string, current: FlagsmithDocument, proposed: FlagsmithDocument): DocumentDiff {
  const changes: Change[] = [];
  const add = (change: Omit<Change, 'fields' | 'environment'>, before: Record<string, unknown> | undefined, after: Record<string, unknown>) => {
    const fields = fieldChanges(before, after);
    if (fields.length) changes.push({ ...change, environment, fields });
  };

  if (current.api_key !== proposed.api_key) {
    changes.push({ action: 'update', kind: 'environment', environment, fields: [{ field: 'hashKey (identities split by it)', old: current.api_key, new: proposed.api_key }] });
  }

  const currentStates = new Map(current.feature_states.map((s) => [s.feature.name, s]));
  for (const state of proposed.feature_states) {
    const before = currentStates.get(state.feature.name);
    const after: Record<string, unknown> = stateFields(state);
    if (state.multivariate_feature_state_values?.length) after.weights = weightsOf(state);
    const beforeFields = before ? { ...stateFields(before), ...(after.weights ? { weights: weightsOf(before) } : {}) } : undefined;
    add({ action: before ? 'update' : 'create', kind: 'feature-state', feature: state.feature.name }, beforeFields, after);
  }
  const proposedNames = new Set(proposed.feature_states.map((s) => s.feature.name));
  const untouchedFeatures = [...currentStates.keys()].filter((name) => !proposedNames.has(name)).sort();

  const currentSegments = new Map((current.project?.segments ?? []).map((s) => [s.id, s]));
  const currentByName = new Map((current.project?.segments ?? []).map((s) => [s.name, s]));
  for (const segment of proposed.project?.segments ?? []) {
    const tenant = segment.name.startsWith('tenant:') ? segment.name.slice('tenant:'.length) : undefined;
    const before = tenant ? currentByName.get(segment.name) : currentSegments.get(segment.id);
    if (!tenant) {
      add({ action: before ? 'update' : 'create', kind: 'segment', segment: segment.name }, before ? { name: before.name, rules: normalRules(before.rules) } : undefined, {
        name: segment.name,
        rules: normalRules(segment.rules),
      });
    }
    const overrides = new Map((before?.feature_states ?? []).map((s) => [s.feature.name, s]));
    for (const state of segment.feature_states ?? []) {
      const previous = overrides.get(state.feature.name);
      const fields = (s: DocState) => ({ ...stateFields(s), ...(tenant ? {} : { priority: s.feature_segment?.priority ?? null }) });
      add(
        { action: previous ? 'update' : 'create', kind: tenant ? 'tenant-override' : 'segment-override', feature: state.feature.name, ...(tenant ? { tenant } : { segment: segment.name }) },
        previous ? fields(previous) : undefined,
        fields(state),
      );
    }
  }

  const currentIdentities = new Map((current.identity_overrides ?? []).map((i) => [i.identifier, new Map((i.identity_features ?? []).map((s) => [s.feature.name, s]))]));
  for (const identity of proposed.identity_overrides ?? []) {
    for (const state of identity.identity_features ?? []) {
      const previous = currentIdentities.get(identity.identifier)?.get(state.feature.name);
      add({ action: previous ? 'update' : 'create', kind: 'identity-override', feature: state.feature.name, identity: identity.identifier }, previous ? stateFields(previous) : undefined, stateFields(state));
    }
  }
  return { changes, untouchedFeatures };
}

const show = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value));

/** Terraform-plan-like text. */
export function formatDiff(diff: DocumentDiff, source: string, environmentName: string): string {
  if (diff.changes.length === 0) {
    return `No changes: environment "${environmentName}" already matches ${source}.${diff.untouchedFeatures.length ? `\n(${diff.untouchedFeatures.length} feature(s) only in the environment, which an import leaves as they are: ${diff.untouchedFeatures.join(', ')})` : ''}`;
  }
  const lines = [`Importing ${source} into environment "${environmentName}" would:`, ''];
  for (const change of diff.changes) {
    const subject =
      change.kind === 'environment'
        ? 'environment'
        : change.kind === 'feature-state'
          ? `feature ${change.feature}`
          : change.kind === 'segment'
            ? `segment "${change.segment}"`
            : change.kind === 'segment-override'
              ? `override of ${change.feature} for segment "${change.segment}"`
              : change.kind === 'tenant-override'
                ? `override of ${change.feature} for tenant ${change.tenant}`
                : `override of ${change.feature} for identity ${change.identity}`;
    lines.push(`  ${change.action === 'create' ? '+' : '~'} ${subject}`);
    for (const field of change.fields) {
      lines.push(change.action === 'create' ? `      ${field.field}: ${show(field.new)}` : `      ${field.field}: ${show(field.old)} → ${show(field.new)}`);
    }
  }
  const created = diff.changes.filter((c) => c.action === 'create').length;
  lines.push('', `Plan: ${created} to create, ${diff.changes.length - created} to change. An import never deletes${diff.untouchedFeatures.length ? ` (${diff.untouchedFeatures.length} feature(s) only in the environment stay)` : ''}.`);
  return lines.join('\n');
}
