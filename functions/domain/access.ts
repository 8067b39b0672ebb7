/**
 * Who may do what. Pure: given a token's roles and the resource's place in the hierarchy,
 * decide. Viewers read; editors also change flags, segments, overrides and identities; admins
 * also manage environments, keys, tokens and webhooks. Organisation admins do everything in
 * their organisation, and no token reaches another organisation.
 */
import { getOwn } from '../engine/records.js';
import type { AdminToken, Role } from './entities.js';

export type Action = 'read' | 'write' | 'admin';

/** Where a resource sits: its organisation always, its project and environment when it has them. */
export interface Scope {
  orgId: string;
  projectId?: string | undefined;
  envId?: string | undefined;
}

const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };
const NEEDED: Record<Action, number> = { read: 1, write: 2, admin: 3 };

/** The strongest role the token holds on the scope: its environment's, its project's, or the organisation's. */
export function roleOn(token: Pick<AdminToken, 'orgId' | 'roles' | 'environmentProjects'>, scope: Scope): Role | undefined {
  if (token.orgId !== scope.orgId) return undefined;
  if (token.roles.organisation === 'admin') return 'admin';
  // Every member of an organisation may read the organisation itself (its name, its listings,
  // which are filtered to what the member can see); only organisation admins change it.
  if (!scope.projectId && !scope.envId) {
    const member = Object.keys(token.roles.projects ?? {}).length > 0 || Object.keys(token.roles.environments ?? {}).length > 0;
    return member ? 'viewer' : undefined;
  }
  // Own roles only: an id such as `constructor` must not find Object.prototype's.
  const candidates: (Role | undefined)[] = [
    scope.projectId ? getOwn(token.roles.projects, scope.projectId) : undefined,
    scope.envId ? getOwn(token.roles.environments, scope.envId) : undefined,
  ];
  let best: Role | undefined;
  for (const role of candidates) if (role && (!best || RANK[role] > RANK[best])) best = role;
  // A role on one environment lets its holder read the project around it (its features,
  // segments and the environments listing, which shows only what the holder may see).
  if (!best && scope.projectId && !scope.envId && Object.values(token.environmentProjects ?? {}).includes(scope.projectId)) {
    return 'viewer';
  }
  return best;
}

export function allows(token: Pick<AdminToken, 'orgId' | 'roles' | 'environmentProjects'>, scope: Scope, action: Action): boolean {
  const role = roleOn(token, scope);
  return role !== undefined && RANK[role] >= NEEDED[action];
}
