/**
 * The local stack's webhook wiring on DynamoDB Local: it allows receivers on 127.0.0.1 (the API
 * takes the URL, the dispatcher sends to it) and runs the stuck-delivery sweep on its timer.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../functions/data/create-table.js';
import { bootstrapOrganisation } from '../../functions/domain/use-cases/organisation.js';
import { deliveryIdOf, deliveryWrite } from '../../functions/domain/webhook-deliveries.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { type LocalStack, startLocalStack } from '../../functions/local/stack.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';

let stack: LocalStack;
let token: string;
let orgId: string;
const received: string[] = [];
const receiver = createServer((request, response) => {
  received.push(String(request.headers['x-vexilla-delivery']));
  request.resume();
  response.writeHead(200).end();
});

beforeAll(async () => {
  const tableName = `vexilla-test-${randomUUID().slice(0, 8)}`;
  const raw = new DynamoDBClient(localDynamoClientConfig(testDynamoEndpoint()));
  await ensureTable(raw, tableName);
  raw.destroy();
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  stack = await startLocalStack({ endpoint: testDynamoEndpoint(), tableName, webhookSweepIntervalMs: 100 });
  const { organisation, secret } = await bootstrapOrganisation(stack.deps, { name: 'Sweep' });
  orgId = organisation.id;
  token = secret;
});

afterAll(async () => {
  await stack?.stop();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

async function call(method: string, path: string, body?: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the local stack', () => {
  it('takes a webhook on 127.0.0.1 and delivers, on its sweep timer, a delivery that was committed but never queued', async () => {
    // Prepare: a webhook to a local receiver, and a delivery committed 20 minutes ago without its attempt
    const projectId: string = (await call('POST', `/admin/v1/organisations/${orgId}/projects`, { name: 'Shop' })).body.id;
    const envId: string = (await call('POST', `/admin/v1/projects/${projectId}/environments`, { name: 'prod' })).body.environment.id;
    // Subscribed to flag changes only: the setup's own events (project, environment), which a busy
    // stack's pipeline may reach after the webhook exists, are not its to deliver.
    const created = await call('POST', `/admin/v1/environments/${envId}/webhooks`, { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, events: ['feature-state.changed'] });
    const at = new Date(Date.now() - 20 * 60_000).toISOString();
    const eventId = randomUUID();
    const deliveryId = deliveryIdOf({ eventId, at }, created.body.id);
    await stack.deps.store.commit([
      deliveryWrite(
        {
          type: 'webhook-delivery',
          id: deliveryId,
          orgId,
          envId,
          webhookId: created.body.id,
          eventId,
          detailType: 'feature-state.changed',
          status: 'pending',
          attempts: 0,
          payload: JSON.stringify({ id: eventId, type: 'feature-state.changed', data: { eventId } }),
          createdAt: at,
          updatedAt: at,
          version: 1,
        },
        'absent',
      ),
    ]);

    // Act: nothing but the stack's own timer
    const delivered = await waitFor(async () => {
      const listed = await call('GET', `/admin/v1/environments/${envId}/webhooks/${created.body.id}/deliveries?status=delivered`);
      return listed.body.items.find((item: { id: string }) => item.id === deliveryId);
    }, 'the swept delivery');

    // Assess
    expect(created.status).toBe(201);
    expect(delivered).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
    expect(received).toEqual([deliveryId]);
  });
});
