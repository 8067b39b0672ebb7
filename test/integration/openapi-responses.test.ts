/**
 * The OpenAPI document's response schemas (functions/http/responses.ts) against real answers:
 * a scenario calls nearly every management operation, and each success body must parse with its
 * operation's schema to exactly itself (zod drops unknown keys, so an undeclared field shows up as
 * a difference). The dashboard's generated client is typed from these schemas.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchRoute } from '../../functions/local/api-gateway.js';
import { acceptedResponses, responses } from '../../functions/http/responses.js';
import { routes } from '../../functions/http/routes.js';
import { type CallOptions, startTestApi, type TestApi } from '../support/test-api.js';

/** Operations this scenario does not reach, and why. */
const NOT_CHECKED: Record<string, string> = {
  listWebhookDeliveries: 'deliveries need the event pipeline: the dashboard journey lists them on the local stack',
  getWebhookDelivery: 'as above',
  redeliverWebhookDelivery: 'as above',
};

let api: TestApi;
const operationOf = new Map(routes.map((route) => [`${route.method} ${route.path}`, route.operation]));
const checked = new Set<string>();

async function call(method: string, path: string, options: CallOptions = {}) {
  const reply = await api.call(method, path, options);
  expect(reply.status, `${method} ${path}: ${JSON.stringify(reply.body)}`).toBeLessThan(300);
  const matched = matchRoute(method, path.split('?')[0] as string);
  const operation = matched && operationOf.get(matched.routeKey);
  // A 202 is the change request a governed environment opens instead of writing.
  const schema = operation && (reply.status === 202 ? acceptedResponses[operation] : responses[operation]);
  if (operation && schema && reply.status !== 204) {
    const parsed = schema.safeParse(reply.body);
    expect(parsed.error?.issues, `${operation} answered outside its schema`).toBeUndefined();
    expect(parsed.data, `${operation} answered fields its schema does not declare`).toEqual(reply.body);
    checked.add(operation);
  }
  return reply.body;
}

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

describe('response schemas', () => {
  it('describe what every operation answers', async () => {
    const org = `/admin/v1/organisations/${api.organisationId}`;
    await call('GET', '/admin/v1/organisations');
    await call('GET', org);
    await call('PATCH', org, { body: { name: 'Acme' } });
    const project = await call('POST', `${org}/projects`, { body: { name: 'Shop' } });
    const P = `/admin/v1/projects/${project.id}`;
    await call('GET', `${org}/projects`);
    await call('GET', P);
    await call('PATCH', P, { body: { name: 'Shop 2' } });
    const created = await call('POST', `${P}/environments`, { body: { name: 'production' } });
    const E = `/admin/v1/environments/${created.environment.id}`;
    await call('GET', `${P}/environments`);
    await call('GET', E);
    await call('PATCH', E, { body: { name: 'prod' } });
    await call('POST', `${E}/client-key`);
    const serverKey = await call('POST', `${E}/server-keys`, { body: { name: 'backend' } });
    await call('GET', `${E}/server-keys`);
    await call('DELETE', `${E}/server-keys/${serverKey.id}`);
    const editor = await call('POST', `${org}/tokens`, { body: { name: 'editor', roles: { projects: { [project.id]: 'editor' } } } });
    await call('GET', `${org}/tokens`);

    await call('POST', `${P}/features`, { body: { name: 'banner', initialValue: 'hi', tags: ['ui'] } });
    await call('POST', `${P}/features`, { body: { name: 'pricing', type: 'MULTIVARIATE', initialValue: 'control', options: [{ value: 'a', defaultWeight: 50 }] } });
    await call('GET', `${P}/features`);
    await call('GET', `${P}/features/banner`);
    await call('PATCH', `${P}/features/banner`, { body: { description: 'the banner' } });
    await call('GET', `${E}/feature-states`);
    await call('GET', `${E}/feature-states/banner`);
    await call('PATCH', `${E}/feature-states/banner`, { body: { enabled: true, value: 'hello' } });
    await call('PATCH', `${E}/feature-states/banner`, { body: { value: 'bye' } });
    await call('GET', `${E}/feature-states/banner/versions`);
    await call('POST', `${E}/feature-states/banner/versions/1/restore`, { body: {} });
    await call('GET', `${P}/flags-matrix`);

    const segment = await call('POST', `${P}/segments`, { body: { name: 'pros', rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'plan', value: 'pro' }], rules: [{ type: 'ANY', conditions: [{ operator: 'IS_SET', property: 'email' }] }] }] } });
    await call('GET', `${P}/segments`);
    await call('GET', `${P}/segments/${segment.id}`);
    await call('PATCH', `${P}/segments/${segment.id}`, { body: { description: 'paying' } });
    await call('PUT', `${P}/tenants/acme`, { body: { name: 'Acme Corp', traits: { plan: 'enterprise', seats: 40 } } });
    await call('GET', `${P}/tenants?search=ACME`);
    await call('GET', `${P}/tenants/acme`);
    await call('PUT', `${P}/templates/enterprise`, { body: { rank: 1, rules: [{ type: 'ALL', conditions: [{ operator: 'EQUAL', property: 'tenant.plan', value: 'enterprise' }] }] } });
    await call('PUT', `${P}/templates/pilot`, { body: {} });
    await call('GET', `${P}/templates`);
    await call('GET', `${P}/templates/enterprise`);
    await call('PUT', `${E}/templates/enterprise/values`, { body: { values: { banner: { enabled: true, value: 'vip' } } } });
    await call('GET', `${E}/templates/enterprise/values`);
    await call('PUT', `${P}/tenants/acme`, { body: { traits: { plan: 'enterprise', seats: 40 }, templates: ['pilot'] } });
    await call('DELETE', `${P}/templates/pilot`);
    await call('PUT', `${E}/feature-states/banner/segment-overrides/${segment.id}`, { body: { enabled: true, value: 'pro', priority: 1 } });
    await call('PUT', `${E}/feature-states/banner/tenant-overrides/acme`, { body: { enabled: false } });
    await call('GET', `${E}/feature-states/banner/overrides`);

    await call('PUT', `${E}/identities/ana`, { body: { traits: { plan: 'pro', email: 'a@x.io', tenant: 'acme', age: 3 } } });
    await call('GET', `${E}/identities`);
    await call('PUT', `${E}/identities/ana/overrides/pricing`, { body: { enabled: true, value: 'b' } });
    await call('GET', `${E}/identities/ana`);
    await call('GET', `${E}/identities/ana/flags`);
    await call('GET', `${E}/overrides`);
    await call('GET', `${E}/overrides?feature=banner`);
    await call('GET', `${E}/identities/bob/flags`);
    await call('GET', `${E}/analytics/evaluations?days=3`);
    await call('GET', `${P}/stale-features?days=1`);
    await call('GET', `${org}/audit?limit=50`);

    const webhook = await call('POST', `${E}/webhooks`, { body: { url: 'http://127.0.0.1:9/hook', events: ['feature-state.changed'] } });
    await call('GET', `${E}/webhooks`);
    await call('GET', `${E}/webhooks/${webhook.id}`);
    await call('PATCH', `${E}/webhooks/${webhook.id}`, { body: { enabled: false } });
    await call('POST', `${E}/webhooks/${webhook.id}/secret`);

    await call('PATCH', E, { body: { requiredApprovals: 1 } });
    const request = await call('POST', `${E}/change-requests`, {
      body: { title: 'Launch', changes: [{ featureName: 'banner', enabled: false }, { featureName: 'banner', segmentId: segment.id, remove: true }, { featureName: 'banner', tenantId: 'acme', enabled: true }] },
    });
    await call('GET', `${E}/change-requests`);
    await call('GET', `${E}/change-requests/${request.id}`);
    await call('PATCH', `${E}/change-requests/${request.id}`, { body: { description: 'now' } });
    await call('POST', `${E}/change-requests/${request.id}/comments`, { body: { text: 'looks good' } });
    await call('POST', `${E}/change-requests/${request.id}/approve`, { token: editor.token, body: {} });
    await call('POST', `${E}/change-requests/${request.id}/apply`, { body: {} });
    const other = await call('POST', `${E}/change-requests`, { body: { title: 'Later', changes: [{ featureName: 'pricing', weights: {} }] } });
    await call('POST', `${E}/change-requests/${other.id}/close`, { body: {} });
    const templateRequest = await call('PUT', `${E}/templates/enterprise/values`, { body: { values: { banner: { enabled: true, value: 'vip2' } } } });
    expect(templateRequest).toMatchObject({ type: 'change-request', changes: [{ target: 'template-values' }] });
    await call('POST', `${E}/change-requests/${templateRequest.id}/close`, { body: {} });
    await call('PATCH', E, { body: { requiredApprovals: 0 } });

    const scheduled = await call('POST', `${E}/scheduled-changes`, { body: { runAt: new Date(Date.now() + 86_400_000).toISOString(), changes: [{ featureName: 'banner', enabled: true }] } });
    await call('GET', `${E}/scheduled-changes`);
    await call('GET', `${E}/scheduled-changes/${scheduled.id}`);
    await call('DELETE', `${E}/scheduled-changes/${scheduled.id}`);

    const unchecked = Object.keys(responses).filter((operation) => !checked.has(operation) && !(operation in NOT_CHECKED));
    expect(unchecked, 'operations with a response schema this scenario never checked').toEqual([]);
  });
});
