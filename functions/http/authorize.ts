/**
 * Who is calling, what the path points at, and whether the one may act on the other.
 * Resources of another organisation answer 404, exactly like resources that do not exist.
 */
import { type Action, allows, type Scope } from '../domain/access.js';
import type { AdminToken } from '../domain/entities.js';
import { Forbidden, NotFound, Unauthenticated } from '../domain/errors.js';
import type { Store } from '../domain/ports.js';
import { hashSecret, type Resolved } from '../domain/use-cases/support.js';

const BEARER = /^Bearer\s+(\S+)$/i;

export async function authenticate(store: Store, headers: Record<string, string>): Promise<AdminToken> {
  const match = BEARER.exec(headers.authorization ?? '');
  if (!match?.[1]) throw new Unauthenticated('Send an admin token: Authorization: Bearer <token>.');
  const secret = match[1];
  if (!secret.startsWith('vxa_')) {
    throw new Unauthenticated('That is not an admin token; environment keys cannot call the management API.');
  }
  const token = await store.get({ type: 'token', hash: hashSecret(secret) });
  if (!token) throw new Unauthenticated('The admin token is unknown or revoked.');
  return token;
}

/**
 * The token as it grants today: roles on projects and environments that no longer exist are
 * dropped, so they grant nothing, not even what they bring with them (an environment role's
 * reads of its project, a member's reads of the organisation). One consistent read per scoped
 * role; organisation admins cost none.
 */
export async function withLiveRoles(store: Store, token: AdminToken): Promise<AdminToken> {
  const projects = Object.entries(token.roles.projects ?? {});
  const environments = Object.entries(token.roles.environments ?? {});
  if (projects.length === 0 && environments.length === 0) return token;
  const [liveProjects, liveEnvironments] = await Promise.all([
    Promise.all(projects.map(async ([id]) => (await store.get({ type: 'project', id }))?.orgId === token.orgId)),
    Promise.all(environments.map(async ([id]) => (await store.get({ type: 'environment', id }))?.orgId === token.orgId)),
  ]);
  if (liveProjects.every(Boolean) && liveEnvironments.every(Boolean)) return token;
  const keptEnvironments = environments.filter((_, i) => liveEnvironments[i]);
  const environmentProjects = Object.fromEntries(Object.entries(token.environmentProjects ?? {}).filter(([envId]) => keptEnvironments.some(([id]) => id === envId)));
  return {
    ...token,
    roles: {
      ...token.roles,
      projects: Object.fromEntries(projects.filter((_, i) => liveProjects[i])),
      environments: Object.fromEntries(keptEnvironments),
    },
    environmentProjects,
  };
}

/** Loads the organisation, project and environment a path names, within the caller's organisation. */
export async function resolve(store: Store, token: AdminToken, params: Record<string, string>): Promise<Resolved> {
  const hidden = (what: string) => new NotFound(`No ${what} ${params[`${what}Id`] ?? ''} here.`);
  let orgId = params.orgId;
  let projectId = params.projectId;
  const environment = params.envId ? await store.get({ type: 'environment', id: params.envId }) : undefined;
  if (params.envId) {
    if (environment?.orgId !== token.orgId) throw new NotFound(`No environment ${params.envId} here.`);
    projectId = environment.projectId;
    orgId = environment.orgId;
  }
  const project = projectId ? await store.get({ type: 'project', id: projectId }) : undefined;
  if (projectId) {
    if (project?.orgId !== token.orgId) throw hidden('project');
    orgId = project.orgId;
  }
  // Routes without a resource in the path (listing organisations) act on the caller's own.
  orgId ??= token.orgId;
  if (orgId !== token.orgId) throw new NotFound(`No organisation ${orgId} here.`);
  const organisation = await store.get({ type: 'organisation', id: orgId });
  if (!organisation) throw new NotFound(`No organisation ${orgId} here.`);
  return { organisation, project, environment };
}

export function authorize(token: AdminToken, resolved: Resolved, action: Action): void {
  const scope: Scope = { orgId: resolved.organisation.id, projectId: resolved.project?.id, envId: resolved.environment?.id };
  if (!allows(token, scope, action)) {
    throw new Forbidden(`This token may not ${action === 'read' ? 'read' : action === 'write' ? 'change' : 'administer'} this ${resolved.environment ? 'environment' : resolved.project ? 'project' : 'organisation'}.`);
  }
}
