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
 * Chains longer than this fail (the management API refuses far shorter ones): a forged
 * document cannot make evaluation recurse without bound.
 */
export const MAX_PREREQUISITE_DEPTH = 32;

interface Requirement {
  /** Position of the required feature in the compiled features; -1 when it does not exist. */
  index: number;
  name: string;
  variant: string | undefined;
  value: string | number | boolean | undefined;
}

interface Gated {
  index: number;
  /**
   * Set when the feature sits on a cycle or above a chain deeper than MAX_PREREQUISITE_DEPTH:
   * the requirement that leads there, which fails for every identity.
   */
  broken: string | undefined;
  name: string;
  /** The environment value: what the feature serves when a prerequisite fails. */
  value: unknown;
  metadata: Record<string, unknown> | undefined;
  requires: Requirement[];
}

export interface CompiledPrerequisites {
  /** Only the features that have prerequisites: evaluating the others costs nothing. */
  gated: Gated[];
  /** `gated` entry of each feature position, -1 for features without prerequisites. */
  byIndex: Int32Array;
}

const requirement = (prerequisite: Prerequisite, featureIndex: ReadonlyMap<string, number>): Requirement => ({
  index: featureIndex.get(prerequisite.feature) ?? -1,
  name: prerequisite.feature,
  variant: prerequisite.variant ?? undefined,
  value: prerequisite.value ?? undefined,
});

/** The prerequisites of an environment's features, or undefined when none has any. */
export function compilePrerequisites(
  features: readonly FeatureContext[],
  featureIndex: ReadonlyMap<string, number>,
  environmentValue: (index: number) => unknown,
): CompiledPrerequisites | undefined {
  const gated: Gated[] = [];
  const byIndex = new Int32Array(features.length).fill(-1);
  features.forEach((feature, index) => {
    if (!feature.prerequisites?.length) return;
    byIndex[index] = gated.length;
    const metadata = feature.metadata && Object.keys(feature.metadata).length > 0 ? Object.freeze(feature.metadata) : undefined;
    gated.push({
      index,
      broken: undefined,
      name: feature.name,
      value: environmentValue(index),
      metadata,
      requires: feature.prerequisites.map((prerequisite) => requirement(prerequisite, featureIndex)),
    });
  });
  if (gated.length === 0) return undefined;
  markBroken(gated, byIndex);
  return { gated, byIndex };
}

/**
 * Marks the features whose chain is cyclic or too deep, once per environment, so what a feature
 * is served never depends on the order features are listed in. Iterative: a forged chain of any
 * length cannot overflow the stack here either.
 */
function markBroken(gated: Gated[], byIndex: Int32Array): void {
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
      let broken: string | undefined;
      for (const requirement of (gated[entry] as Gated).requires) {
        const required = requiredEntry(requirement);
        if (required < 0) continue;
        const below = levels[required] as number;
        // -1: still being visited, so this requirement closes a cycle.
        if (below < 0 || below + 1 > MAX_PREREQUISITE_DEPTH) {
          broken ??= requirement.name;
          continue;
        }
        level = Math.max(level, below + 1);
      }
      (gated[entry] as Gated).broken = broken;
      levels[entry] = broken === undefined ? level : -2;
    }
  }
}

// 0: not resolved yet.
const VISITING = 1;
const PASSED = 2;
const FAILED = 3;

/** Whether the flag an identity is served is what a requirement asks for. */
function satisfies(flag: FlagResult | undefined, requirement: Requirement): boolean {
  if (!flag?.enabled) return false;
  if (requirement.variant !== undefined && flag.variant !== requirement.variant) return false;
  return requirement.value === undefined || flag.value === requirement.value;
}

/**
 * Serves off every feature whose prerequisites the identity does not meet, in place. Chains
 * resolve depth first, so a feature is judged on what its prerequisites are finally served;
 * a cycle (which the management API refuses) or a missing feature fails the requirement.
 */
export function applyPrerequisites(flags: Record<string, FlagResult>, names: readonly string[], compiled: CompiledPrerequisites): void {
  const status = new Uint8Array(compiled.gated.length);

  const resolve = (entry: number, depth: number): boolean => {
    const known = status[entry];
    if (known === PASSED) return true;
    if (known === FAILED || known === VISITING || depth > MAX_PREREQUISITE_DEPTH) return false;
    status[entry] = VISITING;
    const gated = compiled.gated[entry] as Gated;
    let failed: string | undefined = gated.broken;
    for (const requirement of failed === undefined ? gated.requires : []) {
      const required = requirement.index < 0 ? -1 : (compiled.byIndex[requirement.index] as number);
      const chainHolds = required < 0 || resolve(required, depth + 1);
      if (requirement.index < 0 || !chainHolds || !satisfies(flags[names[requirement.index] as string], requirement)) {
        failed = requirement.name;
        break;
      }
    }
    status[entry] = failed === undefined ? PASSED : FAILED;
    if (failed !== undefined) {
      const off: FlagResult = { name: gated.name, enabled: false, value: gated.value, reason: prerequisiteFailedReason(failed), variant: null };
      if (gated.metadata) off.metadata = gated.metadata;
      flags[gated.name] = off;
    }
    return failed === undefined;
  };

  for (let entry = 0; entry < compiled.gated.length; entry++) resolve(entry, 0);
}
