/**
 * What the people operations answer (who is signed in, members, invitations, directory-group
 * rules), as zod schemas keyed by operation name: the OpenAPI document describes their responses
 * from them (functions/http/openapi.ts), so the dashboard's Members page is typed by the generated
 * client. Each is checked against the domain type (`satisfies`), and
 * test/integration/people-responses.test.ts parses real answers with them.
 */
import * as z from 'zod';
import type { GroupRule, Membership } from '../domain/entities.js';
import type { describeCaller, InvitationView } from '../domain/use-cases/people.js';
import { actorRefSchema } from '../domain/actor-schema.js';
import { registry, token } from './responses.js';

/** The roles a member, an invitation or a group rule gives: the same grants an admin token holds. */
const roles = token.shape.roles;
const environmentProjects = z.record(z.string(), z.string()).optional().describe('The project of each environment in `roles.environments`.');
const stamped = { createdAt: z.string(), updatedAt: z.string(), version: z.number().int() };

export const membership = z
  .object({
    type: z.literal('membership'),
    orgId: z.string(),
    userId: z.string(),
    subject: z.string().describe("The person's subject (sub) at the identity provider."),
    email: z.string(),
    name: z.string(),
    roles,
    environmentProjects,
    invitedBy: actorRefSchema.optional().describe('Who invited them, when they joined through an invitation.'),
    ...stamped,
  })
  .register(registry, { id: 'Member' }) satisfies z.ZodType<Membership>;

export const invitation = z
  .object({
    type: z.literal('invitation'),
    id: z.string(),
    orgId: z.string(),
    email: z.string(),
    roles,
    environmentProjects,
    createdAt: z.string(),
    expires: z.string().describe('When it stops being accepted.'),
    createdBy: actorRefSchema,
    version: z.number().int(),
  })
  .register(registry, { id: 'Invitation' }) satisfies z.ZodType<InvitationView>;

export const groupRule = z
  .object({ type: z.literal('group-rule'), id: z.string(), orgId: z.string(), group: z.string(), roles, environmentProjects, ...stamped })
  .register(registry, { id: 'GroupRule' }) satisfies z.ZodType<GroupRule & { id: string }>;

const organisationAccess = z.object({ id: z.string(), name: z.string(), roles }).register(registry, { id: 'OrganisationAccess' });
const organisations = z.array(organisationAccess).describe('Every organisation the caller may act in, with their roles there.');
export const me = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('token'), id: z.string(), name: z.string(), organisations }),
    z.object({
      type: z.literal('user'),
      id: z.string(),
      issuer: z.string(),
      subject: z.string(),
      email: z.string().describe('Empty when the identity provider sent none.'),
      emailVerified: z.boolean(),
      name: z.string(),
      groups: z.array(z.string()).describe("The directory groups the person's token lists."),
      organisations,
      hint: z.string().optional().describe('Why the person may act nowhere (no organisation), and what to do.'),
    }),
  ])
  .register(registry, { id: 'Me' }) satisfies z.ZodType<Awaited<ReturnType<typeof describeCaller>>>;

/** The success body of each people operation (removals and revocations answer 204). */
export const peopleResponses: Record<string, z.ZodType> = {
  getMe: me,
  listMembers: z.object({ items: z.array(membership), cursor: z.string().optional().describe('Pass it back for the next page; absent on the last.') }),
  updateMember: membership,
  listInvitations: z.object({ items: z.array(invitation) }),
  createInvitation: invitation,
  listGroupRules: z.object({ items: z.array(groupRule) }),
  putGroupRule: groupRule,
};
