/**
 * An organisation's people: members, pending invitations and directory-group rules, through the
 * generated client. The OpenAPI document does not describe these answers yet (they are `unknown`
 * in schema.gen.ts), so the fields this page reads are typed here, from functions/domain/entities.ts.
 */
import { queryOptions } from '@tanstack/react-query';
import { api, type Body, fetchAll, unwrap } from '../../../api/client';

export type Roles = Body<'updateMember'>['roles'];
export type Role = 'admin' | 'editor' | 'viewer';

export interface Member {
  userId: string;
  email: string;
  name: string;
  roles: Roles;
  version: number;
  createdAt: string;
}

export interface Invitation {
  id: string;
  email: string;
  roles: Roles;
  expires: string;
  createdAt: string;
}

export interface GroupRule {
  id: string;
  group: string;
  roles: Roles;
  version: number;
}

export const peopleKeys = {
  members: (orgId: string) => ['members', orgId] as const,
  invitations: (orgId: string) => ['invitations', orgId] as const,
  groupRules: (orgId: string) => ['group-rules', orgId] as const,
};

const path = (orgId: string) => ({ params: { path: { orgId } } });

export const membersQuery = (orgId: string) =>
  queryOptions({
    queryKey: peopleKeys.members(orgId),
    queryFn: () =>
      fetchAll((cursor) => unwrap(api.GET('/admin/v1/organisations/{orgId}/members', { params: { path: { orgId }, query: { limit: 100, cursor } } })) as Promise<{ items: Member[]; cursor?: string }>),
    // A 403 (not an organisation admin) is the answer to show, not one to retry.
    retry: false,
  });

export const invitationsQuery = (orgId: string) =>
  queryOptions({
    queryKey: peopleKeys.invitations(orgId),
    queryFn: async () => listItems<Invitation>(await unwrap(api.GET('/admin/v1/organisations/{orgId}/invitations', path(orgId)))),
    retry: false,
  });

export const groupRulesQuery = (orgId: string) =>
  queryOptions({
    queryKey: peopleKeys.groupRules(orgId),
    queryFn: async () => listItems<GroupRule>(await unwrap(api.GET('/admin/v1/organisations/{orgId}/group-rules', path(orgId)))),
    retry: false,
  });

/** These lists answer `{items}`. */
function listItems<T>(body: unknown): T[] {
  const items = (body as { items?: unknown } | undefined)?.items;
  return Array.isArray(items) ? (items as T[]) : [];
}

export const updateMember = (orgId: string, userId: string, body: Body<'updateMember'>) =>
  unwrap(api.PATCH('/admin/v1/organisations/{orgId}/members/{userId}', { params: { path: { orgId, userId } }, body })) as Promise<Member>;
export const removeMember = (orgId: string, userId: string) => unwrap(api.DELETE('/admin/v1/organisations/{orgId}/members/{userId}', { params: { path: { orgId, userId } } }));
export const createInvitation = (orgId: string, body: Body<'createInvitation'>) =>
  unwrap(api.POST('/admin/v1/organisations/{orgId}/invitations', { ...path(orgId), body })) as Promise<Invitation>;
export const revokeInvitation = (orgId: string, invitationId: string) =>
  unwrap(api.DELETE('/admin/v1/organisations/{orgId}/invitations/{invitationId}', { params: { path: { orgId, invitationId } } }));
export const putGroupRule = (orgId: string, body: Body<'putGroupRule'>) => unwrap(api.POST('/admin/v1/organisations/{orgId}/group-rules', { ...path(orgId), body })) as Promise<GroupRule>;
export const deleteGroupRule = (orgId: string, ruleId: string) => unwrap(api.DELETE('/admin/v1/organisations/{orgId}/group-rules/{ruleId}', { params: { path: { orgId, ruleId } } }));
