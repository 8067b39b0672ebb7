/**
 * Templates: named sets of feature values ("enterprise" = {sso: on, max_seats: 500}) defined
 * once per project and valued per environment, applying to the tenants assigned to them
 * (`Tenant.templates`) and to those whose traits satisfy their rule. A template's values in one
 * environment are one item: changing them changes every tenant it applies to in one audited,
 * evented write, governed like feature states (environments that require approvals take it
 * through a change request only).
 */
import type * as z from 'zod';
import type { Environment, Project, Template, TemplateValue, TemplateValues } from '../entities.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import type * as schemas from '../schemas.js';
import { documentGrowth, ensureDocumentRoom, ensureProjectDocumentRoom } from './document-budget.js';
import { commitDirectWrite, refuseDirectWrites } from './governance.js';
import { overrideValueProblems } from './targeting.js';
import { type Actor, commitOrConflict, type Deps, eventWrite, expectVersion, isoNow } from './support.js';

export async function getTemplate(deps: Deps, project: Project, key: string): Promise<Template> {
  const template = await deps.store.get({ type: 'template', projectId: project.id, key });
  if (!template) throw new NotFound(`No template ${key} in this project.`);
  return template;
}

/** A project's templates in the order they apply (rank, then key). */
export async function listTemplates(deps: Deps, project: Project): Promise<{ items: Template[] }> {
  const templates = await deps.store.listAll({ of: 'templates', projectId: project.id });
  return { items: templates.sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}

/** Creates a template or replaces its definition (name, description, rank, rule). */
export async function putTemplate(deps: Deps, actor: Actor, project: Project, key: string, body: z.infer<typeof schemas.putTemplateBody>): Promise<Template> {
  const current = await deps.store.get({ type: 'template', projectId: project.id, key });
  const expected = expectVersion(current?.version ?? 0, body.version, `Template ${key}`);
  if (!current) {
    const count = (await deps.store.listAll({ of: 'templates', projectId: project.id })).length;
    if (count >= 100) throw new Invalid('A project has at most 100 templates.', [{ path: 'key', message: 'at most 100 templates' }]);
  }
  // The template is a segment in every document: its rule (compiled to IN lists), and its name.
  await ensureProjectDocumentRoom(deps, project, documentGrowth([key, body.rules], current ? { value: [key, current.rules] } : null));
  const at = isoNow(deps);
  const template: Template = {
    type: 'template',
    orgId: project.orgId,
    projectId: project.id,
    key,
    name: body.name ?? current?.name ?? key,
    description: body.description,
    rank: body.rank,
    rules: body.rules,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
    version: expected + 1,
  };
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: template, expect: current ? expected : 'absent' },
      eventWrite(deps, actor, {
        detailType: 'template.changed',
        action: current ? 'updated' : 'created',
        orgId: project.orgId,
        projectId: project.id,
        subject: { kind: 'template', templateKey: key },
        before: current ?? null,
        after: template,
        version: template.version,
      }),
    ],
    async () => new Conflict(`Template ${key} changed meanwhile: reload and try again.`, { currentVersion: (await deps.store.get({ type: 'template', projectId: project.id, key }))?.version ?? 0 }),
  );
  return template;
}

/**
 * Deletes a template and its values in every environment, in one commit: it stops applying at
 * once. Tenants' assignments of it are ignored from then on (and refused if assigned again).
 */
export async function deleteTemplate(deps: Deps, actor: Actor, project: Project, key: string): Promise<void> {
  const template = await getTemplate(deps, project, key);
  const environments = await deps.store.listAll({ of: 'environments', projectId: project.id });
  const values = (await Promise.all(environments.map((environment) => deps.store.get({ type: 'template-values', envId: environment.id, templateKey: key })))).filter(
    (item): item is TemplateValues => item !== undefined,
  );
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'template', projectId: project.id, key }, expect: template.version },
      ...values.map((item) => ({ kind: 'delete' as const, ref: { type: 'template-values' as const, envId: item.envId, templateKey: key }, expect: item.version })),
      eventWrite(deps, actor, { detailType: 'template.changed', action: 'deleted', orgId: project.orgId, projectId: project.id, subject: { kind: 'template', templateKey: key }, before: template, after: null }),
    ],
    async () => new Conflict(`Template ${key} changed meanwhile: reload and try again.`),
  );
}

/** A template's values in an environment (none yet: empty, version 0). */
export async function getTemplateValues(deps: Deps, environment: Environment, project: Project, key: string): Promise<Pick<TemplateValues, 'templateKey' | 'envId' | 'values' | 'version'>> {
  await getTemplate(deps, project, key);
  const stored = await deps.store.get({ type: 'template-values', envId: environment.id, templateKey: key });
  return { templateKey: key, envId: environment.id, values: stored?.values ?? {}, version: stored?.version ?? 0 };
}

/**
 * Replaces a template's values in an environment: one item, one `feature-state.changed` event
 * (subject kind `template-values`), so every tenant the template applies to changes at once.
 * Refused (409) where the environment requires approvals: change requests carry it there.
 */
export async function putTemplateValues(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  project: Project,
  key: string,
  body: z.infer<typeof schemas.putTemplateValuesBody>,
): Promise<TemplateValues> {
  await getTemplate(deps, project, key);
  refuseDirectWrites(environment);
  const current = await deps.store.get({ type: 'template-values', envId: environment.id, templateKey: key });
  const expected = expectVersion(current?.version ?? 0, body.version, `The values of template ${key}`);
  const values: Record<string, TemplateValue> = {};
  const problems: { path: string; message: string }[] = [];
  for (const [name, input] of Object.entries(body.values)) {
    const feature = await deps.store.get({ type: 'feature', projectId: project.id, name });
    if (!feature) {
      problems.push({ path: `values.${name}`, message: `no feature ${name} in this project` });
      continue;
    }
    const value = input.value === undefined ? feature.initialValue : input.value;
    problems.push(...overrideValueProblems(feature, value, `values.${name}.value`));
    values[name] = { enabled: input.enabled, value };
  }
  if (problems.length) throw new Invalid('The template values are not valid.', problems);
  await ensureDocumentRoom(deps, environment, documentGrowth(values, current ? { value: current.values } : null));
  const at = isoNow(deps);
  const next: TemplateValues = {
    type: 'template-values',
    orgId: environment.orgId,
    projectId: environment.projectId,
    envId: environment.id,
    templateKey: key,
    values,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
    version: expected + 1,
  };
  await commitDirectWrite(deps, environment, [
    { kind: 'put', entity: next, expect: current ? expected : 'absent' },
    eventWrite(deps, actor, {
      detailType: 'feature-state.changed',
      action: current ? 'updated' : 'created',
      orgId: environment.orgId,
      projectId: environment.projectId,
      envId: environment.id,
      subject: { kind: 'template-values', templateKey: key },
      before: current ?? null,
      after: next,
      version: next.version,
    }),
  ], async () => new Conflict(`The values of template ${key} changed meanwhile: reload and try again.`));
  return next;
}
