/**
 * Prerequisites: a feature is served off, with reason `PREREQUISITE_FAILED`, unless every
 * feature it requires is on for the same identity (serving the required variant or value, when
 * one is named). They are checked last, over the flags every other rule produced, so a required
 * feature counts as on exactly when the identity is served it on — its identity, tenant and
 * segment overrides, splits and its own prerequisites included — and a layer added in front of
 * them (tenants, say) needs nothing from here.
 */
import type { FeatureContext, FlagResult, Prerequisite } from './schema.js';

/** The reason of a feature served off because `feature` (one it requires) is not as required. */
export const PREREQUISITE_FAILED = 'PREREQUISITE_FAILED';
export const prerequisiteFailedReason = (feature: string) => `${PREREQUISITE_FAILED}; feature=${feature}`;

/**
 * Chains longer than this fail (the management API refuses far shorter ones), whatever order
 * the features come in.
 */
export const MAX_PREREQUISITE_DEPTH = 32;

interface Requirement {
  /** Position of the required feature in the compiled features; -1 when it does not exist. */
  index: number;
  name: string;
  variant: string | undefined;
  value: string | number | boolean | undefined;
  /** What the gated feature is served when this requirement fails: frozen, shared by every identity. */
  off: FlagResult;
}

interface Gated {
  index: number;
  /**
   * Set when the feature sits on a cycle or above a chain deeper than MAX_PREREQUISITE_DEPTH:
   * the requirement that leads there, which fails for every identity.
   */
  broken: Requirement | undefined;
  name: string;
  requires: Requirement[];
}

export interface CompiledPrerequisites {
  /**
   * Only the features that have prerequisites (evaluating the others costs nothing), in
   * dependency order: a feature comes after every feature it requires, so one pass judges each
   * on what its prerequisites are finally served.
   */
  ordered: Gated[];
}

/** Served off with the environment value (what a disabled flag keeps), naming the failed requirement. */
function offResult(feature: FeatureContext, value: unknown, failed: string): FlagResult {
  const result: FlagResult = { name: feature.name, enabled: false, value, reason: prerequisiteFailedReason(failed), variant: null };
  if (feature.metadata && Object.keys(feature.metadata).length > 0) result.metadata = Object.freeze(feature.metadata);
  return Object.freeze(result);
}

const requirement = (feature: FeatureContext, value: unknown, prerequisite: Prerequisite, featureIndex: ReadonlyMap<string, number>): Requirement => ({
  index: featureIndex.get(prerequisite.feature) ?? -1,
  name: prerequisite.feature,
  variant: prerequisite.variant ?? undefined,
  value: prerequisite.value ?? undefined,
  off: offResult(feature, value, prerequisite.feature),
});

/** The prerequisites of an environment's features, or undefined when none has any. */
export function compilePrerequisites(
  features: readonly FeatureContext[],
  featureIndex: ReadonlyMap<string, number>,
  environmentValue: (index: number) => unknown,
): CompiledPrerequisites | undefined {
  const gated: Gated[] = [];
  // `gated` entry of each feature position, -1 for features without prerequisites.
  const byIndex = new Int32Array(features.length).fill(-1);
  features.forEach((feature, index) => {
    if (!feature.prerequisites?.length) return;
    byIndex[index] = gated.length;
    const value = environmentValue(index);
    gated.push({
      index,
      broken: undefined,
      name: feature.name,
      requires: feature.prerequisites.map((prerequisite) => requirement(feature, value, prerequisite, featureIndex)),
    });
  });
  if (gated.length === 0) return undefined;
  const levels = chainLevels(gated, byIndex);
  return { ordered: gated.map((entry, i) => ({ entry, level: levels[i] as number })).sort((a, b) => a.level - b.level).map(({ entry }) => entry) };
}

/**
 * The length of the longest chain below each gated feature (its place in the order), marking
 * those whose chain is cyclic or too deep as broken, once per environment: what a feature is
 * served never depends on the order features are listed in. Iterative, so a forged chain of any
 * length cannot overflow the stack.
 */
function chainLevels(gated: Gated[], byIndex: Int32Array): Int32Array {
  // Levels: 0 unknown, -1 being visited, -2 cyclic or too deep, n > 0 the longest chain below.
  const levels = new Int32Array(gated.length);
  const requiredEntry = (requirement: Requirement) => (requirement.index < 0 ? -1 : (byIndex[requirement.index] as number));
  for (let root = 0; root < gated.length; root++) {
    if (levels[root] !== 0) continue;
    const stack = [root];
    levels[root] = -1;
    while (stack.length > 0) {
      const entry = stack[stack.length - 1] as number;
      const next = (gated[entry] as Gated).requires.map(requiredEntry).find((candidate) => candidate >= 0 && levels[candidate] === 0);
      if (next !== undefined) {
        levels[next] = -1;
        stack.push(next);
        continue;
      }
      stack.pop();
      let level = 1;
      let broken: Requirement | undefined;
      for (const requirement of (gated[entry] as Gated).requires) {
        const required = requiredEntry(requirement);
        if (required < 0) continue;
        const below = levels[required] as number;
        // -1: still being visited, so this requirement closes a cycle.
        if (below < 0 || below + 1 > MAX_PREREQUISITE_DEPTH) {
          broken ??= requirement;
          continue;
        }
        level = Math.max(level, below + 1);
      }
      (gated[entry] as Gated).broken = broken;
      levels[entry] = broken === undefined ? level : -2;
    }
  }
  return levels;
}

/** Whether the flag an identity is served is what a requirement asks for. */
function satisfies(flag: FlagResult | undefined, requirement: Requirement): boolean {
  if (!flag?.enabled) return false;
  if (requirement.variant !== undefined && flag.variant !== requirement.variant) return false;
  return requirement.value === undefined || flag.value === requirement.value;
}

/**
 * Serves off, in place, every feature whose prerequisites the identity does not meet. Features
 * come in dependency order, so each is judged on what its prerequisites are finally served (a
 * failed one already off); a requirement on a missing feature fails, and so does every feature
 * of a cycle or of an over-deep chain (marked when compiled).
 */
export function applyPrerequisites(flags: Record<string, FlagResult>, names: readonly string[], compiled: CompiledPrerequisites): void {
  // Plain loops: this runs for every gated feature of every identity.
  for (let g = 0; g < compiled.ordered.length; g++) {
    const gated = compiled.ordered[g] as Gated;
    if (gated.broken) {
      flags[gated.name] = gated.broken.off;
      continue;
    }
    for (let r = 0; r < gated.requires.length; r++) {
      const requirement = gated.requires[r] as Requirement;
      if (requirement.index < 0 || !satisfies(flags[names[requirement.index] as string], requirement)) {
        flags[gated.name] = requirement.off;
        break;
      }
    }
  }
}
