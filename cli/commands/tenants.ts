/** Tenants: the customer's customers, with the traits segment conditions read as `tenant.<trait>`. */
import type { Command } from 'commander';
import { family, leaf, projectOption, run, yesOption } from '../command.js';
import { parseValue, table } from '../context.js';
import { UsageError } from '../errors.js';

interface Tenant {
  key: string;
  name: string;
  traits: Record<string, unknown>;
  version: number;
}

const traitsText = (traits: Record<string, unknown>) => Object.entries(traits).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ') || 'no traits';

export function tenantCommands(program: Command): void {
  const tenants = family(program, 'tenants', "Tenants (your customers) and their traits, which segments read as tenant.<trait>", ['tenant']);
  leaf(tenants, 'list', 'List tenants by key', ['listTenants'])
    .addOption(projectOption())
    .option('--search <text>', 'only tenants whose key or name contains this (any case)')
    .option('--limit <n>', 'how many', '100')
    .action(
      run(async (ctx, options: { project?: string; search?: string; limit: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const query = { limit: options.limit, ...(options.search ? { search: options.search } : {}) };
        const page = await (await ctx.api()).call<{ items: Tenant[]; cursor?: string }>('listTenants', { projectId: project.id }, { query });
        ctx.print(options.json, page, () => table(page.items.map((t) => ({ key: t.key, name: t.name, traits: traitsText(t.traits) })), ['key', 'name', 'traits']) + (page.cursor ? '\n(more: raise --limit)' : ''));
      }),
    );
  leaf(tenants, 'get <key>', "Show a tenant's name and traits", ['getTenant'])
    .addOption(projectOption())
    .action(
      run(async (ctx, key: string, options: { project?: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const tenant = await (await ctx.api()).call<Tenant>('getTenant', { projectId: project.id, tenantKey: key });
        ctx.print(options.json, tenant, () => `${tenant.key} (${tenant.name}): ${traitsText(tenant.traits)}`);
      }),
    );
  leaf(tenants, 'set <key> [key=value...]', 'Create a tenant or replace its traits (values as JSON, or strings)', ['putTenant'])
    .addOption(projectOption())
    .option('--name <name>', 'its name (default: the key, or the current name)')
    .option('--templates <keys>', 'assign these templates (comma-separated keys; "" for none); omitted: unchanged')
    .action(
      run(async (ctx, key: string, pairs: string[], options: { project?: string; name?: string; templates?: string; json?: boolean }) => {
        const traits: Record<string, unknown> = {};
        for (const pair of pairs) {
          const at = pair.indexOf('=');
          if (at < 1) throw new UsageError(`Expected key=value, got "${pair}".`);
          traits[pair.slice(0, at)] = parseValue(pair.slice(at + 1));
        }
        const project = await ctx.project(options.project);
        const tenant = await (await ctx.api()).call<Tenant>('putTenant', { projectId: project.id, tenantKey: key }, {
          body: {
            traits,
            ...(options.name ? { name: options.name } : {}),
            ...(options.templates !== undefined ? { templates: options.templates.split(',').map((t) => t.trim()).filter(Boolean) } : {}),
          },
        });
        ctx.print(options.json, tenant, () => `${tenant.key} (${tenant.name}, version ${tenant.version}): ${traitsText(tenant.traits)}`);
      }),
    );
  leaf(tenants, 'delete <key>', 'Delete a tenant (its traits stop applying; tenant overrides stay)', ['deleteTenant'])
    .addOption(projectOption())
    .addOption(yesOption())
    .action(
      run(async (ctx, key: string, options: { project?: string; yes?: boolean; json?: boolean }) => {
        const project = await ctx.project(options.project);
        await ctx.confirm(options.yes, `Delete tenant ${key}`);
        await (await ctx.api()).call('deleteTenant', { projectId: project.id, tenantKey: key });
        ctx.print(options.json, { deleted: key }, () => `Deleted tenant ${key}.`);
      }),
    );
}
