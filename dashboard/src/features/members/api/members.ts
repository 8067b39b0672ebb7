/**
 * An organisation's people: members, pending invitations and directory-group rules, through the
 * generated client (typed from the route table's response schemas, functions/http/people-responses.ts).
 */
import { queryOptions } from '@tanstack/react-query';
import { api, type Body, fetchAll, type Schemas, unwrap } from '../../../api/client';

export type Roles = Body<'updateMember'>['roles'];
export type Role = 'admin' | 'editor' | 'viewer';
export type Member = Schemas['Member'];
export type Invitation = Schemas['Invitation'];
export type GroupRule = Schemas['GroupRule'];

export const peopleKeys = {
  members: (orgId: string) => ['members', orgId] as const,
  invitations: (orgId: string) => ['invitations', orgId] as const,
  groupRules: (orgId: string) => ['group-rules', orgId] as const,
};

const path = (orgId: string) => ({ params: { path: { orgId } } });

export const membersQuery = (orgId: string) =>
  queryOptions({
    queryKey: peopleKeys.members(orgId),
    queryFn: () => fetchAll((cursor) => unwrap(api.GET('/admin/v1/organisations/{orgId}/members', { params: { path: { orgId }, query: { limit: 100, cursor } } }))),
    // A 403 (not an organisation admin) is the answer to show, not one to retry.
    retry: false,
  });

export const invitationsQuery = (orgId: string) =>
  queryOptions({
    queryKey: peopleKeys.invitations(orgId),
    queryFn: async () => (await unwrap(api.GET('/admin/v1/organisations/{orgId}/invitations', path(orgId)))).items,
    retry: false,
  });

export const groupRulesQuery = (orgId: string) =>
  queryOptions({
    queryKey: peopleKeys.groupRules(orgId),
    queryFn: async () => (await unwrap(api.GET('/admin/v1/organisations/{orgId}/group-rules', path(orgId)))).items,
    retry: false,
  });

export const updateMember = (orgId: string, userId: string, body: Body<'updateMember'>) =>
  unwrap(api.PATCH('/admin/v1/organisations/{orgId}/members/{userId}', { params: { path: { orgId, userId } }, body }));
export const removeMember = (orgId: string, userId: string) => unwrap(api.DELETE('/admin/v1/organisations/{orgId}/members/{userId}', { params: { path: { orgId, userId } } }));
export const createInvitation = (orgId: string, body: Body<'createInvitation'>) =>
  unwrap(api.POST('/admin/v1/organisations/{orgId}/invitations', { ...path(orgId), body }));
export const revokeInvitation = (orgId: string, invitationId: string) =>
  unwrap(api.DELETE('/admin/v1/organisations/{orgId}/invitations/{invitationId}', { params: { path: { orgId, invitationId } } }));
export const putGroupRule = (orgId: string, body: Body<'putGroupRule'>) => unwrap(api.POST('/admin/v1/organisations/{orgId}/group-rules', { ...path(orgId), body }));
export const deleteGroupRule = (orgId: string, ruleId: string) => unwrap(api.DELETE('/admin/v1/organisations/{orgId}/group-rules/{ruleId}', { params: { path: { orgId, ruleId } } }));
