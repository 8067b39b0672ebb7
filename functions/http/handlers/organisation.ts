import * as useCases from '../../domain/use-cases/organisation.js';
import * as schemas from '../../domain/schemas.js';
import { bodyAs, environmentOf, type Handler, ok, param, projectOf, queryAs } from './context.js';

export const getOrganisation: Handler = async ({ resolved }) => ok(resolved.organisation);
export const updateOrganisation: Handler = async (c) =>
  ok(await useCases.updateOrganisation(c.deps, c.actor, c.resolved.organisation, bodyAs(c, schemas.updateOrganisationBody)));

export const listProjects: Handler = async (c) =>
  ok(await useCases.listProjects(c.deps, c.actor, c.resolved.organisation, queryAs(c, schemas.listQuery)));
export const createProject: Handler = async (c) =>
  ok(await useCases.createProject(c.deps, c.actor, c.resolved.organisation, bodyAs(c, schemas.createProjectBody)));
export const getProject: Handler = async (c) => ok(projectOf(c));
export const updateProject: Handler = async (c) => ok(await useCases.updateProject(c.deps, c.actor, projectOf(c), bodyAs(c, schemas.updateProjectBody)));
export const deleteProject: Handler = async (c) => ok(await useCases.deleteProject(c.deps, c.actor, projectOf(c)));

export const listEnvironments: Handler = async (c) =>
  ok(await useCases.listEnvironments(c.deps, c.actor, projectOf(c), queryAs(c, schemas.listQuery)));
export const createEnvironment: Handler = async (c) =>
  ok(await useCases.createEnvironment(c.deps, c.actor, projectOf(c), bodyAs(c, schemas.createEnvironmentBody)));
export const getEnvironment: Handler = async (c) => ok(environmentOf(c));
export const updateEnvironment: Handler = async (c) =>
  ok(await useCases.updateEnvironment(c.deps, c.actor, environmentOf(c), bodyAs(c, schemas.updateEnvironmentBody)));
export const deleteEnvironment: Handler = async (c) => ok(await useCases.deleteEnvironment(c.deps, c.actor, environmentOf(c)));

export const rotateClientKey: Handler = async (c) => {
  const { key, secret } = await useCases.createApiKey(c.deps, c.actor, environmentOf(c), 'client', 'client key');
  return ok({ ...key, key: secret });
};
export const listServerKeys: Handler = async (c) => ok({ items: await useCases.listApiKeys(c.deps, environmentOf(c), 'server') });
export const createServerKey: Handler = async (c) => {
  const body = bodyAs(c, schemas.createServerKeyBody);
  const { key, secret } = await useCases.createApiKey(c.deps, c.actor, environmentOf(c), 'server', body.name, body.tenantKey);
  return ok({ ...key, key: secret });
};
export const revokeServerKey: Handler = async (c) => ok(await useCases.revokeServerKey(c.deps, c.actor, environmentOf(c), param(c, 'keyId')));

export const listTokens: Handler = async (c) => ok({ items: await useCases.listTokens(c.deps, c.resolved.organisation) });
export const createToken: Handler = async (c) => {
  const { token, secret } = await useCases.createToken(c.deps, c.actor, c.resolved.organisation, bodyAs(c, schemas.createTokenBody));
  return ok({ ...token, token: secret });
};
export const revokeToken: Handler = async (c) => ok(await useCases.revokeToken(c.deps, c.actor, c.resolved.organisation, param(c, 'tokenId')));

export const listAudit: Handler = async (c) => {
  const query = queryAs(c, schemas.auditQuery);
  return ok(
    await c.deps.store.list(
      {
        of: 'audit',
        orgId: c.resolved.organisation.id,
        from: query.from,
        to: query.to,
        filter: { envId: query.environment, featureName: query.feature, tokenId: query.actor },
      },
      { limit: query.limit, cursor: query.cursor },
    ),
  );
};
