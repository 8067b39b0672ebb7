/**
 * The engine's cost of prerequisites: the headline environment (200 features, 30 segments of 3
 * conditions, 20 multivariate) with no prerequisites, with one level (half the features each
 * require another) and with five levels (chains of six features, each requiring the one before),
 * 1,000 identities, rounds interleaved. Reports; never fails on a time.
 */
import { type EvaluationContext, type FeatureContext, getEvaluationResult } from '../functions/engine/index.js';
import { buildEnvironment, buildIdentities } from './workload.js';

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** The headline environment where, within each group of `levels + 1` features, each requires the one before. */
function withChains(levels: number): EvaluationContext[] {
  const environment = buildEnvironment({ features: 200, segments: 30, conditionsPerSegment: 3, multivariate: 20 });
  if (levels > 0) {
    const features: Record<string, FeatureContext> = {};
    for (const [name, feature] of Object.entries(environment.features ?? {})) {
      const i = Number(name.slice('feature_'.length));
      const position = i % (levels + 1);
      features[name] = position === 0 ? feature : { ...feature, prerequisites: [{ feature: `feature_${i - 1}` }] };
    }
    environment.features = features;
  }
  return buildIdentities(1000).map((identity) => ({ ...environment, identity }));
}

function pass(contexts: EvaluationContext[]): number {
  const started = process.hrtime.bigint();
  for (const context of contexts) getEvaluationResult(context);
  return Number(process.hrtime.bigint() - started) / 1000 / contexts.length;
}

export async function runPrerequisitesBench(): Promise<void> {
  const shapes = [0, 1, 5].map((levels) => ({ levels, contexts: withChains(levels) }));
  console.log('\n## Engine: prerequisites (200 features, 30 segments x 3 conditions, 1,000 identities)');
  for (const { levels, contexts } of shapes) {
    let gated = 0;
    let failed = 0;
    for (const context of contexts) {
      for (const flag of Object.values(getEvaluationResult(context).flags)) if (flag.reason.startsWith('PREREQUISITE_FAILED')) failed++;
    }
    gated = Object.values(contexts[0]?.features ?? {}).filter((f) => f.prerequisites?.length).length;
    console.log(`${levels} level(s): ${gated} features with a prerequisite, ${(failed / contexts.length).toFixed(1)} served off by one per identity`);
  }
  (globalThis as { gc?: () => void }).gc?.();
  for (let i = 0; i < 3; i++) for (const { contexts } of shapes) pass(contexts);
  const rounds = shapes.map(() => [] as number[]);
  for (let round = 0; round < 10; round++) shapes.forEach(({ contexts }, i) => rounds[i]?.push(pass(contexts)));
  const base = median(rounds[0] ?? []);
  console.log('levels   µs/identity   vs none');
  shapes.forEach(({ levels }, i) => {
    const us = median(rounds[i] ?? []);
    console.log(`${String(levels).padStart(6)}   ${us.toFixed(2).padStart(11)}   ${levels === 0 ? '' : `+${(us - base).toFixed(2)} µs (${((us / base - 1) * 100).toFixed(0)}%)`}`);
  });
}
