/** Templates: named sets of feature values per environment that apply to tenants by assignment or by a tenant-trait rule. */
import { Option, type Command } from 'commander';
import { environmentOption, family, leaf, projectOption, run, yesOption } from '../command.js';
import { parseValue, table } from '../context.js';
import { UsageError } from '../errors.js';
import { describeTemplateChange } from './governance.js';
import { rulesOf } from './targeting.js';

interface Template {
  key: string;
  name: string;
  description: string;
  rank: number;
  rules: unknown[];
  version: number;
}
interface TemplateValues {
  type: 'template-values';
  templateKey: string;
  values: Record<string, { enabled: boolean; value: unknown }>;
  version: number;
}

/** What the API answers where the environment requires approvals. */
interface OpenedRequest {
  type: 'change-request';
  id: string;
  title: string;
  changes: unknown[];
}

const valuesText = (values: TemplateValues['values']) =>
  Object.entries(values)
    .map(([name, v]) => `${name}=${v.enabled ? 'on' : 'off'}${v.value === null || v.value === undefined ? '' : `:${JSON.stringify(v.value)}`}`)
    .join(', ') || 'no values';

export function templateCommands(program: Command): void {
  const templates = family(program, 'templates', 'Templates: feature values for tenants by plan (assigned, or by a rule on tenant traits)', ['template']);
  leaf(templates, 'list', 'List templates in the order they apply', ['listTemplates'])
    .addOption(projectOption())
    .action(
      run(async (ctx, options: { project?: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const { items } = await (await ctx.api()).call<{ items: Template[] }>('listTemplates', { projectId: project.id });
        ctx.print(options.json, items, () => table(items.map((t) => ({ rank: t.rank, key: t.key, name: t.name, rule: t.rules.length ? JSON.stringify(t.rules) : '(assignment only)' })), ['rank', 'key', 'name', 'rule']));
      }),
    );
  leaf(templates, 'get <key>', "Show a template's rank and rule", ['getTemplate'])
    .addOption(projectOption())
    .action(
      run(async (ctx, key: string, options: { project?: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const template = await (await ctx.api()).call<Template>('getTemplate', { projectId: project.id, templateKey: key });
        ctx.print(options.json, template, () => `${template.key} (${template.name}), rank ${template.rank}${template.description ? `: ${template.description}` : ''}\n${JSON.stringify(template.rules, null, 2)}`);
      }),
    );
  leaf(templates, 'set <key>', 'Create a template or replace its name, rank and rule', ['putTemplate'])
    .addOption(projectOption())
    .option('--name <name>', 'its name (default: the key, or the current name)')
    .option('--description <text>', 'what it is for')
    .option('--rank <n>', 'templates apply in rank order, lower first', '0')
    .option('--rules <json|@file>', 'a rule on tenant traits, e.g. \'[{"type":"ALL","conditions":[{"operator":"EQUAL","property":"tenant.plan","value":"enterprise"}]}]\'')
    .action(
      run(async (ctx, key: string, options: { project?: string; name?: string; description?: string; rank: string; rules?: string; json?: boolean }) => {
        const rank = Number(options.rank);
        if (!Number.isInteger(rank)) throw new UsageError(`--rank must be a whole number, got "${options.rank}".`);
        const project = await ctx.project(options.project);
        const body = {
          rank,
          ...(options.name ? { name: options.name } : {}),
          ...(options.description ? { description: options.description } : {}),
          ...(options.rules ? { rules: await rulesOf(options.rules) } : {}),
        };
        const template = await (await ctx.api()).call<Template>('putTemplate', { projectId: project.id, templateKey: key }, { body });
        ctx.print(options.json, template, () => `Template ${template.key} (rank ${template.rank}, version ${template.version}).`);
      }),
    );
  leaf(templates, 'delete <key>', 'Delete a template and its values in every environment', ['deleteTemplate'])
    .addOption(projectOption())
    .addOption(yesOption())
    .action(
      run(async (ctx, key: string, options: { project?: string; yes?: boolean; json?: boolean }) => {
        const project = await ctx.project(options.project);
        await ctx.confirm(options.yes, `Delete template ${key}`);
        await (await ctx.api()).call('deleteTemplate', { projectId: project.id, templateKey: key });
        ctx.print(options.json, { deleted: key }, () => `Deleted template ${key}.`);
      }),
    );
  leaf(templates, 'values <key>', "A template's feature values in an environment", ['getTemplateValues'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .action(
      run(async (ctx, key: string, options: { environment: string; project?: string; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const values = await (await ctx.api()).call<TemplateValues>('getTemplateValues', { envId: env.id, templateKey: key });
        ctx.print(options.json, values, () => `${key} in ${options.environment}: ${valuesText(values.values)}`);
      }),
    );
  leaf(templates, 'set-values <key> [feature=on|off[:value]...]', "Replace a template's feature values in an environment (every tenant it applies to changes at once; where approvals are required, opens a change request)", ['putTemplateValues'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .addOption(new Option('--version <n>', 'the version this replaces (refused if it moved)'))
    .action(
      run(async (ctx, key: string, pairs: string[], options: { environment: string; project?: string; version?: string; json?: boolean }) => {
        const values: Record<string, { enabled: boolean; value?: unknown }> = {};
        for (const pair of pairs) {
          const match = /^([^=]+)=(on|off)(?::(.*))?$/s.exec(pair);
          if (!match) throw new UsageError(`Expected feature=on|off[:value], got "${pair}".`);
          const [, name, state, raw] = match;
          values[name as string] = { enabled: state === 'on', ...(raw !== undefined ? { value: parseValue(raw) } : {}) };
        }
        const env = await ctx.environment(options.environment, options.project);
        const body = { values, ...(options.version !== undefined ? { version: Number(options.version) } : {}) };
        const saved = await (await ctx.api()).call<TemplateValues | OpenedRequest>('putTemplateValues', { envId: env.id, templateKey: key }, { body });
        if (saved.type === 'change-request') {
          // Governed environment (the API answered 202): nothing changed yet; the request awaits approval.
          const change = saved.changes[0] as Parameters<typeof describeTemplateChange>[0];
          ctx.print(options.json, saved, () =>
            [
              `${options.environment} requires approvals: nothing changed yet. Opened change request ${saved.id} (${saved.title}):`,
              `  ${describeTemplateChange(change)}`,
              `Someone else approves it: vexilla change-requests approve ${saved.id} --environment ${options.environment}; then: vexilla change-requests apply ${saved.id} --environment ${options.environment}`,
            ].join('\n'),
          );
          return;
        }
        ctx.print(options.json, saved, () => `${key} in ${options.environment} (version ${saved.version}): ${valuesText(saved.values)}`);
      }),
    );
}
