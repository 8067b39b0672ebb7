/** Who am I, the organisation, projects, environments, their keys, and admin tokens. */
import { type Command, Option } from 'commander';
import { environmentOption, family, leaf, projectOption, run, yesOption } from '../command.js';
import { type Context, type Named, pick, table } from '../context.js';
import { UsageError } from '../errors.js';

interface Environment extends Named {
  projectId: string;
  requiredApprovals?: number;
  version: number;
  createdAt: string;
}
interface KeyView {
  id: string;
  name: string;
  prefix: string;
  tenantKey?: string;
  createdAt: string;
}
interface TokenView {
  id: string;
  name: string;
  prefix: string;
  roles: Record<string, unknown>;
  createdAt: string;
}

export function organisationCommands(program: Command): void {
  leaf(program, 'whoami', 'Which API, credentials and organisation the CLI uses', ['listOrganisations', 'listProjects'])
    .action(
      run(async (ctx, options: { json?: boolean }) => {
        const target = await ctx.target();
        const organisation = await ctx.org();
        const projects = await (await ctx.api()).listAll<Named>('listProjects', { orgId: organisation.id });
        const data = { apiUrl: target.apiUrl, credentials: target.source, organisation, projects };
        ctx.print(options.json, data, () =>
          [
            `API:          ${target.apiUrl}`,
            `Credentials:  ${target.source}`,
            `Organisation: ${organisation.name} (${organisation.id})`,
            `Projects:     ${projects.map((p) => `${p.name} (${p.id})`).join(', ') || 'none yet: `vexilla projects create <name>`'}`,
          ].join('\n'),
        );
      }),
    );

  const organisations = family(program, 'organisations', "The token's organisation", ['organisation', 'org']);
  leaf(organisations, 'get', 'Show the organisation', ['getOrganisation'])
    .action(
      run(async (ctx, options: { json?: boolean }) => {
        const organisation = await (await ctx.api()).call<Named & { createdAt: string }>('getOrganisation', { orgId: (await ctx.org()).id });
        ctx.print(options.json, organisation, () => `${organisation.name} (${organisation.id}), created ${organisation.createdAt}`);
      }),
    );
  leaf(organisations, 'rename <name>', 'Rename the organisation', ['updateOrganisation'])
    .action(
      run(async (ctx, name: string, options: { json?: boolean }) => {
        const organisation = await (await ctx.api()).call<Named>('updateOrganisation', { orgId: (await ctx.org()).id }, { body: { name } });
        ctx.print(options.json, organisation, () => `Renamed the organisation to "${organisation.name}".`);
      }),
    );

  // --- Projects ---
  const projects = family(program, 'projects', 'Projects (features and segments live in a project)', ['project']);
  leaf(projects, 'list', 'List projects', ['listProjects'])
    .action(
      run(async (ctx, options: { json?: boolean }) => {
        const items = await (await ctx.api()).listAll<Named & { tenantTraitKey: string }>('listProjects', { orgId: (await ctx.org()).id });
        ctx.print(options.json, items, () => table(items as unknown as Record<string, unknown>[], ['name', 'id', 'tenantTraitKey']));
      }),
    );
  leaf(projects, 'get <project>', 'Show a project', ['getProject'])
    .action(
      run(async (ctx, given: string, options: { json?: boolean }) => {
        const project = await ctx.project(given);
        const full = await (await ctx.api()).call<Named & { tenantTraitKey: string }>('getProject', { projectId: project.id });
        ctx.print(options.json, full, () => `${full.name} (${full.id}), tenant trait "${full.tenantTraitKey}"`);
      }),
    );
  leaf(projects, 'create <name>', 'Create a project', ['createProject'])
    .option('--tenant-trait <key>', 'the identity trait that names a tenant', 'tenant')
    .action(
      run(async (ctx, name: string, options: { tenantTrait: string; json?: boolean }) => {
        const project = await (await ctx.api()).call<Named>('createProject', { orgId: (await ctx.org()).id }, { body: { name, tenantTraitKey: options.tenantTrait } });
        ctx.print(options.json, project, () => `Created project "${project.name}" (${project.id}). Next: vexilla environments create production --project "${project.name}"`);
      }),
    );
  leaf(projects, 'update <project>', 'Rename a project or change its tenant trait', ['updateProject'])
    .option('--name <name>', 'new name')
    .option('--tenant-trait <key>', 'the identity trait that names a tenant')
    .action(
      run(async (ctx, given: string, options: { name?: string; tenantTrait?: string; json?: boolean }) => {
        const body = { ...(options.name ? { name: options.name } : {}), ...(options.tenantTrait ? { tenantTraitKey: options.tenantTrait } : {}) };
        if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: give --name or --tenant-trait.');
        const project = await (await ctx.api()).call<Named>('updateProject', { projectId: (await ctx.project(given)).id }, { body });
        ctx.print(options.json, project, () => `Updated project "${project.name}".`);
      }),
    );
  leaf(projects, 'delete <project>', 'Delete a project (it must have no environments left)', ['deleteProject'])
    .addOption(yesOption())
    .action(
      run(async (ctx, given: string, options: { yes?: boolean; json?: boolean }) => {
        const project = await ctx.project(given);
        await ctx.confirm(options.yes, `Delete project "${project.name}"`);
        await (await ctx.api()).call('deleteProject', { projectId: project.id });
        ctx.print(options.json, { deleted: project.id }, () => `Deleted project "${project.name}".`);
      }),
    );

  // --- Environments ---
  const environments = family(program, 'environments', 'Environments of a project (each with its own flags and keys)', ['environment', 'envs', 'env']);
  leaf(environments, 'list', 'List environments', ['listEnvironments'])
    .addOption(projectOption())
    .action(
      run(async (ctx, options: { project?: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const items = await (await ctx.api()).listAll<Environment>('listEnvironments', { projectId: project.id });
        ctx.print(options.json, items, () =>
          table(
            items.map((e) => ({ name: e.name, id: e.id, approvals: e.requiredApprovals ?? 0 })),
            ['name', 'id', 'approvals'],
          ),
        );
      }),
    );
  leaf(environments, 'get <environment>', 'Show an environment', ['getEnvironment'])
    .addOption(projectOption())
    .action(
      run(async (ctx, given: string, options: { project?: string; json?: boolean }) => {
        const env = await (await ctx.api()).call<Environment>('getEnvironment', { envId: (await ctx.environment(given, options.project)).id });
        ctx.print(options.json, env, () => `${env.name} (${env.id}), project ${env.projectId}, change requests need ${env.requiredApprovals ?? 0} approval(s)`);
      }),
    );
  leaf(environments, 'create <name>', 'Create an environment; prints its client key once', ['createEnvironment'])
    .addOption(projectOption())
    .action(
      run(async (ctx, name: string, options: { project?: string; json?: boolean }) => {
        const project = await ctx.project(options.project);
        const created = await (await ctx.api()).call<{ environment: Environment; clientKey: string }>('createEnvironment', { projectId: project.id }, { body: { name } });
        ctx.print(options.json, created, () =>
          [
            `Created environment "${created.environment.name}" (${created.environment.id}) in project "${project.name}".`,
            `Client key (for browsers and apps; shown once): ${created.clientKey}`,
            `A server key (local evaluation): vexilla keys create backend --environment "${created.environment.name}" --project "${project.name}"`,
          ].join('\n'),
        );
      }),
    );
  leaf(environments, 'update <environment>', 'Rename an environment or set the approvals its change requests need', ['updateEnvironment'])
    .addOption(projectOption())
    .option('--name <name>', 'new name')
    .option('--required-approvals <n>', '0-5; above 0, flags change only through approved change requests')
    .action(
      run(async (ctx, given: string, options: { project?: string; name?: string; requiredApprovals?: string; json?: boolean }) => {
        const body = { ...(options.name ? { name: options.name } : {}), ...(options.requiredApprovals !== undefined ? { requiredApprovals: Number(options.requiredApprovals) } : {}) };
        if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: give --name or --required-approvals.');
        const env = await (await ctx.api()).call<Environment>('updateEnvironment', { envId: (await ctx.environment(given, options.project)).id }, { body });
        ctx.print(options.json, env, () => `Updated environment "${env.name}" (approvals needed: ${env.requiredApprovals ?? 0}).`);
      }),
    );
  leaf(environments, 'delete <environment>', 'Delete an environment and revoke its keys', ['deleteEnvironment'])
    .addOption(projectOption())
    .addOption(yesOption())
    .action(
      run(async (ctx, given: string, options: { project?: string; yes?: boolean; json?: boolean }) => {
        const env = await ctx.environment(given, options.project);
        await ctx.confirm(options.yes, `Delete environment "${env.name}" and revoke its keys`);
        await (await ctx.api()).call('deleteEnvironment', { envId: env.id });
        ctx.print(options.json, { deleted: env.id }, () => `Deleted environment "${env.name}".`);
      }),
    );
  leaf(environments, 'status <environment>', 'Whether SDKs are served the environment as it is now (the published document)', ['getPublication'])
    .addOption(projectOption())
    .action(
      run(async (ctx, given: string, options: { project?: string; json?: boolean }) => {
        const env = await ctx.environment(given, options.project);
        const status = await (await ctx.api()).call<{ upToDate: boolean; published: { updatedAt: string; version: number } | null }>('getPublication', { envId: env.id });
        ctx.print(options.json, status, () =>
          status.upToDate
            ? `${env.name}: served as it is now (published ${status.published?.updatedAt}, version ${status.published?.version}).`
            : `${env.name}: a change is being published${status.published ? ` (last published ${status.published.updatedAt})` : ''}.`,
        );
      }),
    );

  // --- Keys ---
  const keys = family(program, 'keys', "An environment's SDK keys: one client key, revocable server keys (ser.)", ['key']);
  leaf(keys, 'list', 'List server keys (secrets are never shown again)', ['listServerKeys'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .action(
      run(async (ctx, options: { environment: string; project?: string; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const items = (await (await ctx.api()).call<{ items: KeyView[] }>('listServerKeys', { envId: env.id })).items;
        ctx.print(options.json, items, () => table(items as unknown as Record<string, unknown>[], ['name', 'id', 'prefix', 'tenantKey', 'createdAt']));
      }),
    );
  leaf(keys, 'create <name>', 'Create a server key (for local evaluation); prints it once', ['createServerKey'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .addOption(new Option('--tenant <key>', "Scope the key to one tenant: its environment document lists only that tenant's data"))
    .action(
      run(async (ctx, name: string, options: { environment: string; project?: string; tenant?: string; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const body = { name, ...(options.tenant !== undefined ? { tenantKey: options.tenant } : {}) };
        const key = await (await ctx.api()).call<KeyView & { key: string }>('createServerKey', { envId: env.id }, { body });
        const scope = key.tenantKey !== undefined ? ` scoped to tenant ${key.tenantKey}` : '';
        ctx.print(options.json, key, () => `Server key "${key.name}" for ${env.name}${scope} (shown once, store it now):\n  ${key.key}`);
      }),
    );
  leaf(keys, 'revoke <key>', 'Revoke a server key (by id or name)', ['listServerKeys', 'revokeServerKey'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .addOption(yesOption())
    .action(
      run(async (ctx, given: string, options: { environment: string; project?: string; yes?: boolean; json?: boolean }) => {
        const api = await ctx.api();
        const env = await ctx.environment(options.environment, options.project);
        const key = pick((await api.call<{ items: KeyView[] }>('listServerKeys', { envId: env.id })).items, given, 'server key', `vexilla keys list --environment ${env.name}`);
        await ctx.confirm(options.yes, `Revoke server key "${key.name}" of ${env.name} (SDKs using it stop working)`);
        await api.call('revokeServerKey', { envId: env.id, keyId: key.id });
        ctx.print(options.json, { revoked: key.id }, () => `Revoked server key "${key.name}".`);
      }),
    );
  leaf(keys, 'rotate-client-key', 'Replace the client key (the old one stops working); prints the new one once', ['rotateClientKey'])
    .addOption(environmentOption())
    .addOption(projectOption())
    .addOption(yesOption())
    .action(
      run(async (ctx, options: { environment: string; project?: string; yes?: boolean; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        await ctx.confirm(options.yes, `Replace the client key of ${env.name} (apps using the old one stop working)`);
        const key = await (await ctx.api()).call<KeyView & { key: string }>('rotateClientKey', { envId: env.id });
        ctx.print(options.json, key, () => `New client key for ${env.name} (shown once):\n  ${key.key}`);
      }),
    );

  // --- Admin tokens ---
  const tokens = family(program, 'tokens', 'Admin tokens (machine users) and their roles', ['token']);
  leaf(tokens, 'list', 'List admin tokens (secrets are never shown again)', ['listTokens'])
    .action(
      run(async (ctx, options: { json?: boolean }) => {
        const items = (await (await ctx.api()).call<{ items: TokenView[] }>('listTokens', { orgId: (await ctx.org()).id })).items;
        ctx.print(options.json, items, () => table(items.map((t) => ({ name: t.name, id: t.id, prefix: t.prefix, roles: t.roles, createdAt: t.createdAt })), ['name', 'id', 'prefix', 'roles', 'createdAt']));
      }),
    );
  leaf(tokens, 'create <name>', 'Create an admin token; prints it once', ['createToken', 'listProjects', 'listEnvironments'])
    .addOption(
      new Option('--role <role...>', 'organisation:admin, project:<name|id>:<admin|editor|viewer> or environment:<name|id>:<admin|editor|viewer> (with --project for names)').makeOptionMandatory(),
    )
    .addOption(projectOption())
    .action(
      run(async (ctx, name: string, options: { role: string[]; project?: string; json?: boolean }) => {
        const roles = await parseRoles(ctx, options.role, options.project);
        const token = await (await ctx.api()).call<TokenView & { token: string }>('createToken', { orgId: (await ctx.org()).id }, { body: { name, roles } });
        ctx.print(options.json, token, () => `Admin token "${token.name}" (shown once, store it now):\n  ${token.token}`);
      }),
    );
  leaf(tokens, 'revoke <token>', 'Revoke an admin token (by id or name)', ['listTokens', 'revokeToken'])
    .addOption(yesOption())
    .action(
      run(async (ctx, given: string, options: { yes?: boolean; json?: boolean }) => {
        const api = await ctx.api();
        const orgId = (await ctx.org()).id;
        const token = pick((await api.call<{ items: TokenView[] }>('listTokens', { orgId })).items, given, 'token', 'vexilla tokens list');
        await ctx.confirm(options.yes, `Revoke admin token "${token.name}"`);
        await api.call('revokeToken', { orgId, tokenId: token.id });
        ctx.print(options.json, { revoked: token.id }, () => `Revoked admin token "${token.name}".`);
      }),
    );
}

/** `--role` values to the API's roles, names resolved to ids (tokens, members, invitations, group rules). */
export async function parseRoles(ctx: Context, specs: string[], projectGiven?: string) {
  const roles: { organisation?: 'admin'; projects?: Record<string, string>; environments?: Record<string, string> } = {};
  for (const spec of specs) {
    const parts = spec.split(':');
    const role = parts.at(-1) as string;
    if (spec === 'organisation:admin') {
      roles.organisation = 'admin';
    } else if (parts.length === 3 && ['admin', 'editor', 'viewer'].includes(role) && parts[0] === 'project') {
      roles.projects = { ...roles.projects, [(await ctx.project(parts[1])).id]: role };
    } else if (parts.length === 3 && ['admin', 'editor', 'viewer'].includes(role) && parts[0] === 'environment') {
      roles.environments = { ...roles.environments, [(await ctx.environment(parts[1], projectGiven)).id]: role };
    } else {
      throw new UsageError(`Not a role: "${spec}". Use organisation:admin, project:<name>:<admin|editor|viewer> or environment:<name>:<admin|editor|viewer>.`);
    }
  }
  return roles;
}
