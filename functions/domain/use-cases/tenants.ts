/**
 * Tenants: the customer's customers, keyed by the value identities carry in the project's tenant
 * trait (`tenantTraitKey`), with traits (plan, region, seats, ...) that segment conditions read
 * as `tenant.<trait>`. Versioned, audited and evented like every other entity.
 */
import type * as z from 'zod';
import { type SegmentRule, tenantTraitOf } from '../../engine/index.js';
import type { TraitValue } from '../../engine/index.js';
import type { Project, Tenant, TenantChangeTimes } from '../entities.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { LIMITS, utf8Bytes } from '../limits.js';
import type { Page } from '../ports.js';
import { tenantTraitsSchema } from '../schemas.js';
import type * as schemas from '../schemas.js';
import { ensureProjectDocumentRoom } from './document-budget.js';
import { type Actor, commitOrConflict, type Deps, eventWrite, expectVersion, isoNow } from './support.js';

export async function getTenant(deps: Deps, project: Project, key: string): Promise<Tenant> {
  const tenant = await deps.store.get({ type: 'tenant', projectId: project.id, key });
  if (!tenant) throw new NotFound(`No tenant ${key} in this project.`);
  return tenant;
}

/** Tenants by key; `search` narrows to keys or names containing it, in any case. */
export const listTenants = (deps: Deps, project: Project, query: z.infer<typeof schemas.listTenantsQuery>): Promise<Page<Tenant>> =>
  deps.store.list({ of: 'tenants', projectId: project.id, search: query.search }, { limit: query.limit, cursor: query.cursor });

/**
 * At most what a tenant's traits add to each environment document: its key in the IN list of
 * every condition on a tenant trait (a comma and the key each; nothing when no segment reads one).
 */
async function documentGrowthOfTenant(deps: Deps, project: Project, key: string, assigned: number): Promise<number> {
  const [segments, templates] = await Promise.all([deps.store.listAll({ of: 'segments', projectId: project.id }), deps.store.listAll({ of: 'templates', projectId: project.id })]);
  const conditions = [...segments, ...templates].reduce((sum, rules) => sum + tenantConditionCount(rules.rules, project.tenantTraitKey), 0);
  // Each assigned template lists the key in its IN condition too.
  return (conditions + assigned) * (utf8Bytes(key) + 1);
}

/** Refuses assignments of templates the project does not have (422, naming each). */
async function checkTemplates(deps: Deps, project: Project, keys: readonly string[]): Promise<void> {
  const known = new Set((await deps.store.listAll({ of: 'templates', projectId: project.id })).map((template) => template.key));
  const problems = keys.flatMap((key, i) => (known.has(key) ? [] : [{ path: `templates.${i}`, message: `no template ${key} in this project` }]));
  if (problems.length) throw new Invalid('The tenant is not valid.', problems);
}

const tenantConditionCount = (rules: readonly SegmentRule[], traitKey: string): number =>
  rules.reduce(
    (sum, rule) => sum + (rule.conditions ?? []).filter((c) => c.property !== traitKey && tenantTraitOf(c.property) !== undefined).length + tenantConditionCount(rule.rules ?? [], traitKey),
    0,
  );

/** A tenant's name, traits and change times after a change. */
interface TenantFields {
  name: string;
  traits: Record<string, TraitValue>;
  changedAt: TenantChangeTimes;
  /** Assigned templates; absent: the current ones stay. */
  templates?: string[] | undefined;
}

const sameTraits = (a: Record<string, TraitValue>, b: Record<string, TraitValue>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([trait, value]) => Object.hasOwn(b, trait) && b[trait] === value);

/** Keeps the times of live traits, and of removed ones only the newest `traitsPerTenant`. Pure. */
function pruneTimes(times: Map<string, string>, traits: Record<string, TraitValue>): Record<string, string> {
  const removed = [...times].filter(([trait]) => !Object.hasOwn(traits, trait)).sort((a, b) => Date.parse(b[1]) - Date.parse(a[1]));
  const dropped = new Set(removed.slice(LIMITS.traitsPerTenant).map(([trait]) => trait));
  return Object.fromEntries([...times].filter(([trait]) => !dropped.has(trait)));
}

/** The times of an API write: every trait set, changed or removed and a changed name take `at`. Pure. */
function stampWrite(current: Tenant | undefined, name: string, traits: Record<string, TraitValue>, at: string): TenantChangeTimes {
  const times = new Map(Object.entries(current?.changedAt?.traits ?? {}));
  const before = current?.traits ?? {};
  for (const trait of new Set([...Object.keys(before), ...Object.keys(traits)])) {
    if (Object.hasOwn(before, trait) !== Object.hasOwn(traits, trait) || before[trait] !== traits[trait]) times.set(trait, at);
  }
  const nameAt = !current || current.name !== name ? at : current.changedAt?.name;
  return { ...(nameAt !== undefined ? { name: nameAt } : {}), traits: pruneTimes(times, traits) };
}

/**
 * Writes a tenant with its `tenant.changed` event (conditional on the version it replaces),
 * refusing first (413) traits that could put its key in more IN lists than the documents hold.
 */
async function writeTenant(deps: Deps, actor: Actor, project: Project, key: string, current: Tenant | undefined, fields: TenantFields): Promise<Tenant> {
  const templates = fields.templates ?? current?.templates ?? [];
  // New traits or templates may put the tenant in more IN lists (an upper bound; refused with 413 only when the documents are that full).
  const moved = !current || !sameTraits(current.traits, fields.traits) || JSON.stringify(current.templates ?? []) !== JSON.stringify(templates);
  const room = moved ? await ensureProjectDocumentRoom(deps, project, await documentGrowthOfTenant(deps, project, key, templates.length)) : [];
  const at = isoNow(deps);
  const tenant: Tenant = {
    type: 'tenant',
    orgId: project.orgId,
    projectId: project.id,
    key,
    name: fields.name,
    traits: fields.traits,
    changedAt: fields.changedAt,
    ...(templates.length ? { templates } : {}),
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
    version: (current?.version ?? 0) + 1,
  };
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: tenant, expect: current ? current.version : 'absent' },
      eventWrite(deps, actor, {
        detailType: 'tenant.changed',
        action: current ? 'updated' : 'created',
        orgId: project.orgId,
        projectId: project.id,
        subject: { kind: 'tenant', tenantKey: key },
        before: current ?? null,
        after: tenant,
        version: tenant.version,
      }),
      ...room,
    ],
    async () => new Conflict(`Tenant ${key} changed meanwhile: reload and try again.`, { currentVersion: (await deps.store.get({ type: 'tenant', projectId: project.id, key }))?.version ?? 0 }),
  );
  return tenant;
}

/** Creates a tenant or replaces its name and traits (`version` guards against lost updates; 0: create only). */
export async function putTenant(deps: Deps, actor: Actor, project: Project, key: string, body: z.infer<typeof schemas.putTenantBody>): Promise<Tenant> {
  const current = await deps.store.get({ type: 'tenant', projectId: project.id, key });
  const expected = expectVersion(current?.version ?? 0, body.version, `Tenant ${key}`);
  const base = current && { ...current, version: expected };
  const name = body.name ?? current?.name ?? key;
  // Omitted: the assignments stay (a trait update from billing leaves them alone).
  if (body.templates) await checkTemplates(deps, project, body.templates);
  return writeTenant(deps, actor, project, key, base, { name, traits: body.traits, templates: body.templates, changedAt: stampWrite(current, name, body.traits, isoNow(deps)) });
}

/** A tenant-update event's changes (the `detail` less its envelope fields). */
export interface TenantUpdate {
  projectId: string;
  tenantKey: string;
  name?: string | undefined;
  /** Merged into the tenant's traits: a value sets, null removes, absent traits stay. */
  traits?: Record<string, TraitValue> | undefined;
}

/** Who sent a tenant-update event, and when it happened (the ordering time). */
export interface TenantUpdateOrigin {
  /** The event's `source` (the customer's system, e.g. `acme.billing`). */
  source: string;
  /** The AWS account that put the event. */
  account: string;
  /** The EventBridge event's id. */
  eventId: string;
  /** When the change happened: the detail's `occurredAt`, else the event's `time`. */
  occurredAt: string;
}

export interface MergedTenantUpdate extends TenantFields {
  /** Whether the name or a trait changes (else only times move, or nothing). */
  changed: boolean;
  /** Whether any time moves (else the update changes nothing at all: a redelivery, or all stale). */
  timesMoved: boolean;
  /** What the update names but a newer change already set: left as they are. */
  stale: string[];
}

/**
 * An update merged into a tenant, field by field: each field it names applies unless a newer
 * change set or removed it (last writer wins by the time of the change, not of arrival, as
 * EventBridge does not keep order; a tie applies). Pure.
 */
export function mergeTenantUpdate(current: Tenant | undefined, update: TenantUpdate, occurredAt: string): MergedTenantUpdate {
  const when = Date.parse(occurredAt);
  const newer = (recorded: string | undefined) => recorded === undefined || when >= Date.parse(recorded);
  const times = new Map(Object.entries(current?.changedAt?.traits ?? {}));
  const traits = new Map(Object.entries(current?.traits ?? {}));
  const stale: string[] = [];
  let changed = !current;
  let timesMoved = !current;
  const move = (recorded: string | undefined) => {
    if (recorded !== occurredAt) timesMoved = true;
  };
  let name = current?.name ?? update.name ?? update.tenantKey;
  let nameAt = current?.changedAt?.name;
  if (update.name !== undefined) {
    if (!newer(nameAt)) stale.push('name');
    else {
      changed ||= name !== update.name;
      move(nameAt);
      name = update.name;
      nameAt = occurredAt;
    }
  }
  for (const [trait, value] of Object.entries(update.traits ?? {})) {
    if (!newer(times.get(trait))) {
      stale.push(`traits.${trait}`);
      continue;
    }
    changed ||= value === null ? traits.has(trait) : traits.get(trait) !== value;
    move(times.get(trait));
    if (value === null) traits.delete(trait);
    else traits.set(trait, value);
    times.set(trait, occurredAt);
  }
  const merged = Object.fromEntries(traits);
  return { name, traits: merged, changedAt: { ...(nameAt !== undefined ? { name: nameAt } : {}), traits: pruneTimes(times, merged) }, changed, timesMoved, stale };
}

export type TenantUpdateOutcome = { outcome: 'applied' | 'unchanged'; tenant: Tenant; stale: string[] };

/** The actor of a tenant-update event: its sender (source and account), never a person or token. */
export const eventActor = (project: Project, origin: TenantUpdateOrigin): Actor => ({
  id: `event:${origin.source}@${origin.account}`,
  name: `${origin.source} (EventBridge, account ${origin.account})`,
  orgId: project.orgId,
  roles: {},
  type: 'event',
  subject: origin.eventId,
});

/**
 * Applies a tenant-update event (e.g. a billing system's plan change): creates the tenant when
 * absent and merges the name and traits it names, each unless a newer change set it. Idempotent:
 * a redelivery writes nothing; a change that only moves times (the same value, sent again later)
 * records them without an event, so no audit record or webhook says nothing changed. A
 * concurrent change is merged again (three tries, then the Conflict goes back to the caller).
 */
export async function applyTenantUpdate(deps: Deps, update: TenantUpdate, origin: TenantUpdateOrigin): Promise<TenantUpdateOutcome> {
  const project = await deps.store.get({ type: 'project', id: update.projectId });
  if (!project) throw new NotFound(`No project ${update.projectId}.`);
  for (let attempt = 1; ; attempt++) {
    const current = await deps.store.get({ type: 'tenant', projectId: project.id, key: update.tenantKey });
    const merged = mergeTenantUpdate(current, update, origin.occurredAt);
    try {
      if (merged.changed) {
        const problems = tenantTraitsSchema.safeParse(merged.traits);
        if (!problems.success) throw new Invalid('The tenant would not be valid after this update.', problems.error.issues.map((issue) => ({ path: 'traits', message: issue.message })));
        return { outcome: 'applied', tenant: await writeTenant(deps, eventActor(project, origin), project, update.tenantKey, current, merged), stale: merged.stale };
      }
      if (current && merged.timesMoved) {
        // Only the times move: the tenant as it is, at the same version, still conditional on it.
        const tenant: Tenant = { ...current, changedAt: merged.changedAt };
        await commitOrConflict(deps, [{ kind: 'put', entity: tenant, expect: current.version }], async () => new Conflict(`Tenant ${update.tenantKey} changed meanwhile.`));
        return { outcome: 'unchanged', tenant, stale: merged.stale };
      }
      return { outcome: 'unchanged', tenant: current!, stale: merged.stale };
    } catch (error) {
      if (!(error instanceof Conflict) || attempt >= 3) throw error;
    }
  }
}

/**
 * Deletes a tenant: its traits stop applying at once (conditions on them no longer match its
 * identities). Tenant overrides name tenants by the trait value alone, so they stay.
 */
export async function deleteTenant(deps: Deps, actor: Actor, project: Project, key: string): Promise<void> {
  const tenant = await getTenant(deps, project, key);
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'tenant', projectId: project.id, key }, expect: tenant.version },
      eventWrite(deps, actor, {
        detailType: 'tenant.changed',
        action: 'deleted',
        orgId: project.orgId,
        projectId: project.id,
        subject: { kind: 'tenant', tenantKey: key },
        before: tenant,
        after: null,
      }),
    ],
    async () => new Conflict(`Tenant ${key} changed meanwhile: reload and try again.`),
  );
}
