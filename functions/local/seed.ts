/**
 * The local stack's demo data: one organisation with an admin token, a project, and a
 * development and a production environment, each with a client and a server key.
 *
 * Tokens and keys are stored only as hashes, so the secrets exist only in what this returns
 * (the dev server writes it to `.vexilla/local.json`). Given that earlier result, the demo is
 * reused as long as its token still authenticates and its resources still exist.
 */
import { bootstrapOrganisation, createApiKey, createEnvironment, createProject } from '../domain/use-cases/organisation.js';
import { type Actor, type Deps, hashSecret } from '../domain/use-cases/support.js';
import type { Environment, Project } from '../domain/entities.js';
import type { CreateFeatureBody } from '../domain/schemas.js';
import { createFeature } from '../domain/use-cases/features.js';
import { addMember } from '../domain/use-cases/people.js';
import { localSubject } from './oidc-provider.js';
import { createSegment, putIdentity, putIdentityOverride, putSegmentOverride, putTenantOverride } from '../domain/use-cases/targeting.js';

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
  /** The local OpenID provider people sign in with, and the demo user (an organisation admin). */
  signIn?: { issuer: string; clientId: string; demoEmail: string } | undefined;
}

/** The demo person: signs in at the local OpenID provider (no password) as an organisation admin. */
export const DEMO_USER = { email: 'demo@example.com', name: 'Demo Admin' } as const;

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

const demoFeatures: CreateFeatureBody[] = [
  { name: 'new_checkout', type: 'STANDARD', defaultEnabled: false, initialValue: null, options: [], tags: ['demo'], description: 'A boolean toggle', owner: null },
  { name: 'welcome_banner', type: 'STANDARD', defaultEnabled: true, initialValue: 'Welcome to Vexilla!', options: [], tags: ['demo'], description: 'A string value', owner: null },
  { name: 'max_upload_mb', type: 'STANDARD', defaultEnabled: true, initialValue: 10, options: [], tags: ['demo'], description: 'A number value', owner: null },
  { name: 'theme', type: 'STANDARD', defaultEnabled: true, initialValue: { primary: '#4f46e5', dark: false }, options: [], tags: ['demo'], description: 'A JSON value', owner: null },
  {
    name: 'pricing_page',
    type: 'MULTIVARIATE',
    defaultEnabled: true,
    initialValue: 'control',
    options: [
      { value: 'annual_first', defaultWeight: 30 },
      { value: 'monthly_first', defaultWeight: 30 },
    ],
    tags: ['demo', 'experiment'],
    description: 'A multivariate experiment',
    owner: null,
  },
];

/**
 * The demo's flags: a toggle, string, number and JSON values, a multivariate experiment, two
 * segments with overrides, a tenant override and an identity override. Features are created
 * once (they belong to the project); overrides go into each environment.
 */
async function seedDemoFlags(deps: Deps, actor: Actor, project: Project, environment: Environment, first: boolean): Promise<void> {
  if (first) {
    for (const feature of demoFeatures) await createFeature(deps, actor, project, feature);
    await createSegment(deps, actor, project, {
      name: 'pro users',
      description: 'Identities on the pro plan',
      rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }] }],
    });
    await createSegment(deps, actor, project, {
      name: 'beta testers',
      description: 'Ten percent of identities, by identity',
      rules: [{ type: 'ALL', conditions: [{ operator: 'PERCENTAGE_SPLIT', property: '', value: '10' }] }],
    });
  }
  const segments = await deps.store.listAll({ of: 'segments', projectId: project.id });
  const segment = (name: string) => segments.find((candidate) => candidate.name === name)?.id ?? '';
  await putSegmentOverride(deps, actor, environment, project, 'max_upload_mb', segment('pro users'), { enabled: true, value: 100, priority: 0 });
  await putSegmentOverride(deps, actor, environment, project, 'new_checkout', segment('beta testers'), { enabled: true, priority: 1 });
  await putTenantOverride(deps, actor, environment, project, 'welcome_banner', 'acme', { enabled: true, value: 'Welcome, Acme!' });
  await putIdentity(deps, actor, environment, 'demo-user', { traits: {} });
  await putIdentityOverride(deps, actor, environment, project, 'demo-user', 'new_checkout', { enabled: true });
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
    await seedDemoFlags(deps, actor, project, environment, name === 'development');
  }
  return {
    apiUrl: options.apiUrl ?? existing?.apiUrl ?? '',
    adminToken: secret,
    organisationId: organisation.id,
    projectId: project.id,
    environments,
  };
}

/**
 * Makes the demo user an organisation admin of the demo organisation, for this issuer (its
 * subject there is derived from the email, so this is the person the local provider signs in).
 */
export async function ensureDemoMember(deps: Deps, config: LocalConfig, issuer: string): Promise<void> {
  const organisation = await deps.store.get({ type: 'organisation', id: config.organisationId });
  const token = await deps.store.get({ type: 'token', hash: hashSecret(config.adminToken) });
  if (!organisation || !token) throw new Error('The demo organisation is gone: run with --reset.');
  const person = { issuer, subject: localSubject(DEMO_USER.email), email: DEMO_USER.email, name: DEMO_USER.name };
  await addMember(deps, token, organisation, person, { organisation: 'admin' });
}
