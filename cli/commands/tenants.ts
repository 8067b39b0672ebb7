/** Tenants: the customer's customers, with the traits segment conditions read as `tenant.<trait>`. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { environmentOption, family, leaf, projectOption, run, yesOption } from '../command.js';
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
  tenantSelfServiceCommands(tenants);
}

interface TenantKey {
  id: string;
  name: string;
  jwksUrl?: string;
  issuer: string;
  audience: string;
  algorithms: string[];
  maxLifetimeSeconds: number;
  allowedOrigins: string[];
}

/** Text, or the content of the file it names with a leading @ (PEM files, JSON schemas). */
const textOrFile = (value: string) => (value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value);

/** Tenant admins' self-service: which features they may set (and within what), and the keys their tokens are signed with. */
function tenantSelfServiceCommands(tenants: Command): void {
  const configurable = family(tenants, 'configurable', "Features your tenants' admins may set for their tenant (/tenant/v1), and their constraints");
  leaf(configurable, 'set <feature>', 'Make a feature tenant-configurable, within constraints (replaces its constraints)', ['putTenantSettings'])
    .addOption(projectOption())
    .option('--label <text>', "what the tenant's settings panel shows")
    .option('--description <text>', 'a line of help under it')
    .option('--allowed <values...>', 'the only values tenants may choose (JSON, or strings)')
    .option('--min <n>', 'the smallest number allowed')
    .option('--max <n>', 'the largest number allowed')
    .option('--schema <json|@file>', 'a JSON Schema (2020-12) values must satisfy')
    .option('--allow-toggle', 'tenants may also switch the feature on or off')
    .action(
      run(async (ctx, feature: string, options: { project?: string; label?: string; description?: string; allowed?: string[]; min?: string; max?: string; schema?: string; allowToggle?: boolean; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const body = {
          ...(options.label ? { label: options.label } : {}),
          ...(options.description ? { description: options.description } : {}),
          ...(options.allowed ? { allowedValues: options.allowed.map(parseValue) } : {}),
          ...(options.min !== undefined ? { minimum: Number(options.min) } : {}),
          ...(options.max !== undefined ? { maximum: Number(options.max) } : {}),
          ...(options.schema ? { schema: JSON.parse(textOrFile(options.schema)) as unknown } : {}),
          allowToggle: options.allowToggle === true,
        };
        const updated = await (await ctx.api()).call<{ name: string; tenantSettings: unknown }>('putTenantSettings', { projectId: project.id, featureName: feature }, { body });
        ctx.print(options.json, updated, () => `${updated.name} is tenant-configurable: ${JSON.stringify(updated.tenantSettings)}`);
      }),
    );
  leaf(configurable, 'remove <feature>', 'Make a feature no longer tenant-configurable (values tenants set stay as tenant overrides)', ['deleteTenantSettings'])
    .addOption(projectOption())
    .addOption(yesOption())
    .action(
      run(async (ctx, feature: string, options: { project?: string; yes?: boolean; json?: boolean }) => {
        const project = await ctx.project(options.project);
        await ctx.confirm(options.yes, `Make ${feature} no longer tenant-configurable`);
        await (await ctx.api()).call('deleteTenantSettings', { projectId: project.id, featureName: feature });
        ctx.print(options.json, { featureName: feature, configurable: false }, () => `${feature} is no longer tenant-configurable.`);
      }),
    );

  const keys = family(tenants, 'keys', 'Keys tenant tokens of an environment are verified with (a JWKS URL or a public key)');
  const withEnv = (command: Command) => command.addOption(environmentOption()).addOption(projectOption());
  withEnv(leaf(keys, 'list', 'List the tenant token keys of an environment', ['listTenantKeys'])).action(
    run(async (ctx, options: { environment: string; project?: string; json?: boolean }) => {
      const env = await ctx.environment(options.environment, options.project);
      const { items } = await (await ctx.api()).call<{ items: TenantKey[] }>('listTenantKeys', { envId: env.id });
      ctx.print(options.json, items, () =>
        table(items.map((k) => ({ id: k.id, name: k.name, source: k.jwksUrl ?? 'public key', issuer: k.issuer, audience: k.audience, algorithms: k.algorithms.join(','), origins: k.allowedOrigins.join(',') })), ['id', 'name', 'source', 'issuer', 'audience', 'algorithms', 'origins']),
      );
    }),
  );
  withEnv(leaf(keys, 'add <name>', 'Register a JWKS URL or a public key (PEM or JWK) tenant tokens may be signed with', ['createTenantKey']))
    .option('--jwks-url <url>', 'where your backend publishes its keys (https)')
    .option('--public-key <pem|jwk|@file>', 'one public key: PEM (SPKI) or a JWK (JSON)')
    .requiredOption('--issuer <iss>', 'the exact iss your tokens carry')
    .option('--audience <aud>', 'an aud your tokens carry (default: vexilla-tenant)')
    .option('--algorithms <algs...>', "accepted algorithms (default: the key's)")
    .option('--max-lifetime <seconds>', 'the longest exp - iat accepted (default 900)')
    .option('--origin <origins...>', 'browser origins of the pages embedding the settings panel')
    .action(
      run(async (ctx, name: string, options: { environment: string; project?: string; jwksUrl?: string; publicKey?: string; issuer: string; audience?: string; algorithms?: string[]; maxLifetime?: string; origin?: string[]; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const key = options.publicKey ? textOrFile(options.publicKey).trim() : undefined;
        const body = {
          name,
          issuer: options.issuer,
          ...(options.jwksUrl ? { jwksUrl: options.jwksUrl } : {}),
          ...(key !== undefined ? { publicKey: key.startsWith('{') ? (JSON.parse(key) as unknown) : key } : {}),
          ...(options.audience ? { audience: options.audience } : {}),
          ...(options.algorithms ? { algorithms: options.algorithms } : {}),
          ...(options.maxLifetime ? { maxLifetimeSeconds: Number(options.maxLifetime) } : {}),
          ...(options.origin ? { allowedOrigins: options.origin } : {}),
        };
        const created = await (await ctx.api()).call<TenantKey>('createTenantKey', { envId: env.id }, { body });
        ctx.print(options.json, created, () => `Registered ${created.id} (${created.name}) for ${env.name}: tokens need iss ${created.issuer}, aud ${created.audience}, env ${env.id}, at most ${created.maxLifetimeSeconds}s.`);
      }),
    );
  withEnv(leaf(keys, 'remove <keyId>', 'Remove a tenant token key (its tokens are refused at once)', ['deleteTenantKey']))
    .addOption(yesOption())
    .action(
      run(async (ctx, keyId: string, options: { environment: string; project?: string; yes?: boolean; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        await ctx.confirm(options.yes, `Remove tenant token key ${keyId} from ${env.name}`);
        await (await ctx.api()).call('deleteTenantKey', { envId: env.id, keyId });
        ctx.print(options.json, { removed: keyId }, () => `Removed ${keyId}.`);
      }),
    );
}
