/**
 * When DynamoDB Local goes away, the local stack's stream poller says so once and backs off,
 * then says once that it reads again when it is back: no line (nor stack trace) per poll.
 * A TCP proxy in front of the real DynamoDB Local plays the outage and counts the attempts.
 */
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../functions/data/create-table.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { type EventPipeline, startEventPipeline } from '../../functions/local/event-pipeline.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';

let proxy: Server;
let proxyUrl: string;
let down = false;
/** Connections the proxy refused while down: each is a poll attempt (or one of the SDK's retries). */
let refused = 0;
const sockets = new Set<Socket>();

beforeAll(async () => {
  const target = new URL(testDynamoEndpoint());
  proxy = createServer((client) => {
    if (down) {
      refused++;
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  proxyUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => proxy?.close(resolve));
});

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Still waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the local event pipeline', () => {
  it('reports an outage once, backs off while it lasts, and reports once that it reads again', async () => {
    // Prepare
    const tableName = `vexilla-test-${randomUUID().slice(0, 8)}`;
    const raw = new DynamoDBClient(localDynamoClientConfig(testDynamoEndpoint()));
    await ensureTable(raw, tableName);
    raw.destroy();
    const errors: unknown[] = [];
    const recoveries: number[] = [];
    let pipeline: EventPipeline | undefined;
    try {
      pipeline = await startEventPipeline({
        endpoint: proxyUrl,
        tableName,
        bus: { put: async () => ({ failed: 0 }) },
        pollMs: 10,
        maxBackoffMs: 200,
        onError: (error) => errors.push(error),
        onRecovered: (failedPolls) => recoveries.push(failedPolls),
      });

      // Act: the database goes away, long enough for many attempts
      down = true;
      for (const socket of sockets) socket.destroy();
      await until('a dozen refused attempts', () => refused >= 12);

      // Assess: one report for the whole outage
      expect(errors).toHaveLength(1);
      expect(recoveries).toEqual([]);

      // Act: it comes back
      down = false;
      await until('the pipeline to read again', () => recoveries.length > 0);

      // Assess
      expect(errors).toHaveLength(1);
      expect(recoveries).toHaveLength(1);
      expect(recoveries[0]).toBeGreaterThan(1);
    } finally {
      down = false;
      await pipeline?.stop();
    }
  });
});

describe('the pause between failed polls', () => {
  it('doubles from the poll interval up to its cap', async () => {
    const { nextPollPause } = await import('../../functions/local/event-pipeline.js');
    expect([0, 1, 2, 3, 4, 5, 10].map((failures) => nextPollPause({ failures, busy: false, pollMs: 50, maxBackoffMs: 1000 }))).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect(nextPollPause({ failures: 0, busy: true, pollMs: 50, maxBackoffMs: 1000 })).toBe(0);
  });

  it('between quiet polls, doubles from the poll interval up to the idle cap; a busy poll goes on at once', async () => {
    const { nextPollPause } = await import('../../functions/local/event-pipeline.js');
    expect([0, 1, 2, 3, 4, 5, 10].map((quiet) => nextPollPause({ failures: 0, busy: false, pollMs: 50, maxBackoffMs: 5000, quiet, idlePollMs: 1000 }))).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect(nextPollPause({ failures: 0, busy: true, pollMs: 50, maxBackoffMs: 5000, quiet: 10, idlePollMs: 1000 })).toBe(0);
  });
});
