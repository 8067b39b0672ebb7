/**
 * Many identities and identity overrides (and features), written straight to the table as the identity and
 * override PUTs store them (the product's own write builders), 100 items per transaction: for
 * tests about what reads do with many of them (paging, documents, deletion). Through the API,
 * each costs a read and a transaction of its own (minutes for a thousand on a busy machine);
 * the PUTs themselves are tested through the API elsewhere. No change events are written.
 */
import type { Environment, Feature, IdentityOverride, JsonValue, Project, Tenant } from '../../functions/domain/entities.js';
import { identityWrite, nextIdentity, retentionOf } from '../../functions/domain/identities.js';
import type { Write } from '../../functions/domain/ports.js';
import { allocateNumbers, type Deps, newId } from '../../functions/domain/use-cases/support.js';

export interface SeededIdentity {
  identifier: string;
  traits?: Record<string, string | number | boolean>;
  /** Overrides by feature: the feature's id and name, and the override's value. */
  overrides?: { featureId: string; featureName: string; enabled: boolean; value: JsonValue }[];
}

/** The writes storing these identities (new: each write expects the item absent). */
export function identityWrites(deps: Deps, environment: Environment, identities: SeededIdentity[]): Write[] {
  const retention = retentionOf(deps);
  const at = retention.now.toISOString();
  return identities.flatMap(({ identifier, traits = {}, overrides = [] }) => [
    identityWrite(
      { ...nextIdentity(environment, identifier, undefined, traits, at), ...(overrides.length > 0 ? { hasOverrides: true } : {}) },
      retention.idleSeconds,
      'absent',
    ),
    ...overrides.map(
      (override): Write => ({
        kind: 'put',
        entity: {
          type: 'identity-override',
          orgId: environment.orgId,
          projectId: environment.projectId,
          envId: environment.id,
          identifier,
          ...override,
          version: 1,
          createdAt: at,
          updatedAt: at,
        } satisfies IdentityOverride,
        expect: 'absent',
      }),
    ),
  ]);
}

/** Stores the identities and their overrides, 100 writes per transaction, a few transactions at once. */
export async function seedIdentities(deps: Deps, environment: Environment, identities: SeededIdentity[]): Promise<void> {
  const writes = identityWrites(deps, environment, identities);
  const batches = Array.from({ length: Math.ceil(writes.length / 100) }, (_, i) => writes.slice(i * 100, i * 100 + 100));
  for (let i = 0; i < batches.length; i += 4) await Promise.all(batches.slice(i, i + 4).map((batch) => deps.store.commit(batch)));
}

/**
 * Standard string features, stored as a feature creation stores them (the feature item, with a
 * Flagsmith id from the project's counter; no event), 100 per transaction. Creating each through
 * the API checks the document budget of every environment: O(n²) reads for n features.
 */
export async function seedFeatures(deps: Deps, project: Project, names: string[], { initialValue = 'x', defaultEnabled = false } = {}): Promise<Feature[]> {
  const first = await allocateNumbers(deps, names.length);
  const at = deps.clock().toISOString();
  const features = names.map(
    (name, i): Feature => ({
      type: 'feature', id: newId('ftr'), numericId: first + i, orgId: project.orgId, projectId: project.id, name,
      kind: 'STANDARD', valueType: 'string', defaultEnabled, initialValue, options: [], tags: [], description: '', owner: null,
      createdAt: at, updatedAt: at, version: 1,
    }),
  );
  for (let i = 0; i < features.length; i += 100) await deps.store.commit(features.slice(i, i + 100).map((entity): Write => ({ kind: 'put', entity, expect: 'absent' })));
  return features;
}

/**
 * New tenants stored as a tenant PUT stores them (no event, no document-room check: only to be
 * listed), 100 per transaction.
 */
export async function seedTenants(deps: Deps, project: Project, keys: string[], traits: Tenant['traits']): Promise<Tenant[]> {
  const at = deps.clock().toISOString();
  const tenants = keys.map(
    (key): Tenant => ({
      type: 'tenant', orgId: project.orgId, projectId: project.id, key, name: key, traits,
      changedAt: { name: at, traits: Object.fromEntries(Object.keys(traits).map((trait) => [trait, at])) },
      createdAt: at, updatedAt: at, version: 1,
    }),
  );
  for (let i = 0; i < tenants.length; i += 100) await deps.store.commit(tenants.slice(i, i + 100).map((entity): Write => ({ kind: 'put', entity, expect: 'absent' })));
  return tenants;
}
