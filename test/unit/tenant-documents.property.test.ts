/**
 * Property: for any tenants with traits, segments whose rules read them (`tenant.<trait>`, every
 * operator, nested rules) with overrides by priority, and tenant overrides, the unmodified
 * flagsmith-nodejs SDK evaluating our environment document offline (local evaluation) serves
 * every identity what our engine serves remotely, flag by flag.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Flagsmith, LocalFileHandler } from 'flagsmith-nodejs';
import { afterAll, describe, expect, it } from 'vitest';
import type { SegmentCondition, SegmentRule } from '../../functions/engine/index.js';
import type { Environment, Feature, FeatureState, Organisation, Project, Segment, SegmentOverride, Tenant, TenantOverride } from '../../functions/domain/entities.js';
import { snapshotOf } from '../../functions/domain/environment-snapshot.js';
import { environmentDocument } from '../../functions/domain/flagsmith-document.js';
import { stableUuid } from '../../functions/domain/use-cases/support.js';

const dir = mkdtempSync(join(tmpdir(), 'vexilla-tenant-documents-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AT = '2026-01-01T00:00:00.000Z';
const stamped = { createdAt: AT, updatedAt: AT, version: 1 };
const scope = { orgId: 'org', projectId: 'prj' };
const organisation: Organisation = { type: 'organisation', id: 'org', name: 'Org', ...stamped };
const project: Project = { type: 'project', id: 'prj', orgId: 'org', name: 'Project', tenantTraitKey: 'company', ...stamped };
const environment: Environment = { type: 'environment', id: 'env', ...scope, name: 'production', hashKey: 'env-key', ...stamped };
const KEYS = ['acme', 'globex', 'initech', '42'];
const PLANS = ['free', 'pro', 'enterprise'];

const condition: fc.Arbitrary<SegmentCondition> = fc.oneof(
  fc.record({ operator: fc.constantFrom('EQUAL' as const, 'NOT_EQUAL' as const), property: fc.constant('tenant.plan'), value: fc.constantFrom(...PLANS) }),
  fc.record({ operator: fc.constantFrom('GREATER_THAN_INCLUSIVE' as const, 'LESS_THAN' as const), property: fc.constant('tenant.seats'), value: fc.constantFrom('10', '50') }),
  fc.record({ operator: fc.constantFrom('IS_SET' as const, 'IS_NOT_SET' as const), property: fc.constantFrom('tenant.plan', 'tenant.region') }),
  fc.record({ operator: fc.constant('IN' as const), property: fc.constant('tenant.region'), value: fc.constantFrom('eu', 'eu,us') }),
  fc.record({ operator: fc.constant('REGEX' as const), property: fc.constant('tenant.plan'), value: fc.constant('^(pro|enterprise)$') }),
  fc.record({ operator: fc.constant('PERCENTAGE_SPLIT' as const), property: fc.constant('tenant.region'), value: fc.constantFrom('40', '80') }),
  fc.record({ operator: fc.constant('EQUAL' as const), property: fc.constant('role'), value: fc.constantFrom('admin', 'user') }),
);
const rule: fc.Arbitrary<SegmentRule> = fc.record({
  type: fc.constantFrom('ALL' as const, 'ANY' as const, 'NONE' as const),
  conditions: fc.array(condition, { minLength: 1, maxLength: 3 }),
  rules: fc.array(fc.record({ type: fc.constantFrom('ALL' as const, 'ANY' as const, 'NONE' as const), conditions: fc.array(condition, { minLength: 1, maxLength: 2 }) }), { maxLength: 2 }),
});

const world = fc
  .record({
    tenants: fc.dictionary(fc.constantFrom(...KEYS), fc.record({ plan: fc.constantFrom(...PLANS), seats: fc.integer({ min: 0, max: 100 }), region: fc.constantFrom('eu', 'us') }, { requiredKeys: [] }), { maxKeys: 4 }),
    features: fc.array(fc.record({ enabled: fc.boolean(), value: fc.constantFrom('a', 'b') }), { minLength: 1, maxLength: 4 }),
    segments: fc.array(fc.array(rule, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 3 }),
    overrides: fc.array(fc.record({ feature: fc.nat(), segment: fc.nat(), enabled: fc.boolean(), value: fc.constantFrom('x', 'y'), priority: fc.nat(3) }), { minLength: 1, maxLength: 6 }),
    tenantOverrides: fc.array(fc.record({ feature: fc.nat(), tenant: fc.constantFrom(...KEYS), value: fc.constantFrom('t1', 't2') }), { maxLength: 2 }),
  })
  .map((spec) => {
    const features: Feature[] = spec.features.map((f, i) => ({
      type: 'feature', id: `ftr_${i}`, numericId: 100 + i, ...scope, name: `f${i}`, kind: 'STANDARD', valueType: 'string', defaultEnabled: f.enabled, initialValue: f.value, options: [], tags: [], description: '', owner: null, ...stamped,
    }));
    const stored: FeatureState[] = features.map((feature, i) => ({
      type: 'feature-state', ...scope, envId: 'env', featureId: feature.id, featureName: feature.name, enabled: spec.features[i]?.enabled ?? true, value: spec.features[i]?.value ?? 'a', weights: {}, hashKey: stableUuid(`state:${i}`), updatedBy: 'test', ...stamped,
    }));
    const segments: Segment[] = spec.segments.map((rules, s) => ({ type: 'segment', id: `seg_${s}`, numericId: 10 + s, hashKey: String(10 + s), ...scope, name: `segment ${s}`, description: '', rules, tenantKey: null, ...stamped }));
    const segmentOverrides: SegmentOverride[] = [...new Map(spec.overrides.map((o) => [`${o.feature % features.length}:${o.segment % segments.length}`, o])).values()].map((o) => {
      const feature = features[o.feature % features.length] as Feature;
      const segment = segments[o.segment % segments.length] as Segment;
      return { type: 'segment-override', ...scope, envId: 'env', featureId: feature.id, featureName: feature.name, segmentId: segment.id, priority: o.priority, enabled: o.enabled, value: o.value, hashKey: stableUuid(`so:${feature.id}:${segment.id}`), ...stamped };
    });
    const tenantOverrides: TenantOverride[] = [...new Map(spec.tenantOverrides.map((o) => [`${o.feature % features.length}:${o.tenant}`, o])).values()].map((o) => {
      const feature = features[o.feature % features.length] as Feature;
      return { type: 'tenant-override', ...scope, envId: 'env', featureId: feature.id, featureName: feature.name, tenantId: o.tenant, enabled: true, value: o.value, ...stamped };
    });
    const tenants: Tenant[] = Object.entries(spec.tenants).map(([key, traits]) => ({ type: 'tenant', ...scope, key, name: key, traits, ...stamped }));
    return snapshotOf({ organisation, project, environment, features, stored, segments, segmentOverrides, tenantOverrides, tenants });
  });

const identity = fc.record({
  identifier: fc.string({ minLength: 1, maxLength: 8 }),
  traits: fc.record({ company: fc.oneof(fc.constantFrom(...KEYS, 'unknown'), fc.constant(42)), role: fc.constantFrom('admin', 'user'), 'tenant.plan': fc.constantFrom(...PLANS) }, { requiredKeys: [] }),
});

let run = 0;
const seen = { compared: 0, bySegment: 0, byDefault: 0 };

describe('tenant traits compiled into Flagsmith-format documents', () => {
  it('flagsmith-nodejs, evaluating locally, serves every identity what remote evaluation serves', async () => {
    await fc.assert(
      fc.asyncProperty(world, fc.array(identity, { minLength: 5, maxLength: 15 }), async (snapshot, identities) => {
        const file = join(dir, `document-${run++}.json`);
        writeFileSync(file, JSON.stringify(environmentDocument(snapshot)));
        const flagsmith = new Flagsmith({ offlineMode: true, offlineHandler: new LocalFileHandler(file) });
        try {
          for (const { identifier, traits } of identities) {
            const ours = snapshot.evaluator.evaluate({ identifier, traits }).flags;
            const theirs = await flagsmith.getIdentityFlags(identifier, traits);
            for (const feature of snapshot.features) {
              const flag = theirs.getFlag(feature.name);
              const mine = ours[feature.name];
              seen.compared++;
              if (mine?.reason.includes('segment=segment')) seen.bySegment++;
              if (mine?.reason === 'DEFAULT') seen.byDefault++;
              expect({ identifier, traits, feature: feature.name, enabled: flag.enabled, value: flag.value ?? null }).toEqual({ identifier, traits, feature: feature.name, enabled: mine?.enabled, value: mine?.value ?? null });
            }
          }
        } finally {
          await flagsmith.close();
        }
      }),
      { numRuns: 150 },
    );
    // Segments reading tenant traits decided many flags, and so did the default: not vacuous.
    expect(seen.bySegment).toBeGreaterThan(200);
    expect(seen.byDefault).toBeGreaterThan(200);
  });
});
