/**
 * Property: for any project with tenants (traits, assigned templates), tenant overrides,
 * tenant-scoped segments, templates (assigned or by a tenant-trait rule, in rank order),
 * project segments, and tenant-scoped features, three evaluations agree identity by identity:
 * our engine natively (remote evaluation, OFREP), the unmodified flagsmith-nodejs evaluating
 * our Flagsmith-format document offline (values), and our SDK's local mode evaluating the same
 * document (values and reasons: the step of the order that decided).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Flagsmith, LocalFileHandler } from 'flagsmith-nodejs';
import { afterAll, describe, expect, it } from 'vitest';
import type { SegmentCondition, SegmentRule } from '../../functions/engine/index.js';
import { createEvaluator } from '../../functions/engine/index.js';
import type {
  Environment,
  Feature,
  FeatureState,
  Organisation,
  Project,
  Segment,
  SegmentOverride,
  Template,
  TemplateValues,
  Tenant,
  TenantOverride,
} from '../../functions/domain/entities.js';
import { identityTenant, onlyTenantOf, snapshotOf } from '../../functions/domain/environment-snapshot.js';
import { environmentDocument } from '../../functions/domain/flagsmith-document.js';
import { stableUuid } from '../../functions/domain/use-cases/support.js';
import { fromDocument } from '../../sdk/document.js';

const dir = mkdtempSync(join(tmpdir(), 'vexilla-tenant-cascade-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AT = '2026-01-01T00:00:00.000Z';
const stamped = { createdAt: AT, updatedAt: AT, version: 1 };
const scope = { orgId: 'org', projectId: 'prj' };
const organisation: Organisation = { type: 'organisation', id: 'org', name: 'Org', ...stamped };
const project: Project = { type: 'project', id: 'prj', orgId: 'org', name: 'Project', tenantTraitKey: 'company', ...stamped };
const environment: Environment = { type: 'environment', id: 'env', ...scope, name: 'production', hashKey: 'env-key', ...stamped };
const KEYS = ['acme', 'globex', 'initech', '42'];
const PLANS = ['free', 'pro', 'enterprise'];
const TEMPLATE_KEYS = ['enterprise', 'pro', 'eu'];

const tenantCondition: fc.Arbitrary<SegmentCondition> = fc.oneof(
  fc.record({ operator: fc.constantFrom('EQUAL' as const, 'NOT_EQUAL' as const), property: fc.constant('tenant.plan'), value: fc.constantFrom(...PLANS) }),
  fc.record({ operator: fc.constantFrom('GREATER_THAN_INCLUSIVE' as const, 'LESS_THAN' as const), property: fc.constant('tenant.seats'), value: fc.constantFrom('10', '50') }),
  fc.record({ operator: fc.constantFrom('IS_SET' as const, 'IS_NOT_SET' as const), property: fc.constantFrom('tenant.plan', 'tenant.region') }),
);
const identityCondition: fc.Arbitrary<SegmentCondition> = fc.oneof(
  fc.record({ operator: fc.constant('EQUAL' as const), property: fc.constant('role'), value: fc.constantFrom('admin', 'user') }),
  fc.record({ operator: fc.constant('PERCENTAGE_SPLIT' as const), value: fc.constantFrom('30', '70') }),
);
const rule = (condition: fc.Arbitrary<SegmentCondition>): fc.Arbitrary<SegmentRule> =>
  fc.record({ type: fc.constantFrom('ALL' as const, 'ANY' as const, 'NONE' as const), conditions: fc.array(condition, { minLength: 1, maxLength: 2 }) });

const featureValue = fc.record({ feature: fc.nat(), enabled: fc.boolean(), value: fc.constantFrom('x', 'y', 'z') });

const world = fc
  .record({
    tenants: fc.dictionary(
      fc.constantFrom(...KEYS),
      fc.record({
        traits: fc.record({ plan: fc.constantFrom(...PLANS), seats: fc.integer({ min: 0, max: 100 }), region: fc.constantFrom('eu', 'us') }, { requiredKeys: [] }),
        templates: fc.subarray(TEMPLATE_KEYS),
      }),
      { maxKeys: 4 },
    ),
    features: fc.array(fc.record({ enabled: fc.boolean(), value: fc.constantFrom('a', 'b'), tenants: fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.subarray(KEYS, { minLength: 1 }), weight: 1 }) }), { minLength: 1, maxLength: 4 }),
    segments: fc.array(
      fc.record({ rules: fc.array(rule(fc.oneof(identityCondition, tenantCondition)), { minLength: 1, maxLength: 2 }), tenantKey: fc.option(fc.constantFrom(...KEYS), { freq: 3 }) }),
      { minLength: 1, maxLength: 4 },
    ),
    overrides: fc.array(fc.record({ feature: fc.nat(), segment: fc.nat(), enabled: fc.boolean(), value: fc.constantFrom('x', 'y'), priority: fc.nat(3) }), { maxLength: 8 }),
    tenantOverrides: fc.array(fc.record({ feature: fc.nat(), tenant: fc.constantFrom(...KEYS), value: fc.constantFrom('t1', 't2') }), { maxLength: 3 }),
    templates: fc.array(
      fc.record({ key: fc.constantFrom(...TEMPLATE_KEYS), rank: fc.nat(2), rules: fc.array(rule(tenantCondition), { maxLength: 1 }), values: fc.array(featureValue, { maxLength: 3 }) }),
      { maxLength: 3 },
    ),
  })
  .map((spec) => {
    const features: Feature[] = spec.features.map((f, i) => ({
      type: 'feature', id: `ftr_${i}`, numericId: 100 + i, ...scope, name: `f${i}`, kind: 'STANDARD', valueType: 'string', defaultEnabled: f.enabled, initialValue: f.value, options: [], tags: [], description: '', owner: null,
      ...(f.tenants ? { tenants: f.tenants } : {}), ...stamped,
    }));
    const pick = (n: number) => features[n % features.length] as Feature;
    const stored: FeatureState[] = features.map((feature, i) => ({
      type: 'feature-state', ...scope, envId: 'env', featureId: feature.id, featureName: feature.name, enabled: spec.features[i]?.enabled ?? true, value: spec.features[i]?.value ?? 'a', weights: {}, hashKey: stableUuid(`state:${i}`), updatedBy: 'test', ...stamped,
    }));
    const segments: Segment[] = spec.segments.map((s, i) => ({ type: 'segment', id: `seg_${i}`, numericId: 10 + i, hashKey: String(10 + i), ...scope, name: `segment ${i}`, description: '', rules: s.rules, tenantKey: s.tenantKey, ...stamped }));
    const segmentOverrides: SegmentOverride[] = [...new Map(spec.overrides.map((o) => [`${o.feature % features.length}:${o.segment % segments.length}`, o])).values()].map((o) => {
      const feature = pick(o.feature);
      const segment = segments[o.segment % segments.length] as Segment;
      return { type: 'segment-override', ...scope, envId: 'env', featureId: feature.id, featureName: feature.name, segmentId: segment.id, priority: o.priority, enabled: o.enabled, value: o.value, hashKey: stableUuid(`so:${feature.id}:${segment.id}`), ...stamped };
    });
    const tenantOverrides: TenantOverride[] = [...new Map(spec.tenantOverrides.map((o) => [`${o.feature % features.length}:${o.tenant}`, o])).values()].map((o) => {
      const feature = pick(o.feature);
      return { type: 'tenant-override', ...scope, envId: 'env', featureId: feature.id, featureName: feature.name, tenantId: o.tenant, enabled: true, value: o.value, ...stamped };
    });
    const templateSpecs = [...new Map(spec.templates.map((t) => [t.key, t])).values()];
    const templates: Template[] = templateSpecs.map((t) => ({ type: 'template', ...scope, key: t.key, name: t.key, description: '', rank: t.rank, rules: t.rules, ...stamped }));
    const templateValues: TemplateValues[] = templateSpecs.map((t) => ({
      type: 'template-values', ...scope, envId: 'env', templateKey: t.key,
      values: Object.fromEntries(t.values.map((v) => [pick(v.feature).name, { enabled: v.enabled, value: v.value }])), ...stamped,
    }));
    const tenants: Tenant[] = Object.entries(spec.tenants).map(([key, t]) => ({ type: 'tenant', ...scope, key, name: key, traits: t.traits, ...(t.templates.length ? { templates: t.templates } : {}), ...stamped }));
    return snapshotOf({ organisation, project, environment, features, stored, segments, segmentOverrides, tenantOverrides, tenants, templates, templateValues });
  });

const identity = fc.record({
  identifier: fc.string({ minLength: 1, maxLength: 8 }),
  traits: fc.record({ company: fc.oneof({ arbitrary: fc.constantFrom(...KEYS), weight: 4 }, fc.constantFrom('unknown', 42)), role: fc.constantFrom('admin', 'user') }, { requiredKeys: ['company'] }),
});

let run = 0;
const decidedBy = new Map<string, number>();
const step = (reason: string) => reason.replace(/[:;].*$/, '');

describe('the tenant cascade compiled into Flagsmith-format documents', () => {
  it('flagsmith-nodejs (values) and our SDK in local mode (values and reasons) serve every identity what remote evaluation serves', async () => {
    await fc.assert(
      fc.asyncProperty(world, fc.array(identity, { minLength: 5, maxLength: 12 }), async (snapshot, identities) => {
        const document = environmentDocument(snapshot);
        const file = join(dir, `document-${run++}.json`);
        writeFileSync(file, JSON.stringify(document));
        const local = createEvaluator(fromDocument(JSON.parse(JSON.stringify(document))).parts);
        const flagsmith = new Flagsmith({ offlineMode: true, offlineHandler: new LocalFileHandler(file) });
        try {
          // Without an identity (environment flags), tenant-scoped features are off in both.
          const environmentFlags = await flagsmith.getEnvironmentFlags();
          const ownEnvironment = snapshot.evaluator.evaluate(null).flags;
          for (const feature of snapshot.features.filter((f) => f.tenants)) {
            const flag = environmentFlags.getFlag(feature.name);
            expect({ feature: feature.name, enabled: flag.enabled, value: flag.value ?? null }).toEqual({ feature: feature.name, enabled: ownEnvironment[feature.name]?.enabled, value: ownEnvironment[feature.name]?.value ?? null });
          }
          // What the sdk-api evaluates with: the snapshot without tenants, and the identity's own tenant read alone.
          const { organisation, project, environment, features, states, segments, segmentOverrides, tenantOverrides, templates, templateValues } = snapshot;
          const withoutTenants = snapshotOf({ organisation, project, environment, features, stored: states, segments, segmentOverrides, tenantOverrides, templates, templateValues, tenantScope: 'own' });
          for (const { identifier, traits } of identities) {
            const ours = snapshot.evaluator.evaluate({ identifier, traits }).flags;
            const tenant = await identityTenant(withoutTenants, { identifier, traits }, async (key) => snapshot.tenants.find((t) => t.key === key));
            expect({ identifier, traits, flags: withoutTenants.evaluator.evaluate({ identifier, traits }, undefined, tenant).flags }).toEqual({ identifier, traits, flags: ours });
            const sdk = local.evaluate({ identifier, traits }).flags;
            const theirs = await flagsmith.getIdentityFlags(identifier, traits);
            for (const feature of snapshot.features) {
              const flag = theirs.getFlag(feature.name);
              const mine = ours[feature.name];
              decidedBy.set(step(mine?.reason ?? ''), (decidedBy.get(step(mine?.reason ?? '')) ?? 0) + 1);
              const expected = { identifier, traits, feature: feature.name, enabled: mine?.enabled, value: mine?.value ?? null };
              expect({ identifier, traits, feature: feature.name, enabled: flag.enabled, value: flag.value ?? null }).toEqual(expected);
              expect({ ...expected, reason: sdk[feature.name]?.reason }).toEqual({ ...expected, reason: mine?.reason });
            }
          }
        } finally {
          await flagsmith.close();
        }
      }),
      { numRuns: 150 },
    );
    // Every step of the order decided flags: not vacuous.
    for (const reason of ['TENANT_OVERRIDE', 'TENANT_SEGMENT', 'TEMPLATE', 'TARGETING_MATCH', 'TENANT_SCOPED', 'DEFAULT']) {
      expect(decidedBy.get(reason) ?? 0, `${reason}: ${JSON.stringify([...decidedBy])}`).toBeGreaterThan(30);
    }
  });
});

describe("one tenant's document (a tenant-scoped server key)", () => {
  it("serves the tenant's identities what remote evaluation serves, another tenant's identities what one naming no known tenant gets, and names no other tenant", async () => {
    let compared = 0;
    await fc.assert(
      fc.asyncProperty(world, fc.constantFrom(...KEYS), fc.array(identity, { minLength: 4, maxLength: 10 }), async (snapshot, only, identities) => {
        const { organisation, project, environment, features, states, segments, segmentOverrides, tenantOverrides, tenants, templates, templateValues } = snapshot;
        const entities = { organisation, project, environment, features, stored: states, segments, segmentOverrides, tenantOverrides, tenants, templates, templateValues };
        const document = environmentDocument(snapshotOf(onlyTenantOf(entities, only)));
        const json = JSON.stringify(document);
        for (const other of KEYS.filter((key) => key !== only && /^[a-z]+$/.test(key))) expect(json, other).not.toContain(other);
        const file = join(dir, `tenant-document-${run++}.json`);
        writeFileSync(file, json);
        const flagsmith = new Flagsmith({ offlineMode: true, offlineHandler: new LocalFileHandler(file) });
        try {
          for (const { identifier, traits } of identities) {
            // The tenant's own identities: exact; any other: as naming a tenant that does not exist.
            const own = String(traits.company) === only;
            const expectedTraits = own ? traits : { ...traits, company: 'no-such-tenant' };
            const ours = snapshot.evaluator.evaluate({ identifier, traits: expectedTraits }).flags;
            const theirs = await flagsmith.getIdentityFlags(identifier, traits);
            for (const feature of snapshot.features) {
              const flag = theirs.getFlag(feature.name);
              const expected = { identifier, traits, feature: feature.name, enabled: ours[feature.name]?.enabled, value: ours[feature.name]?.value ?? null };
              expect({ identifier, traits, feature: feature.name, enabled: flag.enabled, value: flag.value ?? null }).toEqual(expected);
              if (own) compared++;
            }
          }
        } finally {
          await flagsmith.close();
        }
      }),
      { numRuns: 100 },
    );
    expect(compared).toBeGreaterThan(200);
  });
});
