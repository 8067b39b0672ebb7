/**
 * The local stack's tenant self-service demo: a page at `/demo/tenant-settings[/<tenant>]` that
 * embeds `<vexilla-tenant-settings>` with a tenant token minted for it, as the customer's backend
 * would (here with a key pair made at start and registered on the development environment), and
 * the element's script at `/elements/vexilla-tenant-settings.js`, built with esbuild on first use
 * (readable cross-origin, as the stack's distribution serves it).
 * The page carries the strict CSP a customer's product may have: the element needs nothing inline.
 */
import { exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { buildTenantSettingsElement, ELEMENT_FILE, ELEMENTS_PATH } from '../../elements/build.js';
import type { Environment, Project } from '../domain/entities.js';
import { tenantKey as tenantKeySchema } from '../domain/schemas.js';
import type { Actor, Deps } from '../domain/use-cases/support.js';
import { createTenantKey, deleteTenantKey, listTenantKeys, putTenantSettings } from '../domain/use-cases/tenant-settings.js';
import { putTenant } from '../domain/use-cases/tenants.js';
import type { StaticAnswer } from './dashboard-files.js';

export const TENANT_DEMO_PATH = '/demo/tenant-settings';
export const ELEMENT_PATH = `${ELEMENTS_PATH}${ELEMENT_FILE}`;
const DEMO_KEY_NAME = 'npm run dev demo key';
const AUDIENCE = 'vexilla-tenant';

/** The constraints the demo features get, unless someone already made them configurable. */
const DEMO_SETTINGS = {
  max_upload_mb: { label: 'Maximum upload size (MB)', description: 'Between 1 and 100.', minimum: 1, maximum: 100, allowToggle: false },
  welcome_banner: { label: 'Welcome banner', description: 'Shown to your users when they sign in (at most 80 characters).', schema: { type: 'string', maxLength: 80 }, allowToggle: false },
  theme: {
    label: 'Theme',
    description: 'Your brand colour (#rrggbb) and dark mode.',
    schema: { type: 'object', properties: { primary: { type: 'string', pattern: '^#[0-9a-fA-F]{6}$' }, dark: { type: 'boolean' } }, required: ['primary', 'dark'], additionalProperties: false },
    allowToggle: false,
  },
} as const;

const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export interface TenantDemo {
  /** The demo page and the element's script; undefined for any other path. */
  serve(method: string, pathname: string): Promise<StaticAnswer | undefined>;
  /** Registers a fresh demo key on the environment (replacing the last run's) and makes the demo features configurable. */
  setup(deps: Deps, demo: { apiUrl: string; project: Project; environment: Environment }): Promise<void>;
}

const page = (apiUrl: string, tenant: string, token: string) => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Tenant settings (Vexilla demo)</title><script type="module" src="${ELEMENT_PATH}"></script></head>
<body>
<main>
<h1>Your product's admin page (demo)</h1>
<p>Signed in as the admin of tenant <strong>${tenant}</strong>. The panel below is <code>&lt;vexilla-tenant-settings&gt;</code> with a tenant token this page's server minted (valid 10 minutes: reload for a new one). Another tenant: <a href="${TENANT_DEMO_PATH}/globex">globex</a>, <a href="${TENANT_DEMO_PATH}/acme">acme</a>.</p>
<vexilla-tenant-settings api-url="${apiUrl}" token="${token}"></vexilla-tenant-settings>
</main>
</body>
</html>
`;

export function createTenantDemo(): TenantDemo {
  let state: { apiUrl: string; envId: string; issuer: string; privateKey: CryptoKey } | undefined;
  let script: Promise<string> | undefined;
  return {
    async serve(method, pathname) {
      if (method !== 'GET' && method !== 'HEAD') return undefined;
      if (pathname === ELEMENT_PATH) {
        script ??= buildTenantSettingsElement();
        // Readable by module scripts on other origins through the local server's CORS answer
        // (http-server.ts), as the stack's distribution serves it (lib/dashboard.ts).
        return { statusCode: 200, headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' }, body: await script };
      }
      if (pathname !== TENANT_DEMO_PATH && !pathname.startsWith(`${TENANT_DEMO_PATH}/`)) return undefined;
      if (!state) return { statusCode: 503, headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }, body: 'The demo is being set up: reload in a moment.' };
      const tenant = tenantKeySchema.safeParse(pathname === TENANT_DEMO_PATH ? 'acme' : decodeURIComponent(pathname.slice(TENANT_DEMO_PATH.length + 1)));
      if (!tenant.success || !/^[a-z0-9-]{1,40}$/.test(tenant.data)) return { statusCode: 404, headers: { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS }, body: 'Demo tenants are lower-case letters, digits and dashes.' };
      // What the customer's backend does for a signed-in admin of one of their tenants.
      const token = await new SignJWT({ tenant: tenant.data, env: state.envId, name: `Admin of ${tenant.data}` })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(state.issuer)
        .setAudience(AUDIENCE)
        .setSubject(`admin@${tenant.data}.example`)
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(state.privateKey);
      return { statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS }, body: page(state.apiUrl, tenant.data, token) };
    },

    async setup(deps, { apiUrl, project, environment }) {
      const actor: Actor = { id: 'local-demo', name: 'npm run dev', orgId: project.orgId, roles: { organisation: 'admin' } };
      const { publicKey, privateKey } = await generateKeyPair('ES256');
      for (const key of await listTenantKeys(deps, environment)) if (key.name === DEMO_KEY_NAME) await deleteTenantKey(deps, actor, environment, key.id);
      const issuer = `${apiUrl}${TENANT_DEMO_PATH}`;
      await createTenantKey(deps, actor, environment, {
        name: DEMO_KEY_NAME,
        publicKey: await exportSPKI(publicKey),
        issuer,
        audience: AUDIENCE,
        maxLifetimeSeconds: 900,
        allowedOrigins: [new URL(apiUrl).origin],
      });
      for (const [name, settings] of Object.entries(DEMO_SETTINGS)) {
        const feature = await deps.store.get({ type: 'feature', projectId: project.id, name });
        if (feature && !feature.tenantSettings) await putTenantSettings(deps, actor, project, name, settings as never);
      }
      for (const [key, name] of [['acme', 'Acme Inc'], ['globex', 'Globex Corporation']] as const) {
        if (!(await deps.store.get({ type: 'tenant', projectId: project.id, key }))) await putTenant(deps, actor, project, key, { name, traits: { plan: key === 'acme' ? 'enterprise' : 'pro' } });
      }
      state = { apiUrl, envId: environment.id, issuer, privateKey };
    },
  };
}
