/**
 * "Why did this user get this?": every flag of an environment for one identity, evaluated by the
 * engine exactly as the SDK API does, with the source of each value named: the identity's own
 * override, its tenant's override, a segment override (by segment name), a multivariate split
 * (with the identity's bucket) or the environment default.
 */
import {
  hashedPercentage,
  IDENTITY_OVERRIDES_SEGMENT,
  prerequisiteFailedReason,
  TEMPLATE_REASON,
  TENANT_OVERRIDE_REASON,
  TENANT_SCOPED_REASON,
  TENANT_SEGMENT_REASON,
  type TraitValue,
} from '../../engine/index.js';
import { getOwn } from '../../engine/records.js';
import type { Environment, JsonValue } from '../entities.js';
import { identityTenant, loadSnapshot } from '../environment-snapshot.js';
import { NotFound } from '../errors.js';
import { evaluateIdentity, readIdentity, retentionOf } from '../identities.js';
import type { Deps } from './support.js';

export type FlagReason =
  | { kind: 'identity-override' }
  | { kind: 'tenant-override'; tenantId: string }
  | { kind: 'tenant-segment-override'; tenantId: string; segmentId: string | null; segmentName: string }
  | { kind: 'template'; tenantId: string; templateKey: string }
  | { kind: 'tenant-scoped'; tenantId: string | null }
  | { kind: 'segment-override'; segmentId: string | null; segmentName: string }
  | { kind: 'split'; bucket: number; variant: string | null; weight: number | null }
  | { kind: 'default'; bucket?: number | undefined }
  /** Served off because a prerequisite (named) is not on, or not in the required variant, for this identity. */
  | { kind: 'prerequisite-failed'; featureName: string };

export interface ExplainedFlag {
  featureName: string;
  enabled: boolean;
  value: JsonValue;
  variant: string | null;
  reason: FlagReason;
  /** The engine's own reason string (OFREP's and Flagsmith's vocabulary). */
  engineReason: string;
}

export interface ExplainedIdentity {
  identifier: string;
  /** False when no identity is stored under this identifier: it is evaluated without traits. */
  stored: boolean;
  traits: Record<string, TraitValue>;
  /** The segments the identity is in (project-wide, and its tenant's own). */
  segments: { id: string; name: string }[];
  flags: ExplainedFlag[];
}

const SEGMENT_REASON = /^TARGETING_MATCH; segment=(.*)$/s;
const TENANT_SEGMENT_PREFIX = `${TENANT_SEGMENT_REASON}; segment=`;
const SPLIT_REASON = /^SPLIT; weight=(.*)$/;
/** `PREREQUISITE_FAILED; feature=`: the engine's reason up to the prerequisite's name. */
const PREREQUISITE_PREFIX = prerequisiteFailedReason('');

/** Evaluates every flag for a stored identity (its traits and overrides) and names each value's source. */
export async function explainIdentity(deps: Deps, environment: Environment, identifier: string): Promise<ExplainedIdentity> {
  const [snapshot, { identity, overrides }] = await Promise.all([
    // Without the project's tenants: only the identity's own is read.
    loadSnapshot(deps.store, environment.id, { tenants: 'own' }),
    readIdentity(deps.store, environment.id, identifier, retentionOf(deps)),
  ]);
  if (!snapshot) throw new NotFound('No such environment.');
  const traits = identity?.traits ?? {};
  const tenant = await identityTenant(snapshot, { identifier, traits }, (key) => deps.store.get({ type: 'tenant', projectId: snapshot.project.id, key }));
  const result = evaluateIdentity(snapshot, identifier, traits, overrides, tenant);
  const identityKey = `${snapshot.environment.hashKey}_${identifier}`;

  const overridden = new Set(overrides.map((override) => override.featureName));
  const tenantTrait = getOwn(traits, snapshot.project.tenantTraitKey);
  const tenantId = tenantTrait === undefined || tenantTrait === null ? undefined : String(tenantTrait);
  const tenantOverridden = new Set(snapshot.tenantOverrides.filter((o) => o.tenantId === tenantId).map((o) => o.featureName));
  const segmentsByName = new Map<string, string[]>();
  for (const segment of snapshot.segments) segmentsByName.set(segment.name, [...(segmentsByName.get(segment.name) ?? []), segment.id]);
  const matchedNames = new Set(result.segments.map((segment) => segment.name));
  const featureByName = new Map(snapshot.features.map((feature, i) => [feature.name, { feature, state: snapshot.states[i] }]));

  const reasonOf = (featureName: string, engineReason: string, variant: string | null): FlagReason => {
    // A failed prerequisite decides before any override: the feature is served off whatever else matched.
    if (engineReason.startsWith(PREREQUISITE_PREFIX)) return { kind: 'prerequisite-failed', featureName: engineReason.slice(PREREQUISITE_PREFIX.length) };
    if (overridden.has(featureName) && engineReason.endsWith(`segment=${IDENTITY_OVERRIDES_SEGMENT}`)) return { kind: 'identity-override' };
    if (tenantId !== undefined && tenantOverridden.has(featureName) && engineReason === TENANT_OVERRIDE_REASON) return { kind: 'tenant-override', tenantId };
    // The tenant layer's steps (engine/compile.ts names them in the reason).
    if (engineReason === TENANT_SCOPED_REASON) return { kind: 'tenant-scoped', tenantId: tenantId ?? null };
    if (tenantId !== undefined && engineReason.startsWith(`${TEMPLATE_REASON}:`)) return { kind: 'template', tenantId, templateKey: engineReason.slice(TEMPLATE_REASON.length + 1) };
    if (tenantId !== undefined && engineReason.startsWith(TENANT_SEGMENT_PREFIX)) {
      const name = engineReason.slice(TENANT_SEGMENT_PREFIX.length);
      const own = snapshot.segments.filter((segment) => segment.tenantKey === tenantId && segment.name === name);
      const id = own.find((candidate) => snapshot.segmentOverrides.some((o) => o.segmentId === candidate.id && o.featureName === featureName)) ?? own[0];
      return { kind: 'tenant-segment-override', tenantId, segmentId: id?.id ?? null, segmentName: name };
    }
    const segment = SEGMENT_REASON.exec(engineReason);
    if (segment) {
      const name = segment[1] ?? '';
      // Names need not be unique: the segment of that name with an override of this feature.
      const candidates = segmentsByName.get(name) ?? [];
      const id = candidates.find((candidate) => snapshot.segmentOverrides.some((o) => o.segmentId === candidate && o.featureName === featureName));
      return { kind: 'segment-override', segmentId: id ?? candidates[0] ?? null, segmentName: name };
    }
    const entry = featureByName.get(featureName);
    const split = entry?.feature.kind === 'MULTIVARIATE' && entry.feature.options.length > 0;
    const bucket = split && entry.state ? hashedPercentage([entry.state.hashKey, identityKey]) : undefined;
    const weight = SPLIT_REASON.exec(engineReason);
    if (weight && bucket !== undefined) return { kind: 'split', bucket, variant, weight: Number(weight[1]) };
    return bucket === undefined ? { kind: 'default' } : { kind: 'default', bucket };
  };

  return {
    identifier,
    stored: identity !== undefined,
    traits,
    segments: snapshot.segments
      .filter((segment) => (segment.tenantKey ? segment.tenantKey === tenantId : true) && matchedNames.has(segment.name))
      .map(({ id, name }) => ({ id, name })),
    flags: Object.values(result.flags)
      .map((flag) => ({
        featureName: flag.name,
        enabled: flag.enabled,
        value: (flag.value ?? null) as JsonValue,
        variant: flag.variant ?? null,
        reason: reasonOf(flag.name, flag.reason, flag.variant ?? null),
        engineReason: flag.reason,
      }))
      .sort((a, b) => a.featureName.localeCompare(b.featureName)),
  };
}
