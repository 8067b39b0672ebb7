/**
 * Webhook fan-out benchmark: one event to 50 local receivers through the in-process bus, the
 * dispatcher and the local delivery queue, on DynamoDB Local. Once with every receiver healthy,
 * once with one that never answers: the time until the 49 healthy ones have the event should not
 * move, because every delivery runs on its own. Reports; never fails on a time.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../functions/data/create-table.js';
import { DynamoStore } from '../functions/data/dynamo-store.js';
import { bootstrapOrganisation, createEnvironment, createProject } from '../functions/domain/use-cases/organisation.js';
import type { Deps } from '../functions/domain/use-cases/support.js';
import { createWebhook } from '../functions/domain/use-cases/webhooks.js';
import { wireWebhookDispatcher } from '../functions/events/consumers/webhook-dispatcher.js';
import { createLocalBus } from '../functions/events/local-bus.js';
import { localDynamoClientConfig, startDynamoDbLocal } from '../functions/local/dynamodb-local.js';
import { createLocalDeliveryQueue } from '../functions/local/local-delivery-queue.js';
import { documentClient } from '../functions/shared/dynamodb.js';

const ENDPOINTS = 50;
const TIMEOUT_MS = 5000;

interface Receiver {
  url: string;
  /** performance.now() of each request's arrival, by event id. */
  arrivals: Map<string, number>;
  dead: boolean;
  held: ServerResponse[];
  server: Server;
}

async function startReceiver(): Promise<Receiver> {
  const receiver = { arrivals: new Map<string, number>(), dead: false, held: [] as ServerResponse[] } as Receiver;
  receiver.server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (receiver.dead) {
        receiver.held.push(response); // never answers
        return;
      }
      receiver.arrivals.set((JSON.parse(Buffer.concat(chunks).toString()) as { id: string }).id, performance.now());
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/hook`;
  return receiver;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

export async function runWebhooksBench(): Promise<void> {
  console.log(`\n## Webhooks: one event fanned out to ${ENDPOINTS} local receivers (attempt timeout ${TIMEOUT_MS / 1000} s)`);
  const dynamo = await startDynamoDbLocal({ inMemory: true });
  const receivers = await Promise.all(Array.from({ length: ENDPOINTS }, startReceiver));
  const queue = createLocalDeliveryQueue();
  const bus = createLocalBus();
  try {
    const config = localDynamoClientConfig(dynamo.endpoint);
    await ensureTable(new DynamoDBClient(config), 'vexilla-bench');
    const deps: Deps = { store: new DynamoStore(documentClient(config), 'vexilla-bench'), clock: () => new Date(), allowPrivateWebhookTargets: true };
    const { organisation, token } = await bootstrapOrganisation(deps, { name: 'bench' });
    const project = await createProject(deps, token, organisation, { name: 'bench', tenantTraitKey: 'tenant' });
    const { environment } = await createEnvironment(deps, token, project, { name: 'bench' });
    for (const receiver of receivers) await createWebhook(deps, token, environment, { url: receiver.url, events: [], enabled: true, description: '' });
    wireWebhookDispatcher({ deps, bus, queue, options: { timeoutMs: TIMEOUT_MS } });

    /** Puts one feature-state event on the bus; resolves when every healthy receiver has it, with their arrival times (ms after the put). */
    const fanOut = async () => {
      const eventId = randomUUID();
      const at = new Date().toISOString();
      const detail = {
        version: 1,
        eventId,
        organisationId: organisation.id,
        projectId: project.id,
        environmentId: environment.id,
        actor: { tokenId: token.id, name: token.name },
        action: 'updated',
        subject: { kind: 'feature-state', featureName: 'checkout' },
        before: null,
        after: { enabled: true, value: 'v2' },
        at,
      };
      const healthy = receivers.filter((receiver) => !receiver.dead);
      const started = performance.now();
      await bus.put([{ Source: 'vexilla', DetailType: 'feature-state.changed', Detail: JSON.stringify(detail), EventBusName: 'bench', Time: new Date(at) }]);
      while (healthy.some((receiver) => !receiver.arrivals.has(eventId))) await new Promise((resolve) => setTimeout(resolve, 1));
      return healthy.map((receiver) => (receiver.arrivals.get(eventId) as number) - started);
    };

    await fanOut(); // warm-up: connections, code paths
    const report = (label: string, times: number[]) =>
      console.log(`${label.padEnd(36)} p50 ${percentile(times, 50).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms, last ${Math.max(...times).toFixed(1)} ms`);
    const allHealthy = await fanOut();
    report(`all ${ENDPOINTS} healthy: arrivals after the put`, allHealthy);
    await bus.idle();
    await queue.idle();

    (receivers[0] as Receiver).dead = true;
    const oneDead = await fanOut();
    report(`${ENDPOINTS - 1} healthy + 1 dead: arrivals`, oneDead);
    const slowest = Math.max(...oneDead);
    console.log(
      `the ${ENDPOINTS - 1} healthy endpoints had the event ${slowest.toFixed(1)} ms after the put, while the dead one's attempt ` +
        `was still waiting for its ${TIMEOUT_MS} ms timeout (a delay of the healthy ones by the dead one would show as ≥ ${TIMEOUT_MS} ms)`,
    );
  } finally {
    queue.stop();
    for (const receiver of receivers) {
      receiver.server.closeAllConnections();
      receiver.server.close();
    }
    await bus.idle().catch(() => undefined);
    await dynamo.stop();
  }
}
