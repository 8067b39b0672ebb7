/**
 * The local stack's demo data: one organisation with an admin token, a project, and a
 * development and a production environment, each with a client and a server key.
 *
 * Tokens and keys are stored only as hashes, so the secrets exist only in what this returns
 * (the dev server writes it to `.vexilla/local.json`). Given that earlier result, the demo is
 * reused as long as its token still authenticates and its resources still exist.
 */
import { bootstrapOrganisation, createApiKey, createEnvironment, createProject } from '../domain/use-cases/organisation.js';
import { type Deps, hashSecret } from '../domain/use-cases/support.js';

export interface LocalEnvironment {
  id: string;
  name: string;
  clientKey: string;
  serverKey: string;
}

export interface LocalConfig {
  apiUrl: string;
  adminToken: string;
  organisationId: string;
  projectId: string;
  environments: LocalEnvironment[];
}

const DEMO_ENVIRONMENTS = ['development', 'production'] as const;

/** Whether an earlier demo is still usable: its token authenticates and its resources exist. */
export async function isDemoUsable(deps: Deps, config: LocalConfig): Promise<boolean> {
  const token = await deps.store.get({ type: 'token', hash: hashSecret(config.adminToken) });
  if (!token || token.orgId !== config.organisationId) return false;
  const organisation = await deps.store.get({ type: 'organisation', id: config.organisationId });
  if (!organisation) return false;
  const project = await deps.store.get({ type: 'project', id: config.projectId });
  if (project?.orgId !== config.organisationId) return false;
  for (const { id } of config.environments) {
    const environment = await deps.store.get({ type: 'environment', id });
    if (environment?.projectId !== config.projectId) return false;
  }
  return true;
}

/**
 * Returns `existing` unchanged when it is still usable, otherwise creates a new demo. A new
 * demo's `apiUrl` is `options.apiUrl`, else the one `existing` had, else empty: the caller
 * (the dev server) knows the URL it listens on.
 */
export async function ensureDemo(deps: Deps, existing?: LocalConfig, options: { apiUrl?: string } = {}): Promise<LocalConfig> {
  if (existing && (await isDemoUsable(deps, existing))) return existing;

  const { organisation, token, secret } = await bootstrapOrganisation(deps, { name: 'Demo organisation', tokenName: 'local admin' });
  const actor = token;
  const project = await createProject(deps, actor, organisation, { name: 'Demo project', tenantTraitKey: 'tenant' });
  const environments: LocalEnvironment[] = [];
  for (const name of DEMO_ENVIRONMENTS) {
    const { environment, clientKey } = await createEnvironment(deps, actor, project, { name });
    const { secret: serverKey } = await createApiKey(deps, actor, environment, 'server', 'local server key');
    environments.push({ id: environment.id, name, clientKey, serverKey });
  }
  return {
    apiUrl: options.apiUrl ?? existing?.apiUrl ?? '',
    adminToken: secret,
    organisationId: organisation.id,
    projectId: project.id,
    environments,
  };
}
