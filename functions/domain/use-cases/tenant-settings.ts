/**
 * The customer's side of tenant self-service (management API): which features tenants' admins
 * may set for their tenant, within which constraints, and the keys their tenant tokens are
 * verified with, per environment.
 */
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import type * as z from 'zod';
import type { Environment, Feature, JsonValue, Project, TenantSettings, TenantTokenKey } from '../entities.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import { LIMITS } from '../limits.js';
import { tenantSettingsProblems } from '../tenant-constraints.js';
import type * as tenantSchemas from '../tenant-schemas.js';
import { TENANT_TOKEN_ALGORITHMS } from '../tenant-schemas.js';
import { literalPrivateTarget } from '../webhook-targets.js';
import { getFeature } from './features.js';
import { type Actor, commitOrConflict, type Deps, defined, eventWrite, expectVersion, isoNow, newId } from './support.js';

/** Marks a feature tenant-configurable with these constraints (replacing any it had). */
export async function putTenantSettings(deps: Deps, actor: Actor, project: Project, name: string, body: z.infer<typeof tenantSchemas.putTenantSettingsBody>): Promise<Feature> {
  const { version, ...input } = body;
  const settings = defined(input) as TenantSettings;
  const feature = await getFeature(deps, project, name);
  const problems = tenantSettingsProblems(feature, settings, 'body');
  if (problems.length) throw new Invalid('The tenant settings are not valid.', problems.map((p) => ({ ...p, path: p.path.replace(/^body\.?/, '') })));
  return writeSettings(deps, actor, project, feature, version, settings);
}

/** Makes a feature no longer tenant-configurable; tenants' values already set stay (as tenant overrides) until removed. */
export async function deleteTenantSettings(deps: Deps, actor: Actor, project: Project, name: string): Promise<void> {
  const feature = await getFeature(deps, project, name);
  if (!feature.tenantSettings) throw new NotFound(`Feature ${name} is not tenant-configurable.`);
  await writeSettings(deps, actor, project, feature, undefined, undefined);
}

async function writeSettings(deps: Deps, actor: Actor, project: Project, feature: Feature, version: number | undefined, settings: TenantSettings | undefined): Promise<Feature> {
  const expected = expectVersion(feature.version, version, `Feature ${feature.name}`);
  const next: Feature = { ...feature, version: expected + 1, updatedAt: isoNow(deps) };
  if (settings) next.tenantSettings = settings;
  else delete next.tenantSettings;
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: next, expect: expected },
      eventWrite(deps, actor, {
        detailType: 'feature.changed',
        action: 'updated',
        orgId: project.orgId,
        projectId: project.id,
        subject: { kind: 'feature', featureName: feature.name },
        before: feature,
        after: next,
        version: next.version,
      }),
    ],
    async () => new Conflict(`Feature ${feature.name} changed meanwhile: reload and try again.`, { currentVersion: (await getFeature(deps, project, feature.name)).version }),
  );
  return next;
}

/** The algorithms a public key can verify: by its type and curve. */
function algorithmsOf(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === 'prime256v1' ? ['ES256'] : curve === 'secp384r1' ? ['ES384'] : curve === 'secp521r1' ? ['ES512'] : [];
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}

/** A registered public key, as a public JWK: PEM (SPKI) or a JWK in; never private material. */
function publicJwkOf(input: string | Record<string, unknown>): { jwk: Record<string, JsonValue>; algorithms: string[] } {
  const refuse = (message: string) => new Invalid('The public key is not usable.', [{ path: 'publicKey', message }]);
  const text = typeof input === 'string' ? input : JSON.stringify(input);
  if (/PRIVATE KEY/.test(text) || (typeof input === 'object' && ('d' in input || 'p' in input || 'k' in input))) {
    throw refuse('that is private key material: register the public key only (and replace the private key, it has been shared)');
  }
  let key: KeyObject;
  try {
    key = typeof input === 'string' ? createPublicKey({ key: input, format: 'pem' }) : createPublicKey({ key: input as JsonWebKey, format: 'jwk' });
  } catch (error) {
    throw refuse(`not a public key in PEM (SPKI) or JWK form: ${(error as Error).message}`);
  }
  if (key.type !== 'public') throw refuse('not a public key');
  const algorithms = algorithmsOf(key);
  if (algorithms.length === 0) throw refuse('an RSA, EC (P-256, P-384, P-521) or Ed25519 key is needed');
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw refuse('RSA keys need at least 2048 bits');
  return { jwk: key.export({ format: 'jwk' }) as Record<string, JsonValue>, algorithms };
}

function checkJwksUrl(deps: Deps, url: string): void {
  const parsed = new URL(url);
  const local = deps.allowPrivateWebhookTargets === true;
  if (parsed.protocol !== 'https:' && !(local && parsed.protocol === 'http:')) {
    throw new Invalid('The JWKS URL is not usable.', [{ path: 'jwksUrl', message: 'must be https' }]);
  }
  const privateTarget = local ? undefined : literalPrivateTarget(url);
  if (privateTarget) throw new Invalid('The JWKS URL is not usable.', [{ path: 'jwksUrl', message: privateTarget }]);
}

export const listTenantKeys = (deps: Deps, environment: Environment) => deps.store.listAll({ of: 'tenant-token-keys', envId: environment.id });

/** Registers a key tenant tokens of this environment may be signed with (a JWKS URL or one public key). */
export async function createTenantKey(deps: Deps, actor: Actor, environment: Environment, body: z.infer<typeof tenantSchemas.createTenantKeyBody>): Promise<TenantTokenKey> {
  const existing = await listTenantKeys(deps, environment);
  if (existing.length >= LIMITS.tenantKeysPerEnvironment) {
    throw new Conflict(`Environment ${environment.name} has ${existing.length} tenant token keys, the most it may have: remove one first.`);
  }
  let publicKey: Record<string, JsonValue> | undefined;
  let possible: string[] = [...TENANT_TOKEN_ALGORITHMS];
  if (body.publicKey !== undefined) ({ jwk: publicKey, algorithms: possible } = publicJwkOf(body.publicKey));
  if (body.jwksUrl !== undefined) checkJwksUrl(deps, body.jwksUrl);
  const algorithms = body.algorithms ?? possible;
  const unusable = algorithms.filter((alg) => !possible.includes(alg));
  if (unusable.length) throw new Invalid('The algorithms do not fit the key.', [{ path: 'algorithms', message: `this key cannot verify ${unusable.join(', ')} (it can: ${possible.join(', ')})` }]);
  const key: TenantTokenKey = {
    type: 'tenant-token-key',
    id: newId('ttk'),
    orgId: environment.orgId,
    projectId: environment.projectId,
    envId: environment.id,
    name: body.name,
    ...(body.jwksUrl !== undefined ? { jwksUrl: body.jwksUrl } : {}),
    ...(publicKey ? { publicKey } : {}),
    algorithms,
    issuer: body.issuer,
    audience: body.audience,
    maxLifetimeSeconds: body.maxLifetimeSeconds,
    allowedOrigins: body.allowedOrigins,
    createdAt: isoNow(deps),
    createdBy: actor.id,
  };
  await commitOrConflict(
    deps,
    [
      { kind: 'put', entity: key, expect: 'absent' },
      eventWrite(deps, actor, { detailType: 'environment.changed', action: 'created', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, subject: { kind: 'tenant-token-key', keyId: key.id }, before: null, after: key }),
    ],
    async () => new Conflict('The key could not be registered: try again.'),
  );
  return key;
}

/** Removes a key: tokens signed with it are refused from the next request on. */
export async function deleteTenantKey(deps: Deps, actor: Actor, environment: Environment, keyId: string): Promise<void> {
  const key = await deps.store.get({ type: 'tenant-token-key', envId: environment.id, id: keyId });
  if (!key) throw new NotFound(`No tenant token key ${keyId} in this environment.`);
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'tenant-token-key', envId: environment.id, id: keyId } },
      eventWrite(deps, actor, { detailType: 'environment.changed', action: 'deleted', orgId: environment.orgId, projectId: environment.projectId, envId: environment.id, subject: { kind: 'tenant-token-key', keyId }, before: key, after: null }),
    ],
    async () => new Conflict(`Tenant token key ${keyId} changed meanwhile: reload and try again.`),
  );
}
