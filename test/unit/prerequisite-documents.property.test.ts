/**
 * Property: for any environment (features with prerequisite chains on values and variants,
 * multivariate splits, nested segment rules, segment and tenant overrides by priority), the
 * unmodified flagsmith-nodejs SDK evaluating our environment document offline serves every
 * identity what our engine serves, for every feature the compilation did not warn about.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { Flagsmith, LocalFileHandler } from 'flagsmith-nodejs';
import { afterAll, describe, expect, it } from 'vitest';
import type { SegmentRule } from '../../functions/engine/index.js';
import type { Environment, Feature, FeatureState, Organisation, Project, Segment, SegmentOverride, TenantOverride } from '../../functions/domain/entities.js';
import { snapshotOf } from '../../functions/domain/environment-snapshot.js';
import { environmentDocument } from '../../functions/domain/flagsmith-document.js';
import { compilePrerequisiteGates } from '../../functions/domain/prerequisite-documents.js';
import { stableUuid } from '../../functions/domain/use-cases/support.js';

const dir = mkdtempSync(join(tmpdir(), 'vexilla-prerequisites-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AT = '2026-01-01T00:00:00.000Z';
const stamped = { createdAt: AT, updatedAt: AT, version: 1 };
const VALUES = ['a', 'b', 'c'];
const scope = { orgId: 'org', projectId: 'prj' };
const organisation: Organisation = { type: 'organisation', id: 'org', name: 'Org', ...stamped };
const project: Project = { type: 'project', id: 'prj', orgId: 'org', name: 'Project', tenantTraitKey: 'tenant', ...stamped };
const environment: Environment = { type: 'environment', id: 'env', ...scope, name: 'production', hashKey: 'env-key', ...stamped };

const condition = fc.oneof(
  fc.record({ operator: fc.constant('EQUAL' as const), property: fc.constant('plan'), value: fc.constantFrom('free', 'pro') }),
  fc.record({ operator: fc.constant('IN' as const), property: fc.constant('country'), value: fc.constantFrom('FR,DE', 'US') }),
  fc.record({ operator: fc.constant('GREATER_THAN' as const), property: fc.constant('age'), value: fc.constantFrom('20', '40') }),
  fc.record({ operator: fc.constant('IS_SET' as const), property: fc.constant('plan') }),
);
const rule: fc.Arbitrary<SegmentRule> = fc.record({
  type: fc.constantFrom('ALL' as const, 'ANY' as const, 'NONE' as const),
  conditions: fc.array(condition, { minLength: 1, maxLength: 2 }),
  rules: fc.array(fc.record({ type: fc.constantFrom('ALL' as const, 'ANY' as const), conditions: fc.array(condition, { minLength: 1, maxLength: 2 }) }), { maxLength: 1 }),
});
/** Now and then a percentage split: the compilation must warn about what it cannot express. */
const segmentRules: fc.Arbitrary<SegmentRule[]> = fc.oneof(
  { weight: 5, arbitrary: fc.array(rule, { minLength: 1, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.constant([{ type: 'ALL', conditions: [{ operator: 'PERCENTAGE_SPLIT', value: '40' }] }] as SegmentRule[]) },
);

const world = fc
  .record({
    features: fc.array(
      fc.record({
        multivariate: fc.boolean(),
        enabled: fc.boolean(),
        value: fc.constantFrom(...VALUES),
        weights: fc.constantFrom([0, 0], [50, 20], [100, 0], [0, 100], [30, 30]),
        requires: fc.array(fc.record({ pick: fc.nat(), on: fc.constantFrom('on', 'value', 'variant'), value: fc.constantFrom(...VALUES), option: fc.nat(1) }), { maxLength: 2 }),
      }),
      { minLength: 2, maxLength: 6 },
    ),
    segments: fc.array(segmentRules, { maxLength: 3 }),
    overrides: fc.array(fc.record({ feature: fc.nat(), segment: fc.nat(), enabled: fc.boolean(), value: fc.constantFrom(...VALUES), priority: fc.nat(3) }), { maxLength: 6 }),
    tenants: fc.array(fc.record({ feature: fc.nat(), tenant: fc.constantFrom('acme', 'globex'), enabled: fc.boolean(), value: fc.constantFrom(...VALUES) }), { maxLength: 2 }),
  })
  .map(({ features: specs, segments: segmentSpecs, overrides: overrideSpecs, tenants: tenantSpecs }) => {
    const features: Feature[] = specs.map((spec, i) => ({
      type: 'feature',
      id: `ftr_${i}`,
      numericId: 100 + 10 * i,
      ...scope,
      name: `f${i}`,
      kind: spec.multivariate ? 'MULTIVARIATE' : 'STANDARD',
      valueType: 'string',
      defaultEnabled: spec.enabled,
      initialValue: spec.value,
      options: spec.multivariate ? ['x', 'y'].map((value, o) => ({ id: `opt_${i}_${o}`, numericId: 101 + 10 * i + o, value: `${value}${i}`, defaultWeight: 0 })) : [],
      tags: [],
      description: '',
      owner: null,
      ...stamped,
    }));
    // Only earlier features are required: no cycles (which the API refuses anyway).
    specs.forEach((spec, i) => {
      const prerequisites = i === 0 ? [] : [...new Map(spec.requires.map((r) => [r.pick % i, r])).values()].map((r) => {
        const required = features[r.pick % i] as Feature;
        if (r.on === 'variant' && required.kind === 'MULTIVARIATE') return { featureName: required.name, variant: required.options[r.option]?.id as string };
        return r.on === 'value' ? { featureName: required.name, value: r.value } : { featureName: required.name };
      });
      if (prerequisites.length) (features[i] as Feature).prerequisites = prerequisites;
    });
    const stored: FeatureState[] = specs.map((spec, i) => {
      const feature = features[i] as Feature;
      return {
        type: 'feature-state',
        ...scope,
        envId: 'env',
        featureId: feature.id,
        featureName: feature.name,
        enabled: spec.enabled,
        value: spec.value,
        weights: Object.fromEntries(feature.options.map((option, o) => [option.id, spec.weights[o] as number])),
        hashKey: stableUuid(`state:${i}`),
        updatedBy: 'test',
        ...stamped,
      };
    });
    const segments: Segment[] = segmentSpecs.map((rules, s) => ({ type: 'segment', id: `seg_${s}`, numericId: 10 + s, hashKey: String(10 + s), ...scope, name: `segment ${s}`, description: '', rules, tenantKey: null, ...stamped }));
    const seen = new Set<string>();
    const segmentOverrides: SegmentOverride[] = segments.length === 0 ? [] : overrideSpecs.flatMap((spec) => {
      const feature = features[spec.feature % features.length] as Feature;
      const segment = segments[spec.segment % segments.length] as Segment;
      if (seen.has(`${feature.id}:${segment.id}`)) return [];
      seen.add(`${feature.id}:${segment.id}`);
      return [{ type: 'segment-override', ...scope, envId: 'env', featureId: feature.id, featureName: feature.name, segmentId: segment.id, priority: spec.priority, enabled: spec.enabled, value: spec.value, hashKey: stableUuid(`so:${feature.id}:${segment.id}`), ...stamped }];
    });
    const tenantOverrides: TenantOverride[] = [...new Map(tenantSpecs.map((spec) => [`${spec.feature % features.length}:${spec.tenant}`, spec])).values()].map((spec) => {
      const feature = features[spec.feature % features.length] as Feature;
      return { type: 'tenant-override', ...scope, envId: 'env', featureId: feature.id, featureName: feature.name, tenantId: spec.tenant, enabled: spec.enabled, value: spec.value, ...stamped };
    });
    return snapshotOf({ organisation, project, environment, features, stored, segments, segmentOverrides, tenantOverrides });
  });

const identity = fc.record({
  identifier: fc.string({ minLength: 1, maxLength: 8 }),
  traits: fc.record({ plan: fc.constantFrom('free', 'pro'), country: fc.constantFrom('FR', 'US', 'JP'), age: fc.integer({ min: 10, max: 60 }), tenant: fc.constantFrom('acme', 'globex', 'initech') }, { requiredKeys: [] }),
});

let run = 0;
/** What the runs covered, so the property cannot pass vacuously. */
const seen = { compared: 0, gates: 0, alwaysOff: 0, restored: 0, warned: 0, servedOff: 0 };

describe('prerequisites compiled into Flagsmith-format documents', () => {
  it('flagsmith-nodejs serves what our engine serves, for every feature without a warning', async () => {
    await fc.assert(
      fc.asyncProperty(world, fc.array(identity, { minLength: 5, maxLength: 20 }), async (snapshot, identities) => {
        const file = join(dir, `document-${run++}.json`);
        writeFileSync(file, JSON.stringify(environmentDocument(snapshot)));
        const flagsmith = new Flagsmith({ offlineMode: true, offlineHandler: new LocalFileHandler(file) });
        const compiled = compilePrerequisiteGates(snapshot.parts);
        const inexact = compiled.warnings;
        seen.gates += compiled.gates.filter((gate) => gate.failRule && gate.failRule.rules?.length).length;
        seen.alwaysOff += compiled.gates.filter((gate) => gate.alwaysOff).length;
        seen.restored += compiled.gates.filter((gate) => gate.metRule).length;
        seen.warned += inexact.size;
        try {
          for (const { identifier, traits } of identities) {
            const ours = snapshot.evaluator.evaluate({ identifier, traits }).flags;
            const theirs = await flagsmith.getIdentityFlags(identifier, traits);
            for (const feature of snapshot.features) {
              if (inexact.has(feature.name)) continue;
              if (feature.prerequisites) seen.compared++;
              if (ours[feature.name]?.reason.startsWith('PREREQUISITE_FAILED')) seen.servedOff++;
              const flag = theirs.getFlag(feature.name);
              expect({ identifier, traits, feature: feature.name, enabled: flag.enabled, value: flag.value ?? null }).toEqual({
                identifier,
                traits,
                feature: feature.name,
                enabled: ours[feature.name]?.enabled,
                value: ours[feature.name]?.value ?? null,
              });
            }
          }
        } finally {
          await flagsmith.close();
        }
      }),
      { numRuns: 150 },
    );
    for (const [what, count] of Object.entries(seen)) expect(count, what).toBeGreaterThan(10);
  });
});
