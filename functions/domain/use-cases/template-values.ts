/**
 * A template's values in one environment, as one change: validated, written (item, version
 * record and `feature-state.changed` event), proposed for approval where the environment is
 * governed, and planned against what is live when an approved change request applies. Both the
 * direct route and change requests write through {@link templateValuesWrites}.
 */
import { createEvaluator } from '../../engine/index.js';
import type { Environment, Project, Template, TemplateFeatureChange, TemplateValue, TemplateValues, TemplateValuesChange, TemplateValuesConflict } from '../entities.js';
import { Invalid } from '../errors.js';
import { canonicalJson } from '../flagsmith-document.js';
import type { Write } from '../ports.js';
import type { JsonValue } from '../entities.js';
import { documentGrowth } from './document-budget.js';
import { overrideValueProblems } from './targeting.js';
import { type Actor, type Deps, eventWrite, isoNow } from './support.js';

/** Resolves the values people send (a value left out: the feature's initial value); 422 naming each unknown feature or invalid value. */
export async function resolveTemplateValues(deps: Deps, project: Project, input: Record<string, { enabled: boolean; value?: JsonValue | undefined }>): Promise<Record<string, TemplateValue>> {
  const values: Record<string, TemplateValue> = {};
  const problems: { path: string; message: string }[] = [];
  for (const [name, entry] of Object.entries(input)) {
    const feature = await deps.store.get({ type: 'feature', projectId: project.id, name });
    if (!feature) {
      problems.push({ path: `values.${name}`, message: `no feature ${name} in this project` });
      continue;
    }
    const value = entry.value === undefined ? feature.initialValue : entry.value;
    problems.push(...overrideValueProblems(feature, value, `values.${name}.value`));
    values[name] = { enabled: entry.enabled, value };
  }
  if (problems.length) throw new Invalid('The template values are not valid.', problems);
  return values;
}

/** The writes that replace the values (conditional on the version read), with their event. */
export function templateValuesWrites(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  templateKey: string,
  current: TemplateValues | undefined,
  values: Record<string, TemplateValue>,
): { next: TemplateValues; writes: Write[] } {
  const at = isoNow(deps);
  const next: TemplateValues = {
    type: 'template-values',
    orgId: environment.orgId,
    projectId: environment.projectId,
    envId: environment.id,
    templateKey,
    values,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
    version: (current?.version ?? 0) + 1,
  };
  return {
    next,
    writes: [
      { kind: 'put', entity: next, expect: current ? current.version : 'absent' },
      eventWrite(deps, actor, {
        detailType: 'feature-state.changed',
        action: current ? 'updated' : 'created',
        orgId: environment.orgId,
        projectId: environment.projectId,
        envId: environment.id,
        subject: { kind: 'template-values', templateKey },
        before: current ?? null,
        after: next,
        version: next.version,
      }),
    ],
  };
}

// Key order is not content (DynamoDB does not keep a map's order): compare canonical JSON.
const same = (a: TemplateValue | undefined, b: TemplateValue | undefined): boolean => canonicalJson(a ?? null) === canonicalJson(b ?? null);

/** Per feature whose entry differs, old → new (null: absent), by feature name. */
export function templateFeatureChanges(before: Record<string, TemplateValue>, after: Record<string, TemplateValue>): TemplateFeatureChange[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.filter((name) => !same(before[name], after[name])).map((name) => ({ featureName: name, before: before[name] ?? null, after: after[name] ?? null }));
}

/**
 * How many of the project's tenants a template applies to: those assigned to it and those whose
 * traits satisfy its rule, judged by the engine that serves them (one evaluation per tenant).
 */
export async function tenantsOfTemplate(deps: Deps, project: Project, template: Template): Promise<number> {
  const tenants = await deps.store.listAll({ of: 'tenants', projectId: project.id });
  const assigned = tenants.filter((tenant) => tenant.templates?.includes(template.key));
  if (!template.rules.length) return assigned.length;
  const probe = { key: 'probe', name: 'probe', enabled: false, value: null };
  const evaluator = createEvaluator({
    environment: { key: 'template-reach', name: 'template-reach' },
    features: { probe },
    tenants: {
      traitKey: project.tenantTraitKey,
      overrides: {},
      traits: Object.fromEntries(tenants.map((tenant) => [tenant.key, tenant.traits])),
      templates: [{ key: template.key, rules: template.rules, overrides: [{ ...probe, enabled: true }] }],
    },
  });
  const reached = tenants.filter(
    (tenant) => tenant.templates?.includes(template.key) || evaluator.evaluate({ identifier: 'template-reach', traits: { [project.tenantTraitKey]: tenant.key } }).flags['probe']?.enabled === true,
  );
  return reached.length;
}

/** The change that replaces a template's values in the environment, proposed against what is live (for a change request). */
export async function proposeTemplateValues(
  deps: Deps,
  project: Project,
  template: Template,
  current: TemplateValues | undefined,
  values: Record<string, TemplateValue>,
): Promise<TemplateValuesChange> {
  return {
    target: 'template-values',
    templateKey: template.key,
    templateName: template.name,
    expectedVersion: current?.version ?? 0,
    content: values,
    features: templateFeatureChanges(current?.values ?? {}, values),
    tenants: await tenantsOfTemplate(deps, project, template),
  };
}

/**
 * Plans an approved template change: its writes and document growth, or the diff when the values
 * moved since it was proposed (or the template is gone): never overwritten silently.
 */
export async function planTemplateValuesChange(
  deps: Deps,
  actor: Actor,
  environment: Environment,
  change: TemplateValuesChange,
): Promise<{ writes: Write[]; growth: number } | { conflict: TemplateValuesConflict }> {
  const diff = { templateKey: change.templateKey, expectedVersion: change.expectedVersion, proposed: change.content };
  const template = await deps.store.get({ type: 'template', projectId: environment.projectId, key: change.templateKey });
  if (!template) return { conflict: { ...diff, currentVersion: null, current: null } };
  const current = await deps.store.get({ type: 'template-values', envId: environment.id, templateKey: change.templateKey });
  const version = current?.version ?? 0;
  if (version !== change.expectedVersion) return { conflict: { ...diff, currentVersion: version, current: current?.values ?? null } };
  const { writes } = templateValuesWrites(deps, actor, environment, change.templateKey, current, change.content);
  return { writes, growth: documentGrowth(change.content, current ? { value: current.values } : null) };
}
