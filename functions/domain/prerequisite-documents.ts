/**
 * Prerequisites in Flagsmith-format documents. The format has none, so each feature's
 * prerequisites are compiled into what it does have, where that is exact:
 *
 * - a prerequisite that fails for every identity (the required feature is off, and nothing
 *   turns it on for anyone) makes the feature off everywhere: its states are written off;
 * - one that holds for some identities only, through segments, becomes a *gate*: a segment of
 *   the highest priority whose rules match exactly the identities for which some prerequisite
 *   fails, serving the feature off. The rules are the required feature's own decision (its
 *   tenant and segment overrides by priority, then its environment state) written with nested
 *   ALL / ANY / NONE rules, which Flagsmith's engines evaluate like ours.
 *
 * What cannot be exact is reported (`warnings`), and left out of the gate: a required feature
 * that splits by percentage (a PERCENTAGE_SPLIT segment, a rollout, or a multivariate split when a
 * variant or value is required) hashes with keys a gate segment cannot reuse, and identity
 * overrides — the required feature's, and the dependent's own, which Flagsmith ranks above every
 * segment — are per user. Remote evaluation, OFREP and the Vexilla SDK evaluate prerequisites
 * natively and are exact in every case.
 */
import {
  CONTROL_VARIANT,
  createTrustedEvaluator,
  type EnvironmentParts,
  type FeatureContext,
  PREREQUISITE_FAILED,
  type Prerequisite,
  type SegmentContext,
  type SegmentRule,
  TENANT_OVERRIDE_PRIORITY,
  tenantFeatureSegments,
  tenantLayerSegments,
} from '../engine/trusted.js';
import type { Feature, Project } from './entities.js';
import { type EnvironmentSnapshot, loadSnapshot, type ProjectReads } from './environment-snapshot.js';
import type { Deps } from './use-cases/support.js';

/** Gates outrank tenant overrides (and every segment override); identity overrides still outrank them in Flagsmith SDKs. */
export const PREREQUISITE_GATE_PRIORITY = -2_000_000_000;
/** Below every segment override and rollout: restores the feature's own state for identities that meet its prerequisites. */
export const PREREQUISITES_MET_PRIORITY = 2_100_000_000;

export interface PrerequisiteGate {
  featureName: string;
  /** Every identity fails a prerequisite, and so does evaluation without one: the feature is written off everywhere. */
  alwaysOff: boolean;
  /** Identities matching this rule fail a prerequisite: a gate segment of the highest priority serves the feature off. */
  failRule: SegmentRule | undefined;
  /**
   * Set when evaluation without an identity (environment flags) fails a prerequisite while
   * identities may meet them: Flagsmith SDKs apply no segment without an identity, so the
   * document's own state of the feature is off, and a segment of the lowest priority whose rule
   * this is restores it for identities that meet the prerequisites.
   */
  metRule: SegmentRule | undefined;
}

/** A rule every identity matches, in both engines. */
const EVERYONE: SegmentRule = { type: 'ALL', conditions: [], rules: [] };

export interface PrerequisiteCompilation {
  gates: PrerequisiteGate[];
  /** Per feature with prerequisites: what the document cannot say exactly. */
  warnings: Map<string, string[]>;
}

type Formula = { kind: 'const'; value: boolean } | { kind: 'rule'; rule: SegmentRule } | { kind: 'inexact'; reason: string };

const TRUE: Formula = { kind: 'const', value: true };
const FALSE: Formula = { kind: 'const', value: false };
const constant = (value: boolean): Formula => (value ? TRUE : FALSE);

function and(formulas: Formula[]): Formula {
  if (formulas.some((f) => f.kind === 'const' && !f.value)) return FALSE;
  const inexact = formulas.find((f) => f.kind === 'inexact');
  if (inexact) return inexact;
  const rules = formulas.flatMap((f) => (f.kind === 'rule' ? [f.rule] : []));
  if (rules.length === 0) return TRUE;
  return rules.length === 1 ? { kind: 'rule', rule: rules[0] as SegmentRule } : { kind: 'rule', rule: { type: 'ALL', conditions: [], rules } };
}

function or(formulas: Formula[]): Formula {
  if (formulas.some((f) => f.kind === 'const' && f.value)) return TRUE;
  const inexact = formulas.find((f) => f.kind === 'inexact');
  if (inexact) return inexact;
  const rules = formulas.flatMap((f) => (f.kind === 'rule' ? [f.rule] : []));
  if (rules.length === 0) return FALSE;
  return rules.length === 1 ? { kind: 'rule', rule: rules[0] as SegmentRule } : { kind: 'rule', rule: { type: 'ANY', conditions: [], rules } };
}

function not(formula: Formula): Formula {
  if (formula.kind === 'const') return constant(!formula.value);
  if (formula.kind === 'inexact') return formula;
  return { kind: 'rule', rule: { type: 'NONE', conditions: [], rules: [formula.rule] } };
}

const splitsByPercentage = (rule: SegmentRule): boolean =>
  (rule.conditions ?? []).some((condition) => condition.operator === 'PERCENTAGE_SPLIT') || (rule.rules ?? []).some(splitsByPercentage);

/** Whether an identity is in a segment, as a formula. A PERCENTAGE_SPLIT hashes with its own segment's key, so it cannot move into a gate. */
function inSegment(segment: SegmentContext): Formula {
  // A segment without rules matches no one, in both engines.
  if (segment.rules.length === 0) return FALSE;
  if (segment.rules.some(splitsByPercentage)) {
    const rollout = segment.metadata?.source === 'rollout';
    return { kind: 'inexact', reason: rollout ? 'it is being rolled out to a percentage of identities' : `segment "${segment.name}" splits identities by percentage` };
  }
  return { kind: 'rule', rule: { type: 'ALL', conditions: [], rules: segment.rules } };
}

/** Whether a source of the required feature's flag (its environment state or an override) serves what the requirement asks, for every identity that gets it. */
function serves(source: FeatureContext, requirement: Prerequisite, featureName: string): Formula {
  if (!source.enabled) return FALSE;
  const variant = requirement.variant ?? undefined;
  const value = requirement.value ?? undefined;
  if (variant === undefined && value === undefined) return TRUE;
  const variants = [...(source.variants ?? [])].sort((a, b) => (a.priority ?? Infinity) - (b.priority ?? Infinity));
  if (variants.length === 0) return constant(variant === undefined && source.value === value);
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  // Everyone lands in the same place: the control value when no variant has weight, the first variant when it has all of it.
  if (total === 0) return constant(variant !== undefined ? variant === CONTROL_VARIANT : source.value === value);
  const first = variants[0];
  if (first && first.weight >= 100) return constant(variant !== undefined ? (first.key ?? undefined) === variant : first.value === value);
  return { kind: 'inexact', reason: `${featureName} splits its value between variants by percentage` };
}

interface Source {
  segment: SegmentContext;
  override: FeatureContext;
  priority: number;
}

/**
 * The compiler of one environment's parts: which identities meet each requirement, as formulas
 * over segment rules, memoised per feature and requirement.
 */
function formulas(parts: EnvironmentParts) {
  const features = parts.features ?? {};
  // Every source in the order's priority bands, the tenant layer included, as the document carries it.
  const scoped = tenantFeatureSegments(parts);
  const segments = [...Object.values(parts.segments ?? {}), ...tenantLayerSegments(parts.tenants), ...scoped.gates, ...scoped.met];
  const sourcesOf = (name: string): Source[] =>
    segments
      .flatMap((segment) =>
        (segment.overrides ?? [])
          .filter((override) => override.name === name)
          .map((override) => ({ segment, override, priority: override.priority ?? (segment.metadata?.source === 'tenant_override' ? TENANT_OVERRIDE_PRIORITY : Infinity) })),
      )
      // Lower wins; ties keep the first, as both engines do (sort is stable).
      .sort((a, b) => a.priority - b.priority);

  const memo = new Map<string, Formula>();
  const meets = (requirement: Prerequisite, visiting: ReadonlySet<string>): Formula => {
    const name = requirement.feature;
    const key = JSON.stringify([name, requirement.variant ?? null, requirement.value ?? null]);
    const known = memo.get(key);
    if (known) return known;
    const feature = features[name];
    // Missing, or on a cycle: the engine fails it for everyone.
    if (!feature || visiting.has(name)) return FALSE;
    const inner = new Set(visiting).add(name);
    const ownPrerequisites = and((feature.prerequisites ?? []).map((p) => meets(p, inner)));
    // The required feature's decision, highest priority first: each source either decides (the identity is in its segment) or passes on.
    let decision = serves(feature, requirement, name);
    for (const source of sourcesOf(name).reverse()) {
      const matched = inSegment(source.segment);
      decision = or([and([matched, serves(source.override, requirement, name)]), and([not(matched), decision])]);
    }
    const formula = and([ownPrerequisites, decision]);
    memo.set(key, formula);
    return formula;
  };
  return meets;
}

/**
 * Compiles the prerequisites of an environment's features into gates, with warnings for what
 * cannot be exact. `identityOverridden`: the features with identity overrides in the
 * environment (the parts do not carry them), for the warnings.
 */
export function compilePrerequisiteGates(parts: EnvironmentParts, identityOverridden: ReadonlySet<string> = new Set()): PrerequisiteCompilation {
  const gates: PrerequisiteGate[] = [];
  const warnings = new Map<string, string[]>();
  const gated = Object.values(parts.features ?? {}).filter((feature) => feature.prerequisites?.length);
  if (gated.length === 0) return { gates, warnings };
  const meets = formulas(parts);
  // A snapshot's parts (validated when written), as the snapshot's own evaluator takes them.
  const withoutIdentity = createTrustedEvaluator(parts).evaluate(null).flags;
  for (const feature of gated) {
    const notes: string[] = [];
    const failing: Formula[] = [];
    const requiredClosure = new Set<string>();
    for (const requirement of feature.prerequisites ?? []) {
      collect(parts, requirement.feature, requiredClosure);
      const met = meets(requirement, new Set([feature.name]));
      if (met.kind === 'inexact') notes.push(`${requirement.feature}: ${met.reason}`);
      else failing.push(not(met));
    }
    const fail = or(failing);
    const everyoneFails = fail.kind === 'const' && fail.value;
    const failRule = fail.kind === 'rule' ? fail.rule : everyoneFails ? EVERYONE : undefined;
    const offWithoutIdentity = withoutIdentity[feature.name]?.reason.startsWith(PREREQUISITE_FAILED) ?? false;
    if (everyoneFails && offWithoutIdentity) gates.push({ featureName: feature.name, alwaysOff: true, failRule: undefined, metRule: undefined });
    else if (failRule || offWithoutIdentity) {
      const metRule = offWithoutIdentity ? (failRule ? ({ type: 'NONE', conditions: [], rules: [failRule] } satisfies SegmentRule) : EVERYONE) : undefined;
      gates.push({ featureName: feature.name, alwaysOff: false, failRule, metRule });
      if (failRule && identityOverridden.has(feature.name)) notes.push(`identities with their own override of ${feature.name} keep it, as Flagsmith ranks identity overrides above every segment`);
    }
    for (const required of requiredClosure) {
      if (identityOverridden.has(required)) notes.push(`${required}: its identity overrides are per user and not part of the document's check`);
    }
    if (notes.length) warnings.set(feature.name, notes);
  }
  return { gates, warnings };
}

/** The features a requirement leads to, transitively. */
function collect(parts: EnvironmentParts, name: string, into: Set<string>): void {
  if (into.has(name)) return;
  into.add(name);
  for (const requirement of parts.features?.[name]?.prerequisites ?? []) collect(parts, requirement.feature, into);
}

const compiled = new WeakMap<EnvironmentSnapshot, PrerequisiteCompilation>();

/** The gates of a snapshot's document, compiled once per snapshot. */
export function prerequisiteCompilation(snapshot: EnvironmentSnapshot): PrerequisiteCompilation {
  let result = compiled.get(snapshot);
  if (!result) {
    result = compilePrerequisiteGates(snapshot.parts);
    compiled.set(snapshot, result);
  }
  return result;
}

/**
 * What Flagsmith-format documents cannot express exactly about a feature's prerequisites, in
 * each environment of its project as it is now: the `warnings` of the create and update answers.
 */
export async function prerequisiteWarnings(deps: Deps, project: Project, feature: Feature): Promise<string[]> {
  if (!feature.prerequisites?.length) return [];
  const environments = await deps.store.listAll({ of: 'environments', projectId: project.id });
  // Every environment read at once, each one's snapshot and identity overrides together; the
  // project's own parts once for all of them.
  const projectReads: ProjectReads = new Map();
  const perEnvironment = await Promise.all(
    environments.map(async (environment) => {
      const [snapshot, overrides] = await Promise.all([
        loadSnapshot(deps.store, environment.id, { projectReads }),
        deps.store.listAll({ of: 'environment-identity-overrides', envId: environment.id }),
      ]);
      if (!snapshot) return [];
      const names = new Map(snapshot.features.map((f) => [f.id, f.name]));
      const identityOverridden = new Set(overrides.flatMap((o) => names.get(o.featureId) ?? []));
      const notes = compilePrerequisiteGates(snapshot.parts, identityOverridden).warnings.get(feature.name) ?? [];
      return notes.map((note) => `In ${environment.name}, Flagsmith SDKs evaluating locally may disagree for some identities — ${note}. Remote evaluation, OFREP and the Vexilla SDK are exact.`);
    }),
  );
  return perEnvironment.flat();
}
