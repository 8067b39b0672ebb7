/**
 * The whole local stack (stream publisher, bus, webhook dispatcher) with people signing in: a
 * change a person makes reaches a webhook receiver naming them, subject and email, exactly as
 * the event's published schema says.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detailSchemas } from '../../functions/events/detail-types.js';
import { type LocalOidcProvider, startLocalOidcProvider } from '../../functions/local/oidc-provider.js';
import type { LocalStack } from '../../functions/local/stack.js';
import { signInWithCode } from '../support/oidc-flow.js';
import { startFreshLocalStack } from '../support/local-stack.js';
import { APP_ORIGIN } from '../support/sign-in.js';

let stack: LocalStack;
let provider: LocalOidcProvider;
let adminToken: string;
let orgId: string;
const bodies: string[] = [];
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    bodies.push(Buffer.concat(chunks).toString('utf8'));
    response.writeHead(200).end();
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  provider = await startLocalOidcProvider({ appOrigins: [APP_ORIGIN], anyEmail: true });
  ({ stack, orgId, token: adminToken } = await startFreshLocalStack({ organisation: 'Webhooks', adminApi: { signIn: provider.signIn } }));
});

afterAll(async () => {
  await stack?.stop();
  await provider?.close();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

async function call(token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

describe('a change made by a person', () => {
  it('reaches webhooks naming the person: type, subject and email', async () => {
    // Prepare: an environment with a webhook, and a person invited as its editor, signed in
    const projectId = (await call(adminToken, 'POST', `/admin/v1/organisations/${orgId}/projects`, { name: 'Shop' })).body.id;
    const envId = (await call(adminToken, 'POST', `/admin/v1/projects/${projectId}/environments`, { name: 'prod' })).body.environment.id;
    await call(adminToken, 'POST', `/admin/v1/projects/${projectId}/features`, { name: 'checkout' });
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    expect((await call(adminToken, 'POST', `/admin/v1/environments/${envId}/webhooks`, { url, events: ['feature-state.changed'] })).status).toBe(201);
    expect((await call(adminToken, 'POST', `/admin/v1/organisations/${orgId}/invitations`, { email: 'mo@example.com', roles: { environments: { [envId]: 'editor' } } })).status).toBe(201);
    const { idToken } = await signInWithCode({ issuer: provider.issuer, clientId: provider.clientId, redirectUri: `${APP_ORIGIN}/auth/callback`, email: 'mo@example.com' });

    // Act
    expect((await call(idToken, 'PATCH', `/admin/v1/environments/${envId}/feature-states/checkout`, { enabled: true })).status).toBe(200);
    await expect.poll(() => bodies.length).toBeGreaterThan(0);

    // Assess
    const delivered = JSON.parse(bodies[0] as string);
    expect(delivered).toMatchObject({ type: 'feature-state.changed', data: { actor: { type: 'user', email: 'mo@example.com', subject: decodeJwt(idToken).sub, name: 'mo@example.com' } } });
    detailSchemas['feature-state.changed'].parse(delivered.data);
  });
});
