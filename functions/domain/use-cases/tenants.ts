/**
 * Tenants: the customer's customers, keyed by the value identities carry in the project's tenant
 * trait (`tenantTraitKey`), with traits (plan, region, seats, ...) that segment conditions read
 * as `tenant.<trait>`. Versioned, audited and evented like every other entity.
 */
import type * as z from 'zod';
import { type SegmentRule, tenantTraitOf } from '../../engine/index.js';
import type { Project, Tenant } from '../entities.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { utf8Bytes } from '../limits.js';
import type { Page } from '../ports.js';
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

/** Creates a tenant or replaces its name and traits (`version` guards against lost updates; 0: create only). */
export async function putTenant(deps: Deps, actor: Actor, project: Project, key: string, body: z.infer<typeof schemas.putTenantBody>): Promise<Tenant> {
  const current = await deps.store.get({ type: 'tenant', projectId: project.id, key });
  const expected = expectVersion(current?.version ?? 0, body.version, `Tenant ${key}`);
  // Omitted: the assignments stay (a trait update from billing leaves them alone).
  const templates = body.templates ?? current?.templates ?? [];
  if (body.templates) await checkTemplates(deps, project, body.templates);
  // New traits or templates may put the tenant in more IN lists (an upper bound; refused with 413 only when the documents are that full).
  const moved = !current || JSON.stringify(current.traits) !== JSON.stringify(body.traits) || JSON.stringify(current.templates ?? []) !== JSON.stringify(templates);
  if (moved) await ensureProjectDocumentRoom(deps, project, await documentGrowthOfTenant(deps, project, key, templates.length));
  const at = isoNow(deps);
  const tenant: Tenant = {
    type: 'tenant',
    orgId: project.orgId,
    projectId: project.id,
    key,
    name: body.name ?? current?.name ?? key,
    traits: body.traits,
    ...(templates.length ? { templates } : {}),
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
    version: expected + 1,
  };
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: tenant, expect: current ? expected : 'absent' },
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
    ],
    async () => new Conflict(`Tenant ${key} changed meanwhile: reload and try again.`, { currentVersion: (await deps.store.get({ type: 'tenant', projectId: project.id, key }))?.version ?? 0 }),
  );
  return tenant;
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
