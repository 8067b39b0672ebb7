/**
 * People: users who sign in through the identity provider, their memberships (the same roles
 * admin tokens hold), invitations by email and directory-group rules.
 *
 * Nothing about a person's access is cached beyond one request: every request reads the user's
 * memberships (one Query of their partition) and, when their token lists groups, the
 * organisation's group rules. Removing a member or changing their roles takes effect on their
 * next request, whatever their session's age.
 */
import { createHash } from 'node:crypto';
import type * as z from 'zod';
import type { ActorRef, AdminToken, GroupRule, Invitation, Membership, Organisation, Role, Roles, User } from '../entities.js';
import { Conflict, Forbidden, NotFound } from '../errors.js';
import { CommitConflict, type Page, type PageRequest, type Write } from '../ports.js';
import type * as schemas from '../schemas.js';
import { rolesWithin } from './organisation.js';
import { type Actor, actorRef, commitOrConflict, type Deps, eventWrite, expectVersion, isoNow, newId } from './support.js';

/** What a verified sign-in token says about the person (the HTTP layer verified it). */
export interface SignedIn {
  issuer: string;
  subject: string;
  /** Lower-cased; absent when the token carries none (Cognito access tokens). */
  email?: string | undefined;
  /** Only meaningful with `email`. */
  emailVerified: boolean;
  name?: string | undefined;
  groups: string[];
}

/** Who is calling, before any organisation is in question. */
export type Caller = { type: 'token'; token: AdminToken } | { type: 'user'; user: User; memberships: Membership[]; claims: SignedIn };

/** At most this many of a token's groups are looked at (directories can list hundreds). */
export const MAX_GROUPS_CONSIDERED = 50;

/** A person's id, derived from issuer and subject: every token finds its user with no lookup. */
export const userIdOf = (issuer: string, subject: string) => `usr_${createHash('sha256').update(`${issuer}\n${subject}`).digest('hex').slice(0, 24)}`;

/** A group rule's id, derived from its group: the same group is the same rule. */
export const groupRuleIdOf = (group: string) => `grp_${createHash('sha256').update(group).digest('hex').slice(0, 16)}`;

const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };
const stronger = (a: Role | undefined, b: Role): Role => (a && RANK[a] >= RANK[b] ? a : b);

interface Grant {
  roles: Roles;
  environmentProjects?: Record<string, string> | undefined;
}

/** The union of several grants: the strongest role on each scope. */
function mergeGrants(grants: Grant[]): Required<Grant> {
  const roles: Roles = {};
  const environmentProjects: Record<string, string> = {};
  for (const grant of grants) {
    if (grant.roles.organisation === 'admin') roles.organisation = 'admin';
    for (const [projectId, role] of Object.entries(grant.roles.projects ?? {})) (roles.projects ??= {})[projectId] = stronger(roles.projects[projectId], role);
    for (const [envId, role] of Object.entries(grant.roles.environments ?? {})) (roles.environments ??= {})[envId] = stronger(roles.environments[envId], role);
    Object.assign(environmentProjects, grant.environmentProjects);
  }
  return { roles, environmentProjects };
}

const hasRoles = (roles: Roles) => roles.organisation === 'admin' || Object.keys(roles.projects ?? {}).length > 0 || Object.keys(roles.environments ?? {}).length > 0;

const displayName = (user: Pick<User, 'name' | 'email' | 'subject'>) => user.name || user.email || user.subject;

/** A new membership of `person` in an organisation, with copies of their email and name for listings. */
function newMembership(person: Pick<User, 'id' | 'subject' | 'email' | 'name'>, orgId: string, grant: Grant, at: string, invitedBy?: ActorRef): Membership {
  return {
    type: 'membership',
    orgId,
    userId: person.id,
    subject: person.subject,
    email: person.email,
    name: displayName(person),
    roles: grant.roles,
    environmentProjects: grant.environmentProjects,
    ...(invitedBy ? { invitedBy } : {}),
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}

/** The person as the actor of one organisation's requests, with the roles they hold there. */
function personActor(user: User, orgId: string, grant: Grant): Actor {
  return {
    id: user.id,
    name: displayName(user),
    orgId,
    roles: grant.roles,
    environmentProjects: grant.environmentProjects,
    type: 'user',
    subject: user.subject,
    ...(user.email ? { email: user.email } : {}),
  };
}

/**
 * The user a verified token names, with their memberships: one Query. The first request creates
 * the user; a changed email, name or verification (from an ID token) is saved, and copied to the
 * memberships that list it. Access tokens without those claims keep what was saved.
 */
export async function identifyPerson(deps: Deps, claims: SignedIn): Promise<Caller & { type: 'user' }> {
  const userId = userIdOf(claims.issuer, claims.subject);
  const read = async () => {
    const items = await deps.store.listAll({ of: 'user-with-memberships', userId });
    return {
      user: items.find((item): item is User => item.type === 'user'),
      memberships: items.filter((item): item is Membership => item.type === 'membership'),
    };
  };
  let { user, memberships } = await read();
  const profile = {
    email: claims.email ?? user?.email ?? '',
    emailVerified: claims.email !== undefined ? claims.emailVerified : (user?.emailVerified ?? false),
    name: claims.name ?? user?.name ?? '',
  };
  if (!user || user.email !== profile.email || user.emailVerified !== profile.emailVerified || user.name !== profile.name) {
    const at = isoNow(deps);
    const next: User = user
      ? { ...user, ...profile, version: user.version + 1, updatedAt: at }
      : { type: 'user', id: userId, issuer: claims.issuer, subject: claims.subject, ...profile, createdAt: at, updatedAt: at, version: 1 };
    const copies = memberships
      .filter((membership) => membership.email !== next.email || membership.name !== displayName(next))
      .slice(0, 99)
      .map((membership): Write => ({ kind: 'put', entity: { ...membership, email: next.email, name: displayName(next), version: membership.version + 1, updatedAt: at }, expect: membership.version }));
    try {
      await deps.store.commit([{ kind: 'put', entity: next, expect: user ? user.version : 'absent' }, ...copies]);
      user = next;
      memberships = (await read()).memberships;
    } catch (error) {
      // A concurrent first request (or profile update) won: use what it saved.
      if (!(error instanceof CommitConflict)) throw error;
      ({ user, memberships } = await read());
      if (!user) throw error;
    }
  }
  return { type: 'user', user, memberships, claims };
}

/** The roles the person's directory groups give them in an organisation. */
async function groupGrants(deps: Deps, orgId: string, groups: string[]): Promise<GroupRule[]> {
  if (groups.length === 0) return [];
  const wanted = new Set(groups.slice(0, MAX_GROUPS_CONSIDERED));
  return (await deps.store.listAll({ of: 'group-rules', orgId })).filter((rule) => wanted.has(rule.group));
}

const invitationLive = (deps: Deps, invitation: Invitation | undefined): invitation is Invitation =>
  invitation !== undefined && Date.parse(invitation.expires) > deps.clock().getTime();

/** Whether the person's email address may match invitations: the identity provider must have verified it. */
const canAcceptInvitations = (user: User) => user.email !== '' && user.emailVerified;

/**
 * Accepts a pending invitation: the membership, the invitation's removal and the event in one
 * commit, with the person as the actor. Returns the membership (someone else's concurrent accept
 * of the same invitation included), or undefined when there is nothing to accept.
 */
async function acceptInvitation(deps: Deps, caller: Caller & { type: 'user' }, invitation: Invitation): Promise<Membership | undefined> {
  const { user } = caller;
  const at = isoNow(deps);
  const membership = newMembership(user, invitation.orgId, invitation, at, invitation.createdBy);
  const actor = personActor(user, invitation.orgId, membership);
  try {
    await deps.store.commit([
      { kind: 'put', entity: membership, expect: 'absent' },
      { kind: 'delete', ref: { type: 'invitation', orgId: invitation.orgId, email: invitation.email }, expect: invitation.version },
      eventWrite(deps, actor, {
        detailType: 'member.changed',
        action: 'created',
        orgId: invitation.orgId,
        subject: { kind: 'member', id: user.id, email: user.email, invitationId: invitation.id },
        before: null,
        after: membership,
        version: 1,
      }),
    ]);
  } catch (error) {
    if (!(error instanceof CommitConflict)) throw error;
    const existing = await deps.store.get({ type: 'membership', userId: user.id, orgId: invitation.orgId });
    if (!existing) return undefined;
    caller.memberships.push(existing);
    return existing;
  }
  caller.memberships.push(membership);
  return membership;
}

/**
 * The caller as an actor of `organisation`, or undefined when they hold nothing there. A token
 * acts in its own organisation. A person acts with their membership's roles joined with those
 * their directory groups give; a person with neither who has a pending invitation for their
 * verified email accepts it here, on their first request to the organisation.
 */
export async function actorIn(deps: Deps, caller: Caller, organisation: Organisation): Promise<Actor | undefined> {
  if (caller.type === 'token') return caller.token.orgId === organisation.id ? { ...caller.token, type: 'token' } : undefined;
  const grants: Grant[] = [];
  const membership = caller.memberships.find((candidate) => candidate.orgId === organisation.id);
  if (membership) grants.push(membership);
  grants.push(...(await groupGrants(deps, organisation.id, caller.claims.groups)));
  if (grants.length === 0 && canAcceptInvitations(caller.user)) {
    const invitation = await deps.store.get({ type: 'invitation', orgId: organisation.id, email: caller.user.email });
    const accepted = invitationLive(deps, invitation) ? await acceptInvitation(deps, caller, invitation) : undefined;
    if (accepted) grants.push(accepted);
  }
  const merged = mergeGrants(grants);
  return hasRoles(merged.roles) ? personActor(caller.user, organisation.id, merged) : undefined;
}

/** The organisation a request without one in its path acts on: a token's own, a person's first. */
export function defaultOrganisationOf(caller: Caller): string | undefined {
  return caller.type === 'token' ? caller.token.orgId : caller.memberships[0]?.orgId;
}

export interface OrganisationAccess {
  id: string;
  name: string;
  roles: Roles;
}

/**
 * Every organisation the caller may act in, with their roles there. For a person this is also
 * sign-in: pending invitations for their verified email are accepted first, so a newly invited
 * person lands in the organisation on their first visit.
 */
export async function organisationsOf(deps: Deps, caller: Caller): Promise<OrganisationAccess[]> {
  const orgIds = new Set<string>();
  if (caller.type === 'token') orgIds.add(caller.token.orgId);
  else {
    if (canAcceptInvitations(caller.user)) {
      for (const invitation of await deps.store.listAll({ of: 'invitations-for-email', email: caller.user.email })) {
        if (!caller.memberships.some((membership) => membership.orgId === invitation.orgId) && invitationLive(deps, invitation)) await acceptInvitation(deps, caller, invitation);
      }
    }
    for (const membership of caller.memberships) orgIds.add(membership.orgId);
    for (const group of caller.claims.groups.slice(0, MAX_GROUPS_CONSIDERED)) {
      for (const rule of await deps.store.listAll({ of: 'group-rules-for-group', group })) orgIds.add(rule.orgId);
    }
  }
  const result: OrganisationAccess[] = [];
  for (const orgId of orgIds) {
    const organisation = await deps.store.get({ type: 'organisation', id: orgId });
    const actor = organisation ? await actorIn(deps, caller, organisation) : undefined;
    if (organisation && actor) result.push({ id: organisation.id, name: organisation.name, roles: actor.roles });
  }
  return result.sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

/** `GET /admin/v1/me`: who the caller is, where they may act, and why not when nowhere. */
export async function describeCaller(deps: Deps, caller: Caller) {
  const organisations = await organisationsOf(deps, caller);
  if (caller.type === 'token') {
    const { token } = caller;
    return { type: 'token' as const, id: token.id, name: token.name, organisations };
  }
  const { user } = caller;
  let hint: string | undefined;
  if (organisations.length === 0) {
    hint = !user.email
      ? 'Your sign-in token carries no email address, so no invitation can match it: sign in through the dashboard (it sends the ID token), or ask an organisation admin to add you.'
      : !user.emailVerified
        ? `Your identity provider has not verified ${user.email}, so invitations to it cannot be accepted: verify it there, or ask an organisation admin for a group rule.`
        : `No organisation has invited ${user.email}: ask an organisation admin to invite you.`;
  }
  return {
    type: 'user' as const,
    id: user.id,
    issuer: user.issuer,
    subject: user.subject,
    email: user.email,
    emailVerified: user.emailVerified,
    name: user.name,
    groups: caller.claims.groups,
    organisations,
    ...(hint ? { hint } : {}),
  };
}

// --- Members -------------------------------------------------------------------------------------

export async function listMembers(deps: Deps, organisation: Organisation, page: PageRequest): Promise<Page<Membership>> {
  return deps.store.list({ of: 'members', orgId: organisation.id }, page);
}

async function memberOf(deps: Deps, organisation: Organisation, userId: string): Promise<Membership> {
  const membership = await deps.store.get({ type: 'membership', userId, orgId: organisation.id });
  if (!membership) throw new NotFound(`No member ${userId} in this organisation.`);
  return membership;
}

/** Replaces a member's roles; effective on their next request. Nobody changes their own. */
export async function updateMember(deps: Deps, actor: Actor, organisation: Organisation, userId: string, body: z.infer<typeof schemas.updateMemberBody>): Promise<Membership> {
  const membership = await memberOf(deps, organisation, userId);
  if (userId === actor.id) throw new Forbidden('You cannot change your own roles: ask another organisation admin.');
  const expected = expectVersion(membership.version, body.version, 'The membership');
  const environmentProjects = await rolesWithin(deps, organisation, body.roles, 'The roles name');
  const next: Membership = { ...membership, roles: body.roles, environmentProjects, version: expected + 1, updatedAt: isoNow(deps) };
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: next, expect: expected },
      eventWrite(deps, actor, { detailType: 'member.changed', action: 'updated', orgId: organisation.id, subject: { kind: 'member', id: userId, email: membership.email }, before: membership, after: next, version: next.version }),
    ],
    async () => new Conflict('The membership changed meanwhile: reload and try again.'),
  );
  return next;
}

/** Removes a member: refused on their next request. Nobody removes themselves. */
export async function removeMember(deps: Deps, actor: Actor, organisation: Organisation, userId: string): Promise<void> {
  const membership = await memberOf(deps, organisation, userId);
  if (userId === actor.id) throw new Forbidden('You cannot remove yourself: ask another organisation admin.');
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'membership', userId, orgId: organisation.id }, expect: membership.version },
      eventWrite(deps, actor, { detailType: 'member.changed', action: 'deleted', orgId: organisation.id, subject: { kind: 'member', id: userId, email: membership.email }, before: membership, after: null }),
    ],
    async () => new Conflict('The membership changed meanwhile: reload and try again.'),
  );
}

/**
 * Makes a person a member directly, creating their user if needed (the local stack's demo user).
 * Does nothing when they are a member already.
 */
export async function addMember(deps: Deps, actor: Actor, organisation: Organisation, person: { issuer: string; subject: string; email: string; name: string }, roles: Roles): Promise<void> {
  const userId = userIdOf(person.issuer, person.subject);
  if (await deps.store.get({ type: 'membership', userId, orgId: organisation.id })) return;
  const at = isoNow(deps);
  const email = person.email.toLowerCase();
  const writes: Write[] = [];
  if (!(await deps.store.get({ type: 'user', id: userId }))) {
    writes.push({ kind: 'put', entity: { type: 'user', id: userId, issuer: person.issuer, subject: person.subject, email, emailVerified: true, name: person.name, createdAt: at, updatedAt: at, version: 1 }, expect: 'absent' });
  }
  const grant = { roles, environmentProjects: await rolesWithin(deps, organisation, roles, 'The roles name') };
  const membership = newMembership({ id: userId, subject: person.subject, email, name: person.name }, organisation.id, grant, at);
  writes.push(
    { kind: 'put', entity: membership, expect: 'absent' },
    eventWrite(deps, actor, { detailType: 'member.changed', action: 'created', orgId: organisation.id, subject: { kind: 'member', id: userId, email }, before: null, after: membership, version: 1 }),
  );
  await commitOrConflict(deps, writes, async () => new Conflict('That person became a member meanwhile.'));
}

// --- Invitations ---------------------------------------------------------------------------------

export type InvitationView = Omit<Invitation, 'expiresAt'>;
const invitationView = ({ expiresAt: _expiresAt, ...view }: Invitation): InvitationView => view;

/** The write of an invitation, with its TTL derived from `expires` (the store strips it on read). */
const invitationWrite = (invitation: Invitation): Write => ({
  kind: 'put',
  entity: { ...invitation, expiresAt: Math.ceil(Date.parse(invitation.expires) / 1000) },
});

/** Pending invitations (expired ones are left for DynamoDB's TTL to delete, and not shown). */
export async function listInvitations(deps: Deps, organisation: Organisation): Promise<InvitationView[]> {
  return (await deps.store.listAll({ of: 'invitations', orgId: organisation.id })).filter((invitation) => invitationLive(deps, invitation)).map(invitationView);
}

/**
 * Invites an email address with roles. Inviting an address again replaces its pending
 * invitation (new roles, new expiry). Where Vexilla owns the user directory (its Cognito pool),
 * the account is created there first, and Cognito emails the person how to sign in.
 */
export async function createInvitation(deps: Deps, actor: Actor, organisation: Organisation, body: z.infer<typeof schemas.createInvitationBody>): Promise<InvitationView> {
  const email = body.email;
  const members = await deps.store.list({ of: 'members', orgId: organisation.id, email }, { limit: 1 });
  if (members.items.length > 0) throw new Conflict(`${email} is already a member of this organisation: change their roles instead.`, { userId: members.items[0]?.userId });
  const environmentProjects = await rolesWithin(deps, organisation, body.roles, 'The invitation names');
  const previous = await deps.store.get({ type: 'invitation', orgId: organisation.id, email });
  const at = deps.clock();
  const invitation: Invitation = {
    type: 'invitation',
    id: newId('inv'),
    orgId: organisation.id,
    email,
    roles: body.roles,
    environmentProjects,
    createdAt: at.toISOString(),
    expires: new Date(at.getTime() + body.expiresInDays * 86_400_000).toISOString(),
    createdBy: actorRef(actor),
    version: (previous?.version ?? 0) + 1,
  };
  await deps.directory?.invite(email);
  await deps.store.commit([
    invitationWrite(invitation),
    eventWrite(deps, actor, {
      detailType: 'member.changed',
      action: previous ? 'updated' : 'created',
      orgId: organisation.id,
      subject: { kind: 'invitation', id: invitation.id, email },
      before: previous ? invitationView(previous) : null,
      after: invitationView(invitation),
    }),
  ]);
  return invitationView(invitation);
}

export async function revokeInvitation(deps: Deps, actor: Actor, organisation: Organisation, invitationId: string): Promise<void> {
  const invitation = (await deps.store.listAll({ of: 'invitations', orgId: organisation.id })).find((candidate) => candidate.id === invitationId);
  if (!invitation) throw new NotFound(`No invitation ${invitationId} in this organisation.`);
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'invitation', orgId: organisation.id, email: invitation.email }, expect: invitation.version },
      eventWrite(deps, actor, { detailType: 'member.changed', action: 'deleted', orgId: organisation.id, subject: { kind: 'invitation', id: invitation.id, email: invitation.email }, before: invitationView(invitation), after: null }),
    ],
    async () => new Conflict('The invitation changed meanwhile (accepted, or sent again): reload and try again.'),
  );
}

// --- Group rules ---------------------------------------------------------------------------------

/** At most this many group rules per organisation (each request of a grouped person reads them all). */
export const MAX_GROUP_RULES = 100;

export async function listGroupRules(deps: Deps, organisation: Organisation): Promise<(GroupRule & { id: string })[]> {
  return (await deps.store.listAll({ of: 'group-rules', orgId: organisation.id })).map((rule) => ({ ...rule, id: groupRuleIdOf(rule.group) }));
}

/** Sets the roles a directory group gives in the organisation (creating the rule, or replacing its roles). */
export async function putGroupRule(deps: Deps, actor: Actor, organisation: Organisation, body: z.infer<typeof schemas.putGroupRuleBody>): Promise<GroupRule & { id: string }> {
  const previous = await deps.store.get({ type: 'group-rule', orgId: organisation.id, group: body.group });
  if (!previous && (await deps.store.listAll({ of: 'group-rules', orgId: organisation.id })).length >= MAX_GROUP_RULES) {
    throw new Conflict(`An organisation has at most ${MAX_GROUP_RULES} group rules.`);
  }
  const expected = previous ? expectVersion(previous.version, body.version, 'The group rule') : undefined;
  const environmentProjects = await rolesWithin(deps, organisation, body.roles, 'The rule names');
  const at = isoNow(deps);
  const rule: GroupRule = {
    type: 'group-rule',
    orgId: organisation.id,
    group: body.group,
    roles: body.roles,
    environmentProjects,
    createdAt: previous?.createdAt ?? at,
    updatedAt: at,
    version: (expected ?? 0) + 1,
  };
  const id = groupRuleIdOf(body.group);
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: rule, expect: expected ?? 'absent' },
      eventWrite(deps, actor, { detailType: 'member.changed', action: previous ? 'updated' : 'created', orgId: organisation.id, subject: { kind: 'group-rule', id, group: body.group }, before: previous ?? null, after: rule, version: rule.version }),
    ],
    async () => new Conflict('The group rule changed meanwhile: reload and try again.'),
  );
  return { ...rule, id };
}

export async function deleteGroupRule(deps: Deps, actor: Actor, organisation: Organisation, ruleId: string): Promise<void> {
  const rule = (await deps.store.listAll({ of: 'group-rules', orgId: organisation.id })).find((candidate) => groupRuleIdOf(candidate.group) === ruleId);
  if (!rule) throw new NotFound(`No group rule ${ruleId} in this organisation.`);
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'group-rule', orgId: organisation.id, group: rule.group }, expect: rule.version },
      eventWrite(deps, actor, { detailType: 'member.changed', action: 'deleted', orgId: organisation.id, subject: { kind: 'group-rule', id: ruleId, group: rule.group }, before: rule, after: null }),
    ],
    async () => new Conflict('The group rule changed meanwhile: reload and try again.'),
  );
}
