/**
 * Who is calling, what the path points at, and whether the one may act on the other.
 * Resources of another organisation answer 404, exactly like resources that do not exist.
 *
 * Two kinds of caller, told apart by the credential's shape alone: an admin token (`vxa_` and
 * base62, no dots) or a sign-in token from the identity provider (a JWS: three base64url parts
 * separated by dots). Environment keys (22 base62 characters, or `ser.` and 40) are neither.
 */
import { type Action, allows, type Scope } from '../domain/access.js';
import type { AdminToken, Entity, Environment, Organisation, Project } from '../domain/entities.js';
import { Forbidden, NotFound, Unauthenticated } from '../domain/errors.js';
import type { EntityRef, Store } from '../domain/ports.js';
import { type Caller, actorIn, defaultOrganisationOf, identifyPerson } from '../domain/use-cases/people.js';
import { type Actor, type Deps, hashSecret, type Resolved } from '../domain/use-cases/support.js';
import type { SignInVerifier } from './sign-in-verifier.js';

const BEARER = /^Bearer\s+(\S+)$/i;
const ADMIN_TOKEN = /^vxa_[A-Za-z0-9]{1,200}$/;
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** The entity a path names first (its environment, else project, else organisation), read with the caller's token. */
export interface Prefetched {
  ref: PathRef;
  entity: Entity | undefined;
}
type PathRef = { type: 'environment' | 'project' | 'organisation'; id: string };

/** What a path names first: resolve's first read, which `authenticate` can make in the same round trip as the token's. */
export function pathRef(params: Record<string, string | undefined>): PathRef | undefined {
  if (params.envId) return { type: 'environment', id: params.envId };
  if (params.projectId) return { type: 'project', id: params.projectId };
  if (params.orgId) return { type: 'organisation', id: params.orgId };
  return undefined;
}

/**
 * Who is calling. `alongside` (the path's {@link pathRef}) is read in the same round trip as an
 * admin token (one BatchGetItem rather than two reads one after the other), or beside a person's
 * roles, and handed to `resolve`.
 */
export async function authenticate(
  deps: Deps,
  verify: SignInVerifier | undefined,
  headers: Record<string, string>,
  alongside?: PathRef,
): Promise<{ caller: Caller; prefetched?: Prefetched }> {
  const match = BEARER.exec(headers.authorization ?? '');
  if (!match?.[1]) throw new Unauthenticated('Send an admin token or a sign-in token: Authorization: Bearer <token>.');
  const secret = match[1];
  if (ADMIN_TOKEN.test(secret)) {
    const tokenRef = { type: 'token', hash: hashSecret(secret) } as const;
    const [token, entity] = alongside ? await deps.store.getMany([tokenRef, alongside]) : [await deps.store.get(tokenRef), undefined];
    if (!token) throw new Unauthenticated('The admin token is unknown or revoked.');
    return { caller: { type: 'token', token }, ...(alongside ? { prefetched: { ref: alongside, entity } } : {}) };
  }
  if (JWS.test(secret)) {
    if (!verify) throw new Unauthenticated('Signing in with an identity provider is not configured here: use an admin token.');
    const claims = await verify(secret);
    const [caller, entity] = await Promise.all([identifyPerson(deps, claims), alongside ? deps.store.get(alongside) : undefined]);
    return { caller, ...(alongside ? { prefetched: { ref: alongside, entity } } : {}) };
  }
  throw new Unauthenticated('That is neither an admin token nor a sign-in token; environment keys cannot call the management API.');
}

/**
 * The caller (a token, or a person's roles in one organisation) as it grants today: roles on projects and environments that no longer exist are
 * dropped, so they grant nothing, not even what they bring with them (an environment role's
 * reads of its project, a member's reads of the organisation). One consistent read per scoped
 * role, all in one round trip; organisation admins cost none.
 */
export async function withLiveRoles<T extends Pick<AdminToken, 'orgId' | 'roles' | 'environmentProjects'>>(store: Store, token: T): Promise<T> {
  const projects = Object.entries(token.roles.projects ?? {});
  const environments = Object.entries(token.roles.environments ?? {});
  if (projects.length === 0 && environments.length === 0) return token;
  const found = await store.getMany([...projects.map(([id]) => ({ type: 'project', id }) as const), ...environments.map(([id]) => ({ type: 'environment', id }) as const)]);
  const live = found.map((entity) => entity?.orgId === token.orgId);
  const liveProjects = live.slice(0, projects.length);
  const liveEnvironments = live.slice(projects.length);
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
 * caller's organisations is not found. Two round trips at most: what the path names first
 * (`prefetched` when `authenticate` read it), then its project and organisation together.
 */
export async function resolve(deps: Deps, caller: Caller, params: Record<string, string>, prefetched?: Prefetched): Promise<{ resolved: Resolved; actor: Actor }> {
  const { store } = deps;
  // What a caller outside the organisation is told: the most specific thing the path names is not here.
  const notFound = new NotFound(
    params.envId ? `No environment ${params.envId} here.` : params.projectId ? `No project ${params.projectId} here.` : `No organisation ${params.orgId ?? ''} here.`,
  );
  const read = async <R extends PathRef>(ref: R) =>
    (prefetched && prefetched.ref.type === ref.type && prefetched.ref.id === ref.id ? prefetched.entity : await store.get(ref as EntityRef)) as Extract<Entity, { type: R['type'] }> | undefined;
  let environment: Environment | undefined;
  let project: Project | undefined;
  let organisation: Organisation | undefined;
  if (params.envId) {
    environment = await read({ type: 'environment', id: params.envId });
    if (!environment) throw notFound;
    [project, organisation] = await store.getMany([
      { type: 'project', id: environment.projectId },
      { type: 'organisation', id: environment.orgId },
    ]);
    if (!project || project.orgId !== environment.orgId) throw notFound;
  } else if (params.projectId) {
    project = await read({ type: 'project', id: params.projectId });
    if (!project || (params.orgId !== undefined && project.orgId !== params.orgId)) throw notFound;
    organisation = await store.get({ type: 'organisation', id: project.orgId });
  } else {
    // Routes without a resource in the path act on the caller's own organisation.
    const orgId = params.orgId ?? defaultOrganisationOf(caller);
    organisation = orgId ? await read({ type: 'organisation', id: orgId }) : undefined;
  }
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
