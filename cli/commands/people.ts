/** People: members and their roles, invitations by email, and directory-group rules. */
import { Option, type Command } from 'commander';
import { family, leaf, projectOption, run, yesOption } from '../command.js';
import { type Context, pick, table } from '../context.js';
import { parseRoles } from './organisation.js';

interface Roles {
  organisation?: 'admin';
  projects?: Record<string, string>;
  environments?: Record<string, string>;
}
interface Member {
  userId: string;
  email: string;
  name: string;
  roles: Roles;
  version: number;
}
interface Invitation {
  id: string;
  email: string;
  roles: Roles;
  expires: string;
}
interface GroupRule {
  id: string;
  group: string;
  roles: Roles;
}

/** Roles in words: "organisation admin, editor of project prj_…". */
export function describeRoles(roles: Roles): string {
  return [
    ...(roles.organisation === 'admin' ? ['organisation admin'] : []),
    ...Object.entries(roles.projects ?? {}).map(([id, role]) => `${role} of project ${id}`),
    ...Object.entries(roles.environments ?? {}).map(([id, role]) => `${role} of environment ${id}`),
  ].join(', ');
}

const roleOption = () =>
  new Option('--role <role...>', 'organisation:admin, project:<name|id>:<admin|editor|viewer> or environment:<name|id>:<admin|editor|viewer> (with --project for names)').makeOptionMandatory();

export function peopleCommands(program: Command): void {
  leaf(program, 'me', 'Who the credentials are: a token, or a signed-in person with their roles in each organisation', ['getMe']).action(
    run(async (ctx, options: { json?: boolean }) => {
      const me = await (await ctx.api()).call<{ type: string; name?: string; email?: string; id: string; organisations: { id: string; name: string; roles: Roles }[]; hint?: string }>('getMe');
      ctx.print(options.json, me, () =>
        [
          me.type === 'user' ? `Signed in as ${me.email} (${me.id})` : `Admin token "${me.name}" (${me.id})`,
          ...me.organisations.map((o) => `  ${o.name} (${o.id}): ${describeRoles(o.roles)}`),
          ...(me.hint ? [me.hint] : []),
        ].join('\n'),
      );
    }),
  );

  const members = family(program, 'members', 'People who sign in to the organisation, and their roles', ['member']);
  leaf(members, 'list', 'List members', ['listMembers'])
    .action(
      run(async (ctx, options: { json?: boolean }) => {
        const items = await (await ctx.api()).listAll<Member>('listMembers', { orgId: (await ctx.org()).id });
        ctx.print(options.json, items, () => table(items.map((m) => ({ email: m.email, userId: m.userId, roles: describeRoles(m.roles) })), ['email', 'userId', 'roles']));
      }),
    );
  /** A member by email address or user id. */
  const memberOf = async (ctx: Context, given: string) => {
    const orgId = (await ctx.org()).id;
    const all = await (await ctx.api()).listAll<Member>('listMembers', { orgId });
    const member = pick(all.map((m) => ({ ...m, id: m.userId, name: m.email })), given, 'member', 'vexilla members list');
    return { orgId, member };
  };
  leaf(members, 'set-role <member>', "Replace a member's roles (by email or user id); effective on their next request", ['listMembers', 'updateMember'])
    .addOption(roleOption())
    .addOption(projectOption())
    .action(
      run(async (ctx, given: string, options: { role: string[]; project?: string; json?: boolean }) => {
        const { orgId, member } = await memberOf(ctx, given);
        const roles = await parseRoles(ctx, options.role, options.project);
        const updated = await (await ctx.api()).call<Member>('updateMember', { orgId, userId: member.userId }, { body: { roles, version: member.version } });
        ctx.print(options.json, updated, () => `${updated.email}: ${describeRoles(updated.roles)}.`);
      }),
    );
  leaf(members, 'remove <member>', 'Remove a member (by email or user id); refused from their next request on', ['listMembers', 'removeMember'])
    .addOption(yesOption())
    .action(
      run(async (ctx, given: string, options: { yes?: boolean; json?: boolean }) => {
        const { orgId, member } = await memberOf(ctx, given);
        await ctx.confirm(options.yes, `Remove ${member.email} from the organisation`);
        await (await ctx.api()).call('removeMember', { orgId, userId: member.userId });
        ctx.print(options.json, { removed: member.userId }, () => `Removed ${member.email}: refused from their next request on.`);
      }),
    );

  const invitations = family(program, 'invitations', 'Invitations by email: the person signs in with that (verified) address and lands in the organisation', ['invitation', 'invite']);
  leaf(invitations, 'list', 'List pending invitations', ['listInvitations'])
    .action(
      run(async (ctx, options: { json?: boolean }) => {
        const items = (await (await ctx.api()).call<{ items: Invitation[] }>('listInvitations', { orgId: (await ctx.org()).id })).items;
        ctx.print(options.json, items, () => table(items.map((i) => ({ email: i.email, id: i.id, roles: describeRoles(i.roles), expires: i.expires })), ['email', 'id', 'roles', 'expires']));
      }),
    );
  leaf(invitations, 'create <email>', 'Invite an email address with roles (again: replaces its pending invitation)', ['createInvitation'])
    .addOption(roleOption())
    .addOption(projectOption())
    .option('--days <n>', 'days the invitation can be accepted in (1-30)', '7')
    .action(
      run(async (ctx, email: string, options: { role: string[]; project?: string; days: string; json?: boolean }) => {
        const roles = await parseRoles(ctx, options.role, options.project);
        const body = { email, roles, expiresInDays: Number(options.days) };
        const invitation = await (await ctx.api()).call<Invitation>('createInvitation', { orgId: (await ctx.org()).id }, { body });
        ctx.print(options.json, invitation, () => `Invited ${invitation.email} as ${describeRoles(invitation.roles)}, until ${invitation.expires}.`);
      }),
    );
  leaf(invitations, 'revoke <invitation>', 'Revoke a pending invitation (by email or id)', ['listInvitations', 'revokeInvitation'])
    .addOption(yesOption())
    .action(
      run(async (ctx, given: string, options: { yes?: boolean; json?: boolean }) => {
        const api = await ctx.api();
        const orgId = (await ctx.org()).id;
        const pending = (await api.call<{ items: Invitation[] }>('listInvitations', { orgId })).items;
        const invitation = pick(pending.map((i) => ({ ...i, name: i.email })), given, 'pending invitation', 'vexilla invitations list');
        await ctx.confirm(options.yes, `Revoke the invitation of ${invitation.email}`);
        await api.call('revokeInvitation', { orgId, invitationId: invitation.id });
        ctx.print(options.json, { revoked: invitation.id }, () => `Revoked the invitation of ${invitation.email}.`);
      }),
    );

  const groupRules = family(program, 'group-rules', "Roles for everyone in an identity-provider group (the token's groups claim)", ['group-rule']);
  leaf(groupRules, 'list', 'List group rules', ['listGroupRules'])
    .action(
      run(async (ctx, options: { json?: boolean }) => {
        const items = (await (await ctx.api()).call<{ items: GroupRule[] }>('listGroupRules', { orgId: (await ctx.org()).id })).items;
        ctx.print(options.json, items, () => table(items.map((r) => ({ group: r.group, id: r.id, roles: describeRoles(r.roles) })), ['group', 'id', 'roles']));
      }),
    );
  leaf(groupRules, 'set <group>', 'Set the roles a group gives (creates the rule, or replaces its roles)', ['putGroupRule'])
    .addOption(roleOption())
    .addOption(projectOption())
    .action(
      run(async (ctx, group: string, options: { role: string[]; project?: string; json?: boolean }) => {
        const roles = await parseRoles(ctx, options.role, options.project);
        const rule = await (await ctx.api()).call<GroupRule>('putGroupRule', { orgId: (await ctx.org()).id }, { body: { group, roles } });
        ctx.print(options.json, rule, () => `Everyone in "${rule.group}" is ${describeRoles(rule.roles)}.`);
      }),
    );
  leaf(groupRules, 'delete <group>', 'Remove a group rule (by group or id); its people are refused from their next request on', ['listGroupRules', 'deleteGroupRule'])
    .addOption(yesOption())
    .action(
      run(async (ctx, given: string, options: { yes?: boolean; json?: boolean }) => {
        const api = await ctx.api();
        const orgId = (await ctx.org()).id;
        const rules = (await api.call<{ items: GroupRule[] }>('listGroupRules', { orgId })).items;
        const rule = pick(rules.map((r) => ({ ...r, name: r.group })), given, 'group rule', 'vexilla group-rules list');
        await ctx.confirm(options.yes, `Remove the rule of group "${rule.group}"`);
        await api.call('deleteGroupRule', { orgId, ruleId: rule.id });
        ctx.print(options.json, { deleted: rule.id }, () => `Removed the rule of group "${rule.group}".`);
      }),
    );

  leaf(program, 'sign-in-config', 'How people sign in here: the OpenID issuer, client id and scopes the dashboard uses', ['getSignInConfig']).action(
    run(async (ctx, options: { json?: boolean }) => {
      const config = await (await ctx.api()).call<{ enabled: boolean; issuer?: string; clientId?: string; scopes?: string[] }>('getSignInConfig');
      ctx.print(options.json, config, () =>
        config.enabled ? `Issuer ${config.issuer}, client ${config.clientId}, scopes ${config.scopes?.join(' ')} (authorization code with PKCE)` : 'Signing in with an identity provider is not configured: admin tokens only.',
      );
    }),
  );
}
