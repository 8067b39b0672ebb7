/**
 * Prerequisites of features: validated against the project's features (they exist, the variant
 * is one of the required feature's options, the value fits its type), refused when they would
 * close a cycle or make a chain longer than MAX_PREREQUISITE_CHAIN, and guarded at commit by
 * version checks on every feature the decision read, so two concurrent edits cannot together
 * build the cycle each alone was refused. Deleting a required feature needs `force`.
 */
import type { Feature, FeaturePrerequisite, Project } from '../entities.js';
import { Conflict, Invalid } from '../errors.js';
import type { Write } from '../ports.js';
import { MAX_PREREQUISITE_CHAIN, type prerequisiteInput } from '../schemas.js';
import type * as z from 'zod';
import type { Deps } from './support.js';

type Problem = { path: string; message: string };

/** DynamoDB transactions hold 100 items: the feature, its event and at most this many checks. */
const MAX_CHECKS = 90;

type Graph = Map<string, readonly FeaturePrerequisite[]>;

/** The project's prerequisite graph with `name`'s edges replaced by `edges`. */
function graphWith(features: readonly Feature[], name: string, edges: readonly FeaturePrerequisite[]): Graph {
  const graph: Graph = new Map(features.map((feature) => [feature.name, feature.prerequisites ?? []]));
  graph.set(name, edges);
  return graph;
}

/** A path from `from` back to `to` along prerequisites, if there is one: the cycle a new edge closes. */
function pathTo(graph: Graph, from: string, to: string): string[] | undefined {
  const seen = new Set<string>();
  const walk = (name: string, path: string[]): string[] | undefined => {
    if (name === to) return path;
    if (seen.has(name)) return undefined;
    seen.add(name);
    for (const edge of graph.get(name) ?? []) {
      const found = walk(edge.featureName, [...path, edge.featureName]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(from, [from]);
}

/**
 * The longest chain of prerequisites below each feature (1 for a feature that requires
 * nothing). A cycle already stored (two racing edits past the checks) counts as endless.
 */
function depthBelow(graph: Graph): (name: string) => number {
  const memo = new Map<string, number>();
  const depth = (name: string): number => {
    const known = memo.get(name);
    if (known !== undefined) return known;
    memo.set(name, Number.POSITIVE_INFINITY);
    const value = 1 + Math.max(0, ...(graph.get(name) ?? []).map((edge) => depth(edge.featureName)));
    memo.set(name, value);
    return value;
  };
  return depth;
}

/** The longest chain of features that require `name`, `name` included (endless on a stored cycle). */
function depthAbove(graph: Graph, name: string, visiting = new Set<string>()): number {
  if (visiting.has(name)) return Number.POSITIVE_INFINITY;
  visiting.add(name);
  const dependents = [...graph].filter(([, edges]) => edges.some((edge) => edge.featureName === name)).map(([dependent]) => dependent);
  const depth = 1 + Math.max(0, ...dependents.map((dependent) => depthAbove(graph, dependent, visiting)));
  visiting.delete(name);
  return depth;
}

/** Every feature `name` reaches through prerequisites (not `name` itself unless it is on a cycle). */
function reachable(graph: Graph, name: string): Set<string> {
  const found = new Set<string>();
  const stack = (graph.get(name) ?? []).map((edge) => edge.featureName);
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (found.has(next)) continue;
    found.add(next);
    for (const edge of graph.get(next) ?? []) stack.push(edge.featureName);
  }
  return found;
}

function requirementProblems(required: Feature | undefined, input: z.infer<typeof prerequisiteInput>, path: string): Problem[] {
  if (!required) return [{ path: `${path}.featureName`, message: `no feature ${input.featureName} in this project` }];
  if (input.variant !== undefined) {
    if (required.kind !== 'MULTIVARIATE') return [{ path: `${path}.variant`, message: `${required.name} is not multivariate: it has no variants` }];
    if (!required.options.some((option) => option.id === input.variant)) return [{ path: `${path}.variant`, message: `${required.name} has no option ${input.variant}` }];
  }
  if (input.value !== undefined) {
    if (required.valueType === 'json') return [{ path: `${path}.value`, message: `${required.name} holds JSON: require a variant instead` }];
    if (typeof input.value !== required.valueType) return [{ path: `${path}.value`, message: `${required.name} holds ${required.valueType} values` }];
  }
  return [];
}

/**
 * Checks a feature's new prerequisites against the project: the features named exist (and the
 * variant or value fits them), the feature does not require itself or one feature twice, no
 * cycle closes and no chain grows longer than {@link MAX_PREREQUISITE_CHAIN}. Returns them as
 * stored, with the checks that keep the decision true at commit.
 *
 * @throws Invalid naming each problem; a cycle is named feature by feature.
 */
export async function resolvePrerequisites(
  deps: Deps,
  project: Project,
  featureName: string,
  inputs: readonly z.infer<typeof prerequisiteInput>[],
): Promise<{ prerequisites: FeaturePrerequisite[]; checks: Write[] }> {
  const features = await deps.store.listAll({ of: 'features', projectId: project.id });
  const byName = new Map(features.map((feature) => [feature.name, feature]));
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const prerequisites: FeaturePrerequisite[] = [];
  inputs.forEach((input, i) => {
    const path = `prerequisites.${i}`;
    if (input.featureName === featureName) problems.push({ path: `${path}.featureName`, message: 'a feature cannot require itself' });
    else if (seen.has(input.featureName)) problems.push({ path: `${path}.featureName`, message: `${input.featureName} is required twice` });
    else problems.push(...requirementProblems(byName.get(input.featureName), input, path));
    seen.add(input.featureName);
    prerequisites.push({
      featureName: input.featureName,
      ...(input.variant !== undefined ? { variant: input.variant } : {}),
      ...(input.value !== undefined ? { value: input.value } : {}),
    });
  });
  if (problems.length) throw new Invalid('The prerequisites are not valid.', problems);

  const graph = graphWith(features, featureName, prerequisites);
  for (const [i, prerequisite] of prerequisites.entries()) {
    const cycle = pathTo(graph, prerequisite.featureName, featureName);
    if (cycle) {
      const named = [featureName, ...cycle].join(' → ');
      throw new Invalid(`These prerequisites would form a cycle: ${named}.`, [{ path: `prerequisites.${i}.featureName`, message: `cycle: ${named}` }]);
    }
  }
  const chain = depthBelow(graph)(featureName) + depthAbove(graph, featureName) - 1;
  if (chain > MAX_PREREQUISITE_CHAIN) {
    throw new Invalid(`Prerequisite chains are at most ${MAX_PREREQUISITE_CHAIN} features long; this one would be ${chain}.`, [
      { path: 'prerequisites', message: `a chain of ${chain} features, at most ${MAX_PREREQUISITE_CHAIN}` },
    ]);
  }
  // Each feature whose prerequisites the decision read must be as read at commit: a concurrent
  // edit adding the edge back to this feature, or deleting a required one, fails one of the two commits.
  const read = [...reachable(graph, featureName)].filter((name) => name !== featureName);
  const checks: Write[] = read
    .slice(0, MAX_CHECKS)
    .map((name) => byName.get(name) as Feature)
    .map((feature) => ({ kind: 'check', ref: { type: 'feature', projectId: project.id, name: feature.name }, expect: feature.version }));
  return { prerequisites, checks };
}

/** The features of the project that require `name`, by name. */
export async function dependentsOf(deps: Deps, project: Project, name: string): Promise<string[]> {
  const features = await deps.store.listAll({ of: 'features', projectId: project.id });
  return features.filter((feature) => (feature.prerequisites ?? []).some((p) => p.featureName === name)).map((feature) => feature.name);
}

/** Refuses to delete a feature others require, unless forced (they are then served off). */
export async function refuseRequiredDeletion(deps: Deps, project: Project, name: string, force: boolean): Promise<void> {
  if (force) return;
  const dependents = await dependentsOf(deps, project, name);
  if (dependents.length === 0) return;
  throw new Conflict(
    `Feature ${name} is required by ${dependents.join(', ')}: remove it from their prerequisites first, or delete it with force=true (they are then served off, reason PREREQUISITE_FAILED).`,
    { dependents },
  );
}
