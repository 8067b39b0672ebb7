/**
 * Engine benchmark: our engine against the engine inside flagsmith-nodejs 8.1.2 on the same
 * environment and identities, interleaved in one run, with every flag compared. Reports; never
 * fails on a time.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { getEvaluationResult, type EvaluationContext, type EvaluationResult } from '../functions/engine/index.js';
import { bundleEngine } from '../test/support/bundle-engine.js';
import { buildEnvironment, buildIdentities, type WorkloadShape } from './workload.js';

type Evaluate = (context: EvaluationContext) => { flags: Record<string, { enabled: boolean; value: unknown }> };

async function loadReference(): Promise<Evaluate> {
  // The package's exports hide its engine; load the module file that its SDK itself uses.
  const file = resolve('node_modules/flagsmith-nodejs/build/esm/flagsmith-engine/index.js');
  const module = (await import(pathToFileURL(file).href)) as { getEvaluationResult: Evaluate };
  return module.getEvaluationResult;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

/** µs per identity of `evaluate` over all identities, one pass. */
function pass(evaluate: Evaluate, contexts: EvaluationContext[]): number {
  const started = process.hrtime.bigint();
  for (const context of contexts) evaluate(context);
  return Number(process.hrtime.bigint() - started) / 1000 / contexts.length;
}

function contextsFor(shape: WorkloadShape, identities: number): EvaluationContext[] {
  const environment = buildEnvironment(shape);
  // One environment object shared by all contexts, as a server or SDK holds it.
  return buildIdentities(identities).map((identity) => ({ ...environment, identity }));
}

function disagreements(contexts: EvaluationContext[], reference: Evaluate): { flags: number; examples: string[] } {
  let flags = 0;
  const examples: string[] = [];
  for (const context of contexts) {
    const ours: EvaluationResult = getEvaluationResult(context);
    const theirs = reference(context);
    for (const [name, expected] of Object.entries(theirs.flags)) {
      const actual = ours.flags[name];
      if (actual?.enabled !== expected.enabled || JSON.stringify(actual?.value) !== JSON.stringify(expected.value)) {
        flags++;
        if (examples.length < 3) examples.push(`${context.identity?.identifier} ${name}: ours ${JSON.stringify(actual)} theirs ${JSON.stringify(expected)}`);
      }
    }
    if (Object.keys(ours.flags).length !== Object.keys(theirs.flags).length) flags++;
  }
  return { flags, examples };
}

/** How much of the workload targets: segments matched and flags not at their default, per identity. */
function workloadShape(contexts: EvaluationContext[]): { matchedSegments: number; targeted: number } {
  let segments = 0;
  let targeted = 0;
  for (const context of contexts) {
    const result = getEvaluationResult(context);
    segments += result.segments.length;
    for (const flag of Object.values(result.flags)) if (flag.reason !== 'DEFAULT') targeted++;
  }
  return { matchedSegments: segments / contexts.length, targeted: targeted / contexts.length };
}

const fmt = (n: number, digits = 1) => n.toFixed(digits).padStart(9);

export async function runEngineBench(): Promise<void> {
  const reference = await loadReference();
  const headline: WorkloadShape = { features: 200, segments: 30, conditionsPerSegment: 3, multivariate: 20 };
  const contexts = contextsFor(headline, 1000);

  console.log('\n## Engine: 200 features (20 multivariate), 30 segments x 3 conditions, 1,000 identities');
  const { matchedSegments, targeted } = workloadShape(contexts);
  console.log(`per identity: ${matchedSegments.toFixed(1)} segments matched, ${targeted.toFixed(1)} flags from a segment or split`);
  const check = disagreements(contexts, reference);
  console.log(`agreement with flagsmith-nodejs 8.1.2: ${check.flags} disagreeing flags over ${contexts.length * 200} flag evaluations`);
  for (const example of check.examples) console.log(`  ${example}`);

  // Nothing from the checks above stays alive: a big retained heap would tax whichever engine
  // allocates during the timed rounds.
  (globalThis as { gc?: () => void }).gc?.();
  // Warm both, then interleave rounds so drift in machine load hits both alike.
  for (let i = 0; i < 3; i++) {
    pass(getEvaluationResult, contexts);
    pass(reference, contexts);
  }
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < 10; round++) {
    ours.push(pass(getEvaluationResult, contexts));
    theirs.push(pass(reference, contexts));
  }
  const oursUs = median(ours);
  const theirsUs = median(theirs);
  console.log(`vexilla engine        ${fmt(oursUs, 2)} µs per identity (median of 10 rounds)`);
  console.log(`flagsmith-nodejs      ${fmt(theirsUs, 2)} µs per identity`);
  console.log(`speed-up              ${fmt(theirsUs / oursUs, 1)} x`);

  console.log('\n## Engine scaling (vexilla, µs per identity, 3 conditions per segment)');
  console.log('features  segments   µs/identity');
  const shapes: WorkloadShape[] = [
    { features: 100, segments: 30 },
    { features: 1_000, segments: 30 },
    { features: 10_000, segments: 30 },
    { features: 200, segments: 10 },
    { features: 200, segments: 100 },
    { features: 200, segments: 1_000 },
  ];
  for (const shape of shapes) {
    const scaled = contextsFor(shape, shape.features >= 10_000 || shape.segments >= 1_000 ? 100 : 500);
    pass(getEvaluationResult, scaled);
    const rounds = Array.from({ length: 5 }, () => pass(getEvaluationResult, scaled));
    console.log(`${String(shape.features).padStart(8)}  ${String(shape.segments).padStart(8)}  ${fmt(median(rounds), 2)}`);
  }

  const bundle = await bundleEngine(resolve('functions/engine/index.ts'));
  console.log(`\nengine bundle (esbuild, neutral platform, minified): ${(bundle.bytes / 1024).toFixed(1)} KiB`);
}
