/**
 * tenant.update semantics, pure: the rule routes the customer's events (any source but Vexilla's)
 * to the tenant-updater, and merging is order-independent — whatever order EventBridge delivers a
 * set of updates in, redeliveries included, the tenant ends as if they had arrived in time order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tenant } from '../../functions/domain/entities.js';
import { mergeTenantUpdate, type TenantUpdate } from '../../functions/domain/use-cases/tenants.js';
import { eventPattern, inboundRules, matchingConsumers, TENANT_UPDATE_DETAIL_TYPE } from '../../functions/events/rules.js';
import { tenantUpdateDetail } from '../../functions/events/tenant-updates.js';

describe('the tenant.update rule', () => {
  it("routes the customer's sources to the tenant-updater, and never Vexilla's own", () => {
    expect(matchingConsumers(TENANT_UPDATE_DETAIL_TYPE, inboundRules, 'acme.billing')).toEqual(['tenant-updater']);
    expect(matchingConsumers(TENANT_UPDATE_DETAIL_TYPE, inboundRules, 'vexilla')).toEqual([]);
    expect(matchingConsumers('tenant.changed', inboundRules, 'acme.billing')).toEqual([]);
    expect(eventPattern(inboundRules[0]!)).toEqual({ source: [{ 'anything-but': ['vexilla'] }], 'detail-type': ['tenant.update'] });
  });

  it('takes the limits of the tenants API', () => {
    const base = { version: 1, projectId: 'prj_1', tenantKey: 'acme' };
    expect(tenantUpdateDetail.safeParse({ ...base, traits: { plan: 'pro', trial: null } }).success).toBe(true);
    expect(tenantUpdateDetail.safeParse({ ...base, traits: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`t${i}`, i])) }).success).toBe(false);
    expect(tenantUpdateDetail.safeParse({ ...base, traits: { big: 'x'.repeat(2001) } }).success).toBe(false);
    expect(tenantUpdateDetail.safeParse({ ...base, tenantKey: '042' }).success).toBe(false);
    expect(tenantUpdateDetail.safeParse({ ...base, occurredAt: 'yesterday' }).success).toBe(false);
  });
});

interface Timed {
  update: TenantUpdate;
  at: string;
}

/** Applies updates in the given order, as the consumer would (a write only when something moves). */
function applyAll(updates: readonly Timed[]): Tenant | undefined {
  let tenant: Tenant | undefined;
  for (const { update, at } of updates) {
    const merged = mergeTenantUpdate(tenant, update, at);
    if (merged.changed || merged.timesMoved) {
      tenant = { type: 'tenant', orgId: 'o', projectId: 'p', key: 'acme', name: merged.name, traits: merged.traits, changedAt: merged.changedAt, createdAt: '', updatedAt: '', version: 0 };
    }
  }
  return tenant;
}

const traitName = fc.constantFrom('plan', 'seats', 'region', '__proto__', 'constructor');
const traitValue = fc.oneof(fc.constantFrom('free', 'pro', 'enterprise'), fc.integer({ min: 0, max: 5 }), fc.constant(null));
const update = fc.record(
  {
    name: fc.constantFrom('Acme', 'Acme Inc', 'ACME'),
    traits: fc.dictionary(traitName, traitValue, { maxKeys: 3 }),
  },
  { requiredKeys: [] },
);
// Distinct times (a tie is decided by arrival, so it is not order-independent, by design).
const updates = fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 8 }).chain((times) =>
  fc.tuple(...times.map((ms) => update.map((fields): Timed => ({ update: { projectId: 'p', tenantKey: 'acme', ...fields }, at: new Date(Date.UTC(2026, 0, 1) + ms).toISOString() })))),
);

describe('merging tenant updates', () => {
  it('ends the same whatever the delivery order, redeliveries included', () => {
    fc.assert(
      fc.property(updates, fc.infiniteStream(fc.nat()), (timed, seeds) => {
        const inTimeOrder = [...timed].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
        const shuffled = [...timed, ...timed.slice(0, 2)]
          .map((item) => ({ item, key: seeds.next().value as number }))
          .sort((a, b) => a.key - b.key)
          .map(({ item }) => item);
        const expected = applyAll(inTimeOrder);
        const actual = applyAll(shuffled);
        expect({ name: actual?.name, traits: actual?.traits }).toEqual({ name: expected?.name, traits: expected?.traits });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps trait names such as __proto__ as plain traits', () => {
    const merged = mergeTenantUpdate(undefined, { projectId: 'p', tenantKey: 'acme', traits: { ['__proto__']: 'pro', constructor: 1 } }, '2026-01-01T00:00:00.000Z');
    expect(Object.hasOwn(merged.traits, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(merged.traits)).toBe(Object.prototype);
    expect(merged.traits.constructor).toBe(1);
  });
});
