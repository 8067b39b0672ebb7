import type {
  EvaluationContext,
  FeatureContext,
  IdentityContext,
  SegmentCondition,
  SegmentContext,
} from '../functions/engine/index.js';

/** A small seeded PRNG (mulberry32), so every run measures the same environment and identities. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COUNTRIES = ['FR', 'DE', 'US', 'GB', 'ES', 'IT', 'JP', 'BR'];
const PLANS = ['free', 'pro', 'team', 'enterprise'];

/**
 * A condition of each kind the issue names. Values stay inside the semantics that every
 * Flagsmith engine shares (anchored regexes, integer thresholds), so disagreements are bugs.
 */
function condition(kind: number, rand: () => number): SegmentCondition {
  switch (kind % 7) {
    case 0:
      return { operator: 'EQUAL', property: 'plan', value: PLANS[Math.floor(rand() * PLANS.length)] ?? 'pro' };
    case 1:
      return { operator: 'GREATER_THAN', property: 'age', value: String(18 + Math.floor(rand() * 40)) };
    case 2:
      return { operator: 'IN', property: 'country', value: COUNTRIES.filter(() => rand() < 0.4).join(',') || 'FR' };
    case 3: {
      const from = Math.floor(rand() * 20);
      const range = `${String.fromCharCode(97 + from)}-${String.fromCharCode(102 + from)}`;
      return { operator: 'REGEX', property: 'email', value: `^[${range}][0-9]*@(example|corp)\\.com$` };
    }
    case 4:
      return { operator: 'PERCENTAGE_SPLIT', property: '', value: String(10 + Math.floor(rand() * 80)) };
    case 5:
      return { operator: 'CONTAINS', property: 'email', value: String(Math.floor(rand() * 10)) };
    default:
      return { operator: 'MODULO', property: 'account', value: `${2 + Math.floor(rand() * 5)}|0` };
  }
}

export interface WorkloadShape {
  features: number;
  segments: number;
  conditionsPerSegment?: number;
  multivariate?: number;
}

/** An environment of the given shape, in EvaluationContext form (without identity). */
export function buildEnvironment(shape: WorkloadShape, seed = 42): Omit<EvaluationContext, 'identity'> {
  const rand = random(seed);
  const features: Record<string, FeatureContext> = {};
  const multivariate = shape.multivariate ?? Math.round(shape.features / 10);
  for (let i = 0; i < shape.features; i++) {
    const name = `feature_${i}`;
    const feature: FeatureContext = {
      key: String(1000 + i),
      name,
      enabled: rand() < 0.5,
      value: i % 3 === 0 ? Math.floor(rand() * 100) : `value-${i}`,
      metadata: { id: i + 1 },
    };
    if (i < multivariate) {
      feature.variants = [
        { value: `a-${i}`, weight: 30, priority: 3 * i + 1 },
        { value: `b-${i}`, weight: 30, priority: 3 * i + 2 },
        { value: `c-${i}`, weight: 20, priority: 3 * i + 3 },
      ];
    }
    features[name] = feature;
  }
  const segments: Record<string, SegmentContext> = {};
  for (let s = 0; s < shape.segments; s++) {
    const conditions = Array.from({ length: shape.conditionsPerSegment ?? 3 }, (_, c) => condition(s + c, rand));
    const overridden = Array.from({ length: 3 }, () => Math.floor(rand() * shape.features));
    segments[String(s + 1)] = {
      key: String(s + 1),
      name: `segment_${s + 1}`,
      rules: [{ type: 'ALL', rules: [{ type: s % 4 === 0 ? 'ANY' : 'ALL', conditions }] }],
      overrides: [...new Set(overridden)].map((f, n) => ({
        key: String(100_000 + s * 10 + n),
        name: `feature_${f}`,
        enabled: true,
        value: `segment-${s + 1}`,
        priority: Math.floor(rand() * 10),
        metadata: { id: f + 1 },
      })),
    };
  }
  return { environment: { key: 'bench-env-key', name: 'bench' }, features, segments };
}

/** Identities with the traits the segments look at. */
export function buildIdentities(count: number, seed = 7): IdentityContext[] {
  const rand = random(seed);
  return Array.from({ length: count }, (_, i) => ({
    identifier: `user-${i}`,
    traits: {
      plan: PLANS[Math.floor(rand() * PLANS.length)] ?? 'free',
      age: 16 + Math.floor(rand() * 60),
      country: COUNTRIES[Math.floor(rand() * COUNTRIES.length)] ?? 'FR',
      email: `${String.fromCharCode(97 + Math.floor(rand() * 26))}${i}@${rand() < 0.5 ? 'example' : 'corp'}.com`,
      account: Math.floor(rand() * 10_000),
    },
  }));
}
