/**
 * Organisations, projects, environments, their API keys and admin tokens.
 */
import type * as z from 'zod';
import { allows } from '../access.js';
import type { AdminToken, ApiKey, Environment, Organisation, Project, Roles } from '../entities.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../errors.js';
import type { Page, PageRequest, Write } from '../ports.js';
import type * as schemas from '../schemas.js';
import {
  type Actor,
  eventWrite,
  commitOrConflict,
  type Deps,
  defined,
  expectVersion,
  hashSecret,
  isoNow,
  newId,
  randomToken,
} from './support.js';
import { purgeJob, startPurge } from './purges.js';

/** An API key without its hash: what listings show. */
export type ApiKeyView = Omit<ApiKey, 'hash'>;
export type TokenView = Omit<AdminToken, 'hash'>;
const keyView = ({ hash: _hash, ...view }: ApiKey): ApiKeyView => view;
const tokenView = ({ hash: _hash, ...view }: AdminToken): TokenView => view;

const ADMIN_TOKEN_PREFIX = 'vxa_';
const SERVER_KEY_PREFIX = 'ser.';

/** A new admin token: the secret is returned once and only its hash is kept. */
function mintToken(deps: Deps, fields: { orgId: string; name: string; roles: Roles; environmentProjects?: Record<string, string>; createdBy: string }) {
  const secret = `${ADMIN_TOKEN_PREFIX}${randomToken(40)}`;
  const token: AdminToken = {
    type: 'token',
    id: newId('tok'),
    hash: hashSecret(secret),
    prefix: secret.slice(0, ADMIN_TOKEN_PREFIX.length + 6),
    createdAt: isoNow(deps),
    ...fields,
  };
  return { secret, token };
}

function mintApiKey(deps: Deps, environment: Environment, kind: ApiKey['kind'], name: string, tenantKey?: string) {
  // Client keys are public (they ship in browsers); server keys carry Flagsmith's `ser.` prefix.
  const secret = kind === 'server' ? `${SERVER_KEY_PREFIX}${randomToken(40)}` : randomToken(22);
  const key: ApiKey = {
    type: 'api-key',
    id: newId('key'),
    hash: hashSecret(secret),
    kind,
    prefix: secret.slice(0, kind === 'server' ? 10 : 6),
    name,
    orgId: environment.orgId,
    projectId: environment.projectId,
    envId: environment.id,
    ...(tenantKey !== undefined ? { tenantKey } : {}),
    createdAt: isoNow(deps),
  };
  return { secret, key };
}

const SYSTEM: Actor = { id: 'system', name: 'bootstrap', orgId: '', roles: {} };

/**
 * The first organisation and its first admin token (the `vexilla bootstrap` command).
 * The token's secret is returned once.
 */
export async function bootstrapOrganisation(deps: Deps, input: { name: string; tokenName?: string }) {
  const at = isoNow(deps);
  const organisation: Organisation = { type: 'organisation', id: newId('org'), name: input.name, createdAt: at, updatedAt: at, version: 1 };
  const { secret, token } = mintToken(deps, {
    orgId: organisation.id,
    name: input.tokenName ?? 'bootstrap admin',
    roles: { organisation: 'admin' },
    createdBy: SYSTEM.name,
  });
  const actor = { ...SYSTEM, orgId: organisation.id };
  await deps.store.commit([
    { kind: 'put', entity: organisation, expect: 'absent' },
    { kind: 'put', entity: token, expect: 'absent' },
    eventWrite(deps, actor, { detailType: 'organisation.changed', action: 'created', orgId: organisation.id, subject: { kind: 'organisation', id: organisation.id }, before: null, after: organisation, version: 1 }),
  ]);
  return { organisation, token: tokenView(token), secret };
}

export async function updateOrganisation(deps: Deps, actor: Actor, organisation: Organisation, body: z.infer<typeof schemas.updateOrganisationBody>) {
  const expected = expectVersion(organisation.version, body.version, 'The organisation');
  const next: Organisation = { ...organisation, name: body.name, version: expected + 1, updatedAt: isoNow(deps) };
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: next, expect: expected },
      eventWrite(deps, actor, { detailType: 'organisation.changed', action: 'updated', orgId: next.id, subject: { kind: 'organisation', id: next.id }, before: organisation, after: next, version: next.version }),
    ],
    async () => new Conflict('The organisation changed meanwhile: reload and try again.'),
  );
  return next;
}

/** Projects the caller can see: all for organisation admins, otherwise those it holds a role in. */
export async function listProjects(deps: Deps, actor: Actor, organisation: Organisation, page: PageRequest): Promise<Page<Project>> {
  const listed = await deps.store.list({ of: 'projects', orgId: organisation.id }, page);
  return { ...listed, items: listed.items.filter((project) => allows(actor, { orgId: organisation.id, projectId: project.id }, 'read')) };
}

export async function createProject(deps: Deps, actor: Actor, organisation: Organisation, body: z.infer<typeof schemas.createProjectBody>) {
  const at = isoNow(deps);
  const project: Project = { type: 'project', id: newId('prj'), orgId: organisation.id, name: body.name, tenantTraitKey: body.tenantTraitKey, createdAt: at, updatedAt: at, version: 1 };
  await deps.store.commit([
    { kind: 'put', entity: project, expect: 'absent' },
    eventWrite(deps, actor, { detailType: 'project.changed', action: 'created', orgId: organisation.id, projectId: project.id, subject: { kind: 'project', id: project.id }, before: null, after: project, version: 1 }),
  ]);
  return project;
}

export async function updateProject(deps: Deps, actor: Actor, project: Project, body: z.infer<typeof schemas.updateProjectBody>) {
  const expected = expectVersion(project.version, body.version, 'The project');
  const { version: _version, ...changes } = body;
  const next: Project = { ...project, ...defined(changes), version: expected + 1, updatedAt: isoNow(deps) };
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: next, expect: expected },
      eventWrite(deps, actor, { detailType: 'project.changed', action: 'updated', orgId: project.orgId, projectId: project.id, subject: { kind: 'project', id: project.id }, before: project, after: next, version: next.version }),
    ],
    async () => new Conflict('The project changed meanwhile: reload and try again.'),
  );
  return next;
}

/** Deletes a project without environments; a purge job, committed with it, removes its features and segments. */
export async function deleteProject(deps: Deps, actor: Actor, project: Project) {
  const environments = await deps.store.list({ of: 'environments', projectId: project.id }, { limit: 1 });
  if (environments.items.length > 0) throw new Conflict('The project still has environments: delete them first.');
  const purge = purgeJob(deps, actor, { type: 'project', projectId: project.id }, { orgId: project.orgId, projectId: project.id });
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'project', id: project.id }, expect: project.version },
      eventWrite(deps, actor, { detailType: 'project.changed', action: 'deleted', orgId: project.orgId, projectId: project.id, subject: { kind: 'project', id: project.id }, before: project, after: null }),
      { kind: 'put', entity: purge, expect: 'absent' },
    ],
    async () => new Conflict('The project changed meanwhile: reload and try again.'),
  );
  await startPurge(deps, purge);
}

/** Environments of a project the caller can see: all with a project role, else those it holds a role in. */
export async function listEnvironments(deps: Deps, actor: Actor, project: Project, page: PageRequest): Promise<Page<Environment>> {
  const listed = await deps.store.list({ of: 'environments', projectId: project.id }, page);
  const items = listed.items.filter((environment) => allows(actor, { orgId: environment.orgId, projectId: project.id, envId: environment.id }, 'read'));
  return { ...listed, items };
}

/** A new environment with its client key (returned once). */
export async function createEnvironment(deps: Deps, actor: Actor, project: Project, body: z.infer<typeof schemas.createEnvironmentBody>) {
  const at = isoNow(deps);
  const id = newId('env');
  const environment: Environment = {
    type: 'environment',
    id,
    orgId: project.orgId,
    projectId: project.id,
    name: body.name,
    hashKey: body.hashKey ?? randomToken(22),
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  const { secret, key } = mintApiKey(deps, environment, 'client', 'client key');
  await deps.store.commit([
    { kind: 'put', entity: environment, expect: 'absent' },
    { kind: 'put', entity: key, expect: 'absent' },
    eventWrite(deps, actor, { detailType: 'environment.changed', action: 'created', orgId: project.orgId, projectId: project.id, envId: id, subject: { kind: 'environment', id }, before: null, after: environment, version: 1 }),
  ]);
  return { environment, clientKey: secret };
}

export async function updateEnvironment(deps: Deps, actor: Actor, environment: Environment, body: z.infer<typeof schemas.updateEnvironmentBody>) {
  const expected = expectVersion(environment.version, body.version, 'The environment');
  const { version: _version, ...changes } = body;
  const next: Environment = { ...environment, ...defined(changes), version: expected + 1, updatedAt: isoNow(deps) };
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: next, expect: expected },
      eventWrite(deps, actor, { detailType: 'environment.changed', action: 'updated', orgId: next.orgId, projectId: next.projectId, envId: next.id, subject: { kind: 'environment', id: next.id }, before: environment, after: next, version: next.version }),
    ],
    async () => new Conflict('The environment changed meanwhile: reload and try again.'),
  );
  return next;
}

/**
 * Deletes the environment. From that commit on nothing of it is served (its keys find no
 * environment) or reachable; the commit also revokes its keys (up to {@link KEYS_REVOKED_AT_ONCE})
 * and holds a purge job, which removes everything else it owned in the background: feature
 * states and their history, overrides, identities, webhooks and their deliveries, change
 * requests and scheduled changes.
 */
export async function deleteEnvironment(deps: Deps, actor: Actor, environment: Environment) {
  const [keys, webhooks] = await Promise.all([
    deps.store.listAll({ of: 'api-keys', envId: environment.id }),
    deps.store.listAll({ of: 'webhooks', envId: environment.id }),
  ]);
  const purge = purgeJob(
    deps,
    actor,
    { type: 'environment', projectId: environment.projectId, envId: environment.id, webhookIds: webhooks.map((webhook) => webhook.id) },
    { orgId: environment.orgId, projectId: environment.projectId },
  );
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'environment', id: environment.id }, expect: environment.version },
      ...keys.slice(0, KEYS_REVOKED_AT_ONCE).map((key): Write => ({ kind: 'delete', ref: { type: 'api-key', hash: key.hash } })),
      eventWrite(deps, actor, { detailType: 'environment.changed', action: 'deleted', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, subject: { kind: 'environment', id: environment.id }, before: environment, after: null }),
      { kind: 'put', entity: purge, expect: 'absent' },
    ],
    async () => new Conflict('The environment changed meanwhile: reload and try again.'),
  );
  await startPurge(deps, purge);
}

/** Keys deleted in the environment's own deletion commit; any beyond are the purge's (they already open nothing). */
const KEYS_REVOKED_AT_ONCE = 90;

export async function listApiKeys(deps: Deps, environment: Environment, kind: ApiKey['kind']): Promise<ApiKeyView[]> {
  const keys = await deps.store.listAll({ of: 'api-keys', envId: environment.id });
  return keys.filter((key) => key.kind === kind).map(keyView);
}

/**
 * A new server key (or a replacement client key): the secret is returned once. A server key may
 * be scoped to one existing tenant of the project (its per-tenant environment document).
 */
export async function createApiKey(deps: Deps, actor: Actor, environment: Environment, kind: ApiKey['kind'], name: string, tenantKey?: string) {
  if (tenantKey !== undefined) {
    if (kind !== 'server') throw new Invalid('Only server keys are scoped to a tenant.', [{ path: 'tenantKey', message: 'only server keys are scoped to a tenant' }]);
    const tenant = await deps.store.get({ type: 'tenant', projectId: environment.projectId, key: tenantKey });
    if (!tenant) throw new Invalid('The key is not valid.', [{ path: 'tenantKey', message: `no tenant ${tenantKey} in this project` }]);
  }
  const { secret, key } = mintApiKey(deps, environment, kind, name, tenantKey);
  const writes: Write[] = [{ kind: 'put', entity: key, expect: 'absent' }];
  // Rotating the client key retires the old one in the same commit.
  if (kind === 'client') {
    for (const old of await deps.store.listAll({ of: 'api-keys', envId: environment.id })) {
      if (old.kind === 'client') writes.push({ kind: 'delete', ref: { type: 'api-key', hash: old.hash } });
    }
  }
  writes.push(
    eventWrite(deps, actor, { detailType: 'api-key.changed', action: 'created', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, subject: { kind: `${kind}-key`, id: key.id }, before: null, after: keyView(key) }),
  );
  await deps.store.commit(writes);
  return { key: keyView(key), secret };
}

export async function revokeServerKey(deps: Deps, actor: Actor, environment: Environment, keyId: string) {
  const keys = await deps.store.listAll({ of: 'api-keys', envId: environment.id });
  const key = keys.find((candidate) => candidate.id === keyId && candidate.kind === 'server');
  if (!key) throw new NotFound(`No server key ${keyId} in this environment.`);
  await deps.store.commit([
    { kind: 'delete', ref: { type: 'api-key', hash: key.hash } },
    eventWrite(deps, actor, { detailType: 'api-key.changed', action: 'deleted', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, subject: { kind: 'server-key', id: key.id }, before: keyView(key), after: null }),
  ]);
}

export async function listTokens(deps: Deps, organisation: Organisation): Promise<TokenView[]> {
  return (await deps.store.listAll({ of: 'tokens', orgId: organisation.id })).map(tokenView);
}

/**
 * Checks that every project and environment a grant of roles names belongs to the organisation
 * (422 otherwise), and returns the project of each environment (`environmentProjects`).
 * Tokens, members, invitations and group rules all grant roles through it.
 */
export async function rolesWithin(deps: Deps, organisation: Organisation, roles: Roles, what: string): Promise<Record<string, string>> {
  const problems: { path: string; message: string }[] = [];
  for (const projectId of Object.keys(roles.projects ?? {})) {
    const project = await deps.store.get({ type: 'project', id: projectId });
    if (project?.orgId !== organisation.id) problems.push({ path: `roles.projects.${projectId}`, message: 'no such project in this organisation' });
  }
  const environmentProjects: Record<string, string> = {};
  for (const envId of Object.keys(roles.environments ?? {})) {
    const environment = await deps.store.get({ type: 'environment', id: envId });
    if (environment?.orgId !== organisation.id) problems.push({ path: `roles.environments.${envId}`, message: 'no such environment in this organisation' });
    else environmentProjects[envId] = environment.projectId;
  }
  if (problems.length) throw new Invalid(`${what} resources outside this organisation.`, problems);
  return environmentProjects;
}

/** A new admin token; every project and environment it names must belong to the organisation. */
export async function createToken(deps: Deps, actor: Actor, organisation: Organisation, body: z.infer<typeof schemas.createTokenBody>) {
  const environmentProjects = await rolesWithin(deps, organisation, body.roles, 'The token names');
  const { secret, token } = mintToken(deps, { orgId: organisation.id, name: body.name, roles: body.roles, environmentProjects, createdBy: actor.id });
  await deps.store.commit([
    { kind: 'put', entity: token, expect: 'absent' },
    eventWrite(deps, actor, { detailType: 'token.changed', action: 'created', orgId: organisation.id, subject: { kind: 'token', id: token.id }, before: null, after: tokenView(token) }),
  ]);
  return { token: tokenView(token), secret };
}

export async function revokeToken(deps: Deps, actor: Actor, organisation: Organisation, tokenId: string) {
  const token = (await deps.store.listAll({ of: 'tokens', orgId: organisation.id })).find((candidate) => candidate.id === tokenId);
  if (!token) throw new NotFound(`No token ${tokenId} in this organisation.`);
  if (token.id === actor.id) throw new Forbidden('A token cannot revoke itself; use another admin token.');
  await deps.store.commit([
    { kind: 'delete', ref: { type: 'token', hash: token.hash } },
    eventWrite(deps, actor, { detailType: 'token.changed', action: 'deleted', orgId: organisation.id, subject: { kind: 'token', id: token.id }, before: tokenView(token), after: null }),
  ]);
}
