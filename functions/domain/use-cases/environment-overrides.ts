/**
 * Every override of an environment in one answer, so a dashboard can mark the flags that have
 * any (and list a feature's identity overrides) without a request per feature.
 */
import type { Environment, IdentityOverride, SegmentOverride, TenantOverride } from '../entities.js';
import type { Deps } from './support.js';

export interface EnvironmentOverrides {
  segmentOverrides: SegmentOverride[];
  tenantOverrides: TenantOverride[];
  identityOverrides: IdentityOverride[];
}

/** The environment's overrides, of one feature when `featureName` is given; segment overrides by priority. */
export async function listEnvironmentOverrides(deps: Deps, environment: Environment, featureName?: string): Promise<EnvironmentOverrides> {
  const [segments, tenants, identities] = await Promise.all([
    deps.store.listAll({ of: 'segment-overrides', envId: environment.id }),
    deps.store.listAll({ of: 'tenant-overrides', envId: environment.id }),
    deps.store.listAll({ of: 'environment-identity-overrides', envId: environment.id }),
  ]);
  const wanted = <T extends { featureName: string }>(items: T[]) => (featureName === undefined ? items : items.filter((item) => item.featureName === featureName));
  return {
    segmentOverrides: wanted(segments).sort((a, b) => a.priority - b.priority),
    tenantOverrides: wanted(tenants),
    identityOverrides: wanted(identities),
  };
}
