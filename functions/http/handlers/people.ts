import * as useCases from '../../domain/use-cases/people.js';
import * as schemas from '../../domain/schemas.js';
import { bodyAs, type Handler, ok, param, queryAs } from './context.js';

export const listMembers: Handler = async (c) => ok(await useCases.listMembers(c.deps, c.resolved.organisation, queryAs(c, schemas.listQuery)));
export const updateMember: Handler = async (c) =>
  ok(await useCases.updateMember(c.deps, c.actor, c.resolved.organisation, param(c, 'userId'), bodyAs(c, schemas.updateMemberBody)));
export const removeMember: Handler = async (c) => ok(await useCases.removeMember(c.deps, c.actor, c.resolved.organisation, param(c, 'userId')));

export const listInvitations: Handler = async (c) => ok({ items: await useCases.listInvitations(c.deps, c.resolved.organisation) });
export const createInvitation: Handler = async (c) =>
  ok(await useCases.createInvitation(c.deps, c.actor, c.resolved.organisation, bodyAs(c, schemas.createInvitationBody)));
export const revokeInvitation: Handler = async (c) => ok(await useCases.revokeInvitation(c.deps, c.actor, c.resolved.organisation, param(c, 'invitationId')));

export const listGroupRules: Handler = async (c) => ok({ items: await useCases.listGroupRules(c.deps, c.resolved.organisation) });
export const putGroupRule: Handler = async (c) => ok(await useCases.putGroupRule(c.deps, c.actor, c.resolved.organisation, bodyAs(c, schemas.putGroupRuleBody)));
export const deleteGroupRule: Handler = async (c) => ok(await useCases.deleteGroupRule(c.deps, c.actor, c.resolved.organisation, param(c, 'ruleId')));
