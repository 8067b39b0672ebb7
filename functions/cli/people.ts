/**
 * `vexilla members` and `vexilla invitations`: who may sign in to an organisation, and with which
 * roles. Self-contained (its own argument parsing), so it moves as a unit.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { apiTarget, type ApiTarget, callApi } from './api-client.js';
import { type Command, type Io, UsageError } from './command.js';

interface Member {
  userId: string;
  email: string;
  name: string;
  subject: string;
  roles: Roles;
  version: number;
}
interface Invitation {
  id: string;
  email: string;
  roles: Roles;
  expires: string;
}
interface Roles {
  organisation?: 'admin';
  projects?: Record<string, string>;
  environments?: Record<string, string>;
}

const options = {
  organisation: { type: 'string' },
  'org-admin': { type: 'boolean', default: false },
  project: { type: 'string' },
  environment: { type: 'string' },
  role: { type: 'string' },
  roles: { type: 'string' },
  days: { type: 'string' },
  yes: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function parsed(argv: string[]) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
type Values = ReturnType<typeof parsed>['values'];

/** The organisation given, or the caller's first (a token has exactly one). */
async function organisationOf(api: ApiTarget, values: Values): Promise<string> {
  if (values.organisation) return values.organisation;
  const first = (await callApi<{ items: { id: string }[] }>(api, 'GET', '/admin/v1/organisations')).items[0]?.id;
  if (!first) throw new Error('You are not in any organisation: pass --organisation <id>.');
  return first;
}

/** An environment by id, or by name among the local stack's environments. */
async function environmentId(given: string): Promise<string> {
  try {
    const local = JSON.parse(await readFile(join(process.cwd(), '.vexilla', 'local.json'), 'utf8')) as { environments?: { id: string; name: string }[] };
    return local.environments?.find((environment) => environment.name === given)?.id ?? given;
  } catch {
    return given;
  }
}

/** The roles the flags describe: --org-admin, --project <id> --role <r>, --environment <id|name> --role <r>, or --roles <json>. */
async function rolesOf(values: Values): Promise<Roles> {
  const forms = [values['org-admin'], values.project !== undefined, values.environment !== undefined, values.roles !== undefined].filter(Boolean).length;
  if (forms !== 1) throw new UsageError('Give the roles one way: --org-admin, --project <id> --role <role>, --environment <id|name> --role <role>, or --roles <json>.');
  if (values['org-admin']) return { organisation: 'admin' };
  if (values.roles !== undefined) {
    try {
      return JSON.parse(values.roles) as Roles;
    } catch {
      throw new UsageError('--roles must be JSON, like {"projects":{"prj_...":"editor"}}.');
    }
  }
  const role = values.role;
  if (role !== 'admin' && role !== 'editor' && role !== 'viewer') throw new UsageError('--role must be admin, editor or viewer.');
  return values.project !== undefined ? { projects: { [values.project]: role } } : { environments: { [await environmentId(values.environment as string)]: role } };
}

export function describeRoles(roles: Roles): string {
  const parts: string[] = [];
  if (roles.organisation === 'admin') parts.push('organisation admin');
  for (const [id, role] of Object.entries(roles.projects ?? {})) parts.push(`${role} of project ${id}`);
  for (const [id, role] of Object.entries(roles.environments ?? {})) parts.push(`${role} of environment ${id}`);
  return parts.join(', ');
}

const helped = (usage: string, run: (argv: string[], io: Io) => Promise<number>): Command['run'] =>
  async (argv, io) => {
    if (argv.includes('--help') || argv.includes('-h')) {
      io.out(usage);
      return 0;
    }
    return run(argv, io);
  };

const MEMBERS_USAGE = `Usage:
  vexilla members list [--organisation <id>] [--json]
  vexilla members set-role <email | userId> (--org-admin | --project <id> --role <role> | --environment <id|name> --role <role> | --roles <json>) [--json]
  vexilla members remove <email | userId> --yes

Roles replace the member's roles and apply from their next request. Removing is immediate.`;

export const membersCommand: Command = {
  summary: 'List the people of an organisation, change their roles, remove them',
  usage: MEMBERS_USAGE,
  run: helped(MEMBERS_USAGE, async (argv, io) => {
    const [action, ...rest] = argv;
    const { values, positionals } = parsed(rest);
    if (action !== 'list' && action !== 'set-role' && action !== 'remove') throw new UsageError(action ? `Unknown action "${action}".` : 'Name an action: list, set-role or remove.');
    if (action === 'remove' && !values.yes) throw new UsageError('Removing a member takes effect at once: pass --yes to confirm.');
    const roles = action === 'set-role' ? await rolesOf(values) : undefined;
    const api = await apiTarget();
    const org = `/admin/v1/organisations/${await organisationOf(api, values)}`;
    const members = (await callApi<{ items: Member[] }>(api, 'GET', `${org}/members?limit=1000`)).items;
    if (action === 'list') {
      io.out(values.json ? JSON.stringify(members) : members.map((m) => `${m.email.padEnd(32)} ${m.userId}  ${describeRoles(m.roles)}`).join('\n') || '(no members)');
      return 0;
    }
    const [who] = positionals;
    if (!who) throw new UsageError('Name the member: their email address or user id.');
    const member = members.find((candidate) => candidate.userId === who || candidate.email === who.toLowerCase());
    if (!member) throw new Error(`No member ${who} in this organisation (see vexilla members list).`);
    if (action === 'remove') {
      await callApi(api, 'DELETE', `${org}/members/${member.userId}`);
      io.out(values.json ? JSON.stringify({ removed: member.userId }) : `Removed ${member.email}: refused from their next request on.`);
      return 0;
    }
    const updated = await callApi<Member>(api, 'PATCH', `${org}/members/${member.userId}`, { roles, version: member.version });
    io.out(values.json ? JSON.stringify(updated) : `${updated.email}: ${describeRoles(updated.roles)}`);
    return 0;
  }),
};

const INVITATIONS_USAGE = `Usage:
  vexilla invitations list [--organisation <id>] [--json]
  vexilla invitations create <email> (--org-admin | --project <id> --role <role> | --environment <id|name> --role <role> | --roles <json>) [--days <1-30>] [--json]
  vexilla invitations revoke <email | invitationId>

The invited person signs in through your identity provider with that (verified) email address
and lands in the organisation. Inviting an address again replaces its pending invitation.`;

export const invitationsCommand: Command = {
  summary: 'Invite people by email with a role, list and revoke invitations',
  usage: INVITATIONS_USAGE,
  run: helped(INVITATIONS_USAGE, async (argv, io) => {
    const [action, ...rest] = argv;
    const { values, positionals } = parsed(rest);
    if (action !== 'list' && action !== 'create' && action !== 'revoke') throw new UsageError(action ? `Unknown action "${action}".` : 'Name an action: list, create or revoke.');
    const [who] = positionals;
    if (action !== 'list' && !who) throw new UsageError('Name the email address.');
    const roles = action === 'create' ? await rolesOf(values) : undefined;
    const days = values.days === undefined ? undefined : Number(values.days);
    if (days !== undefined && (!Number.isInteger(days) || days < 1 || days > 30)) throw new UsageError('--days must be 1 to 30.');
    const api = await apiTarget();
    const org = `/admin/v1/organisations/${await organisationOf(api, values)}`;
    if (action === 'create') {
      const invitation = await callApi<Invitation>(api, 'POST', `${org}/invitations`, { email: who, roles, ...(days !== undefined ? { expiresInDays: days } : {}) });
      io.out(values.json ? JSON.stringify(invitation) : `Invited ${invitation.email} as ${describeRoles(invitation.roles)}, until ${invitation.expires}.`);
      return 0;
    }
    const invitations = (await callApi<{ items: Invitation[] }>(api, 'GET', `${org}/invitations`)).items;
    if (action === 'list') {
      io.out(values.json ? JSON.stringify(invitations) : invitations.map((i) => `${i.email.padEnd(32)} ${i.id}  ${describeRoles(i.roles)}  until ${i.expires}`).join('\n') || '(no pending invitations)');
      return 0;
    }
    const invitation = invitations.find((candidate) => candidate.id === who || candidate.email === who?.toLowerCase());
    if (!invitation) throw new Error(`No pending invitation for ${who} (see vexilla invitations list).`);
    await callApi(api, 'DELETE', `${org}/invitations/${invitation.id}`);
    io.out(values.json ? JSON.stringify({ revoked: invitation.id }) : `Revoked the invitation of ${invitation.email}.`);
    return 0;
  }),
};
