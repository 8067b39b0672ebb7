/**
 * Who is calling, what the path points at, and whether the one may act on the other.
 * Resources of another organisation answer 404, exactly like resources that do not exist.
 *
 * Two kinds of caller, told apart by the credential's shape alone: an admin token (`vxa_` and
 * base62, no dots) or a sign-in token from the identity provider (a JWS: three base64url parts
 * separated by dots). Environment keys (22 base62 characters, or `ser.` and 40) are neither.
 */
import { type Action, allows, type Scope } from '../domain/access.js';
import type { AdminToken } from '../domain/entities.js';
import { Forbidden, NotFound, Unauthenticated } from '../domain/errors.js';
import type { Store } from '../domain/ports.js';
import { type Caller, actorIn, defaultOrganisationOf, identifyPerson } from '../domain/use-cases/people.js';
import { type Actor, type Deps, hashSecret, type Resolved } from '../domain/use-cases/support.js';
import type { SignInVerifier } from './sign-in-verifier.js';

const BEARER = /^Bearer\s+(\S+)$/i;
const ADMIN_TOKEN = /^vxa_[A-Za-z0-9]{1,200}$/;
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export async function authenticate(deps: Deps, verify: SignInVerifier | undefined, headers: Record<string, string>): Promise<Caller> {
  const match = BEARER.exec(headers.authorization ?? '');
  if (!match?.[1]) throw new Unauthenticated('Send an admin token or a sign-in token: Authorization: Bearer <token>.');
  const secret = match[1];
  if (ADMIN_TOKEN.test(secret)) {
    const token = await deps.store.get({ type: 'token', hash: hashSecret(secret) });
    if (!token) throw new Unauthenticated('The admin token is unknown or revoked.');
    return { type: 'token', token };
  }
  if (JWS.test(secret)) {
    if (!verify) throw new Unauthenticated('Signing in with an identity provider is not configured here: use an admin token.');
    return identifyPerson(deps, await verify(secret));
  }
  throw new Unauthenticated('That is neither an admin token nor a sign-in token; environment keys cannot call the management API.');
}

/**
 * The caller (a token, or a person's roles in one organisation) as it grants today: roles on projects and environments that no longer exist are
 * dropped, so they grant nothing, not even what they bring with them (an environment role's
 * reads of its project, a member's reads of the organisation). One consistent read per scoped
 * role; organisation admins cost none.
 */
export async function withLiveRoles<T extends Pick<AdminToken, 'orgId' | 'roles' | 'environmentProjects'>>(store: Store, token: T): Promise<T> {
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

/**
 * Loads the organisation, project and environment a path names, and the caller as an actor of
 * that organisation (a person's roles there, read for this request). Anything outside the
 * caller's organisations is not found.
 */
export async function resolve(deps: Deps, caller: Caller, params: Record<string, string>): Promise<{ resolved: Resolved; actor: Actor }> {
  const { store } = deps;
  // What a caller outside the organisation is told: the most specific thing the path names is not here.
  const notFound = new NotFound(
    params.envId ? `No environment ${params.envId} here.` : params.projectId ? `No project ${params.projectId} here.` : `No organisation ${params.orgId ?? ''} here.`,
  );
  let orgId = params.orgId;
  let projectId = params.projectId;
  const environment = params.envId ? await store.get({ type: 'environment', id: params.envId }) : undefined;
  if (params.envId) {
    if (!environment) throw notFound;
    projectId = environment.projectId;
    orgId = environment.orgId;
  }
  const project = projectId ? await store.get({ type: 'project', id: projectId }) : undefined;
  if (projectId) {
    if (!project || (orgId !== undefined && project.orgId !== orgId)) throw notFound;
    orgId = project.orgId;
  }
  // Routes without a resource in the path act on the caller's own organisation.
  orgId ??= defaultOrganisationOf(caller);
  const organisation = orgId ? await store.get({ type: 'organisation', id: orgId }) : undefined;
  if (!organisation) throw notFound;
  const actor = await actorIn(deps, caller, organisation);
  if (!actor) throw notFound;
  return { resolved: { organisation, project, environment }, actor: await withLiveRoles(store, actor) };
}

export function authorize(actor: Actor, resolved: Resolved, action: Action): void {
  const scope: Scope = { orgId: resolved.organisation.id, projectId: resolved.project?.id, envId: resolved.environment?.id };
  if (!allows(actor, scope, action)) {
    const who = actor.type === 'user' ? 'You' : 'This token';
    throw new Forbidden(`${who} may not ${action === 'read' ? 'read' : action === 'write' ? 'change' : 'administer'} this ${resolved.environment ? 'environment' : resolved.project ? 'project' : 'organisation'}.`);
  }
}
