/**
 * Templates: named sets of feature values ("enterprise" = {sso: on, max_seats: 500}) defined
 * once per project and valued per environment, applying to the tenants assigned to them
 * (`Tenant.templates`) and to those whose traits satisfy their rule. A template's values in one
 * environment are one item: changing them changes every tenant it applies to in one audited,
 * evented write, governed like feature states (in environments that require approvals, the
 * write opens a change request; applying it once approved writes the change).
 */
import type * as z from 'zod';
import type { ChangeRequest, Environment, Project, Template, TemplateValue, TemplateValues } from '../entities.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { LIMITS } from '../limits.js';
import type * as schemas from '../schemas.js';
import { documentGrowth, ensureDocumentRoom, ensureProjectDocumentRoom } from './document-budget.js';
import { changeRequestWrites, newChangeRequest } from './change-requests.js';
import { commitDirectWrite, directWriteRefusal } from './governance.js';
import { proposeTemplateValues, resolveTemplateValues, templateValuesWrites } from './template-values.js';
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
  const room = await ensureProjectDocumentRoom(deps, project, documentGrowth([key, body.rules], current ? { value: [key, current.rules] } : null));
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
      ...room,
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
 * Where the environment requires approvals nothing is written: a change request is opened
 * instead (showing each feature's old → new value and how many tenants it reaches), and
 * applying it once approved writes the same change.
 */
export async function putTemplateValues(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  project: Project,
  key: string,
  body: z.infer<typeof schemas.putTemplateValuesBody>,
): Promise<{ applied: TemplateValues } | { changeRequest: ChangeRequest }> {
  const template = await getTemplate(deps, project, key);
  const current = await deps.store.get({ type: 'template-values', envId: environment.id, templateKey: key });
  expectVersion(current?.version ?? 0, body.version, `The values of template ${key}`);
  const values = await resolveTemplateValues(deps, project, body.values);
  const room = await ensureDocumentRoom(deps, environment, documentGrowth(values, current ? { value: current.values } : null));
  if (directWriteRefusal(environment)) return { changeRequest: await openTemplateChangeRequest(deps, actor, environment, project, template, current, values) };
  const { next, writes } = templateValuesWrites(deps, actor, environment, key, current, values);
  await commitDirectWrite(deps, environment, [...writes, ...room], async () => new Conflict(`The values of template ${key} changed meanwhile: reload and try again.`));
  return { applied: next };
}

/** Opens the change request that replaces a template's values in a governed environment. */
async function openTemplateChangeRequest(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  project: Project,
  template: Template,
  current: TemplateValues | undefined,
  values: Record<string, TemplateValue>,
): Promise<ChangeRequest> {
  const change = await proposeTemplateValues(deps, project, template, current, values);
  // Generated text stays within what people may write (the change itself carries every detail).
  const clip = (text: string, chars: number) => (text.length > chars ? `${text.slice(0, chars - 1)}…` : text);
  const request = newChangeRequest(deps, actor, environment, {
    title: clip(`Template ${template.name} in ${environment.name}: ${change.features.length} feature value(s)`, LIMITS.nameChars),
    description: clip(
      `Changes ${change.features.map((f) => f.featureName).join(', ') || 'no feature value'} for the ${change.tenants} tenant(s) template ${template.key} applies to.`,
      LIMITS.changeRequestDescriptionChars,
    ),
    changes: [change],
  });
  await commitOrConflict(deps, changeRequestWrites(deps, actor, null, request, 'created'), async () => new Conflict('That change request already exists.'));
  return request;
}
