/**
 * The tenant layer in Flagsmith-format documents. The format has segments with priorities and
 * nothing else, so each step of the evaluation order becomes segments in its own priority band
 * (engine/compile.ts): tenant overrides (`tenant IN <key>`), tenant-scoped segments (their rules
 * and `tenant IN <key>`), templates (`tenant IN <assigned>` or their trait rule), and for
 * tenant-scoped features a gate serving them off outside their tenants and a segment of the
 * lowest priority restoring their state for their tenants. Conditions on tenant traits become IN
 * lists (tenant-conditions.ts). The engine builds the same segments for the same parts
 * (tenantLayerSegments, tenantFeatureSegments), so the two agree identity by identity;
 * test/unit/tenant-cascade.property.test.ts checks it against flagsmith-nodejs.
 *
 * The document also carries each of these segments' reason in Vexilla's `vexilla.reasons`
 * extension (which Flagsmith SDKs ignore), so the Vexilla SDK evaluating it locally names the
 * step as remote evaluation does.
 */
import {
  compileTenantConditions,
  type SegmentContext,
  type SegmentRule,
  TENANT_SEGMENT_PRIORITY,
  tenantFeatureSegments,
  tenantOverrideSegments,
  tenantScopedSegments,
  templateSegments,
} from '../engine/trusted.js';
import type { EnvironmentSnapshot } from './environment-snapshot.js';

/** Segment ids of the derived segments: far above the counter's range, so they never collide with real ones. */
export const TENANT_SEGMENT_ID_BASE = 1_500_000_000;
export const TEMPLATE_SEGMENT_ID_BASE = 1_700_000_000;
export const TENANT_FEATURE_SEGMENT_ID_BASE = 1_800_000_000;

export interface LayerSegment {
  id: number;
  segment: SegmentContext;
}

/**
 * The tenant layer's segments with their document ids. Without `derived` (export): tenant
 * overrides, and tenant-scoped segments in their plain form with the priorities they store.
 */
export function tenantLayer(snapshot: EnvironmentSnapshot, derived: boolean): { segments: LayerSegment[]; offStates: number[] } {
  const tenants = snapshot.parts.tenants ?? { overrides: {} };
  const out: LayerSegment[] = tenantOverrideSegments(tenants).map((segment, i) => ({ id: TENANT_SEGMENT_ID_BASE + i, segment }));
  // A tenant-scoped segment keeps its own id: a PERCENTAGE_SPLIT in it hashes with it.
  const numericIds = new Map(snapshot.segments.map((segment) => [segment.hashKey, segment.numericId]));
  for (const segment of tenantScopedSegments(tenants)) {
    const plain = derived ? segment : { ...segment, overrides: (segment.overrides ?? []).map((o) => ({ ...o, priority: (o.priority ?? 0) - TENANT_SEGMENT_PRIORITY })) };
    out.push({ id: numericIds.get(segment.key) ?? 0, segment: plain });
  }
  if (!derived) return { segments: out, offStates: [] };
  templateSegments(tenants).forEach((segment, i) => out.push({ id: TEMPLATE_SEGMENT_ID_BASE + i, segment }));
  const { gates, met } = tenantFeatureSegments(snapshot.parts);
  gates.forEach((segment, i) => out.push({ id: TENANT_FEATURE_SEGMENT_ID_BASE + 2 * i, segment }));
  met.forEach((segment, i) => out.push({ id: TENANT_FEATURE_SEGMENT_ID_BASE + 2 * i + 1, segment }));
  const index = new Map(snapshot.features.map((feature, i) => [feature.name, i]));
  const offStates = Object.keys(tenants.features ?? {}).flatMap((name) => index.get(name) ?? []);
  return { segments: out, offStates };
}

/** The rules as Flagsmith SDKs evaluate them: tenant-trait conditions as IN lists. */
export function layerRules(snapshot: EnvironmentSnapshot, segment: SegmentContext, derived: boolean): SegmentRule[] {
  const tenants = snapshot.parts.tenants;
  return derived && tenants ? compileTenantConditions(segment.rules, segment.key, tenants) : segment.rules;
}
