/**
 * The sdk-api's lean DynamoDB client (functions/data/lean-dynamodb.ts) under the store, on
 * DynamoDB Local: what it writes the AWS SDK reads back identically and the other way round,
 * batch reads, pages, counters, transactions refused as the same domain errors, DynamoDB's errors by name,
 * and its signature equals the AWS SDK's own signer's. Throttling, which DynamoDB Local never
 * does, comes from a real HTTP server in front of DynamoDB Local that answers the first requests
 * as DynamoDB does when it throttles.
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../functions/data/create-table.js';
import { DynamoStore } from '../../functions/data/dynamo-store.js';
import { DynamoDBError, leanDocumentTable, type LeanDynamoOptions } from '../../functions/data/lean-dynamodb.js';
import { signedRequest } from '../../functions/data/signed-https.js';
import { TableStore } from '../../functions/data/table-store.js';
import type { Identity, JobChunk, Project } from '../../functions/domain/entities.js';
import { CommitConflict, InvalidCursor } from '../../functions/domain/ports.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';

const endpoint = testDynamoEndpoint();
const config = localDynamoClientConfig(endpoint);
const raw = new DynamoDBClient(config);
const tableName = `vexilla-lean-${randomUUID().slice(0, 8)}`;
const leanOptions = (more: LeanDynamoOptions = {}): LeanDynamoOptions => ({ region: config.region, endpoint, credentials: config.credentials, ...more });
const lean = new TableStore(leanDocumentTable(leanOptions()), tableName);
const sdk = new DynamoStore(documentClient(config), tableName);
const at = '2026-01-01T00:00:00.000Z';

const project = (id: string, version = 1): Project => ({ type: 'project', id, orgId: 'org_lean', name: id, tenantTraitKey: 'tenant', createdAt: at, updatedAt: at, version });
/** Trait values of every JSON kind, and map keys the item codec escapes. */
const identity = (identifier: string): Identity =>
  ({
    type: 'identity',
    orgId: 'org_lean',
    projectId: 'prj_lean',
    envId: 'env_lean',
    identifier,
    traits: { plan: 'pro', seats: 12, ratio: 0.125, big: 12345678901234, negative: -3, beta: true, off: false, nothing: null, empty: '', '': 'blank key', ['__proto__']: 'proto', constructor: 'ctor', nested: { list: [1, 'two', { three: [] }], map: {} }, unicode: 'Zürich 🚀' },
    createdAt: at,
    updatedAt: at,
    version: 1,
  }) as unknown as Identity;

beforeAll(async () => {
  await ensureTable(raw, tableName, { stream: false });
});
afterAll(async () => {
  await raw.send(new DeleteTableCommand({ TableName: tableName }));
  raw.destroy();
});

describe('the lean DynamoDB client under the store', () => {
  it('writes items the AWS SDK reads back identically, and reads what the SDK wrote', async () => {
    await lean.commit([{ kind: 'put', entity: identity('written-lean'), expect: 'absent' }]);
    await sdk.commit([{ kind: 'put', entity: identity('written-sdk'), expect: 'absent' }]);
    for (const identifier of ['written-lean', 'written-sdk']) {
      const ref = { type: 'identity', envId: 'env_lean', identifier } as const;
      expect(await lean.get(ref)).toEqual(identity(identifier));
      expect(await sdk.get(ref)).toEqual(identity(identifier));
    }
    expect(await lean.get({ type: 'identity', envId: 'env_lean', identifier: 'nobody' })).toBeUndefined();
  });

  it('carries binary attributes both ways (base64 in DynamoDB JSON), as the SDK does', async () => {
    // Every byte value, and a view into a larger buffer (its offset must not leak in).
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const backing = Buffer.concat([Buffer.from('before'), Buffer.from(bytes), Buffer.from('after')]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 6, 256);
    const chunk = (jobId: string, data: Uint8Array): JobChunk => ({ type: 'job-chunk', jobId, index: 0, data });
    await lean.commit([{ kind: 'put', entity: chunk('job_lean', view) }]);
    await sdk.commit([{ kind: 'put', entity: chunk('job_sdk', bytes) }]);
    for (const jobId of ['job_lean', 'job_sdk']) {
      const ref = { type: 'job-chunk', jobId, index: 0 } as const;
      for (const store of [lean, sdk]) {
        const read = (await store.get(ref)) as JobChunk;
        expect(read.data).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(read.data).equals(Buffer.from(bytes))).toBe(true);
        expect({ ...read, data: undefined }).toEqual({ ...chunk(jobId, bytes), data: undefined });
      }
    }
  });

  it('pages through a listing with the cursors it issues, as the SDK does', async () => {
    await lean.commit(Array.from({ length: 7 }, (_, i) => ({ kind: 'put' as const, entity: project(`prj_page_${i}`) })));
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await lean.list({ of: 'projects', orgId: 'org_lean' }, { limit: 3, cursor });
      seen.push(...page.items.map((item) => item.id));
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBeGreaterThanOrEqual(3);
    expect(seen).toEqual((await sdk.listAll({ of: 'projects', orgId: 'org_lean' })).map((item) => item.id));
    expect(seen).toHaveLength(7);
    await expect(lean.list({ of: 'projects', orgId: 'org_lean' }, { limit: 3, cursor: 'forged' })).rejects.toBeInstanceOf(InvalidCursor);
  });

  it('counts with UpdateItem and adds evaluations as the SDK reads them', async () => {
    expect(await lean.allocate('lean-counter')).toBe(1);
    expect(await lean.allocate('lean-counter', 5)).toBe(2);
    expect(await sdk.allocate('lean-counter')).toBe(7);
    await lean.addEvaluations('env_lean', '2026-01-02', { alpha: 3, beta: 1 });
    await lean.addEvaluations('env_lean', '2026-01-02', { alpha: 2 });
    expect(await sdk.getEvaluations('env_lean', '2026-01-02')).toEqual({ alpha: 5, beta: 1 });
    expect(await lean.getEvaluations('env_lean', '2026-01-02')).toEqual({ alpha: 5, beta: 1 });
  });

  it('turns a transaction DynamoDB cancels into the same CommitConflict, naming the failed writes, and writes nothing', async () => {
    await lean.commit([{ kind: 'put', entity: project('prj_versioned', 2) }]);
    const attempt = lean.commit([
      { kind: 'put', entity: project('prj_new'), expect: 'absent' },
      { kind: 'put', entity: project('prj_versioned', 3), expect: 1 },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(CommitConflict);
    await expect(attempt).rejects.toMatchObject({ failedWrites: [1] });
    expect(await lean.get({ type: 'project', id: 'prj_new' })).toBeUndefined();
    await lean.commit([{ kind: 'delete', ref: { type: 'project', id: 'prj_versioned' }, expect: 2 }]);
    expect(await sdk.get({ type: 'project', id: 'prj_versioned' })).toBeUndefined();
  });

  it('reads many items at once in the order asked, on both clients: missing ones, repeats and keys DynamoDB refuses read as nothing', async () => {
    // More than one BatchGetItem holds (100 keys), committed in transactions of at most 100 items.
    const many = Array.from({ length: 130 }, (_, i) => project(`prj_many_${i}`));
    for (let start = 0; start < many.length; start += 100) await lean.commit(many.slice(start, start + 100).map((entity) => ({ kind: 'put' as const, entity })));
    await sdk.commit([{ kind: 'put', entity: identity('batch-read') }]);
    const refs = [
      ...many.map(({ id }) => ({ type: 'project', id }) as const),
      { type: 'project', id: 'prj_many_nobody' } as const,
      { type: 'identity', envId: 'env_lean', identifier: 'batch-read' } as const,
      { type: 'project', id: 'prj_many_7' } as const,
      { type: 'project', id: 'x'.repeat(3000) } as const,
    ];
    for (const store of [lean, sdk]) {
      const found = await store.getMany(refs);
      expect(found).toEqual([...many, undefined, identity('batch-read'), many[7], undefined]);
      expect(await store.getMany([])).toEqual([]);
    }
  });

  it("names DynamoDB's errors as the SDK does", async () => {
    const missing = new TableStore(leanDocumentTable(leanOptions()), 'vexilla-no-such-table');
    const error = await missing.get({ type: 'project', id: 'prj_x' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DynamoDBError);
    expect(error).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400, attempts: 1 } });
  });
});

describe('its Signature Version 4', () => {
  /** node:crypto as the SDK signer's hash (what @aws-crypto/sha256 does in the SDK). */
  class Sha256 {
    private readonly hash;
    constructor(secret?: unknown) {
      this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', secret as Uint8Array);
    }
    update(data: Uint8Array | string) {
      this.hash.update(data);
    }
    async digest() {
      return new Uint8Array(this.hash.digest());
    }
  }

  it("equals the AWS SDK signer's for the same DynamoDB request, session token included", async () => {
    const date = new Date('2026-03-04T05:06:07.000Z');
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token+with=chars' };
    const body = JSON.stringify({ TableName: 'vexilla', Key: { pk: { S: 'ENV#1' }, sk: { S: '#ENV' } }, ConsistentRead: true });
    const ours = signedRequest({ url: new URL('https://dynamodb.eu-west-1.amazonaws.com/'), region: 'eu-west-1', service: 'dynamodb', target: 'DynamoDB_20120810.GetItem', body, credentials, date });
    const signer = new SignatureV4({ credentials, region: 'eu-west-1', service: 'dynamodb', sha256: Sha256, applyChecksum: false });
    const theirs = await signer.sign(
      {
        method: 'POST',
        protocol: 'https:',
        hostname: 'dynamodb.eu-west-1.amazonaws.com',
        path: '/',
        headers: { host: 'dynamodb.eu-west-1.amazonaws.com', 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem', 'content-length': String(Buffer.byteLength(body)) },
        body,
      },
      { signingDate: date },
    );
    const lower = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
    expect(lower(ours.headers).authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260304\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/);
    // The same signature over the same signed headers.
    expect(lower(ours.headers).authorization).toBe(theirs.headers.authorization);
    expect(lower(ours.headers)['x-amz-security-token']).toBe(credentials.sessionToken);
    expect(lower(ours.headers)['x-amz-date']).toBe('20260304T050607Z');
  });
});

describe('its retries', () => {
  let proxy: Server;
  let proxyUrl: string;
  /** What the proxy answers before it forwards to DynamoDB Local: one status and error per request. */
  let failures: { status: number; type: string; afterForwarding?: boolean }[] = [];
  /**
   * What the proxy leaves of each BatchGetItem, one entry per request, as DynamoDB does when it
   * throttles one: `rest` forwards the first key only and names the others in UnprocessedKeys,
   * `all` processes none.
   */
  let batchLeaves: ('rest' | 'all')[] = [];
  let requests = 0;

  beforeAll(async () => {
    proxy = createServer((incoming, outgoing) => {
      requests++;
      const failure = failures.shift();
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const fail = ({ status, type }: { status: number; type: string }) => {
          outgoing.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
          outgoing.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: `${type} from the test proxy` }));
        };
        if (failure && !failure.afterForwarding) return fail(failure);
        let body = Buffer.concat(chunks);
        const leaves = String(incoming.headers['x-amz-target']).endsWith('.BatchGetItem') ? batchLeaves.shift() : undefined;
        let left: { table: string; keys: unknown[] } | undefined;
        if (leaves) {
          const batch = JSON.parse(body.toString()) as { RequestItems: Record<string, { Keys: unknown[] }> };
          const [table, { Keys }] = Object.entries(batch.RequestItems)[0]!;
          if (leaves === 'all') {
            outgoing.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
            return void outgoing.end(JSON.stringify({ Responses: { [table]: [] }, UnprocessedKeys: { [table]: { Keys, ConsistentRead: true } } }));
          }
          left = { table, keys: Keys.slice(1) };
          batch.RequestItems[table]!.Keys = Keys.slice(0, 1);
          body = Buffer.from(JSON.stringify(batch)); // DynamoDB Local does not check signatures
        }
        const target = new URL(endpoint);
        const headers = { ...incoming.headers, 'content-length': String(body.length) };
        const forward = request({ hostname: target.hostname, port: target.port, path: incoming.url, method: incoming.method, headers }, (answer) => {
          // A lost answer: DynamoDB did the work, the caller sees a 5xx.
          if (failure) return void answer.resume().on('end', () => fail(failure));
          if (left) {
            const parts: Buffer[] = [];
            answer.on('data', (part: Buffer) => parts.push(part));
            return void answer.on('end', () => {
              const answered = JSON.parse(Buffer.concat(parts).toString()) as Record<string, unknown>;
              outgoing.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
              outgoing.end(JSON.stringify({ ...answered, UnprocessedKeys: { [left!.table]: { Keys: left!.keys, ConsistentRead: true } } }));
            });
          }
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        });
        forward.end(body);
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    await lean.commit([{ kind: 'put', entity: project('prj_retried') }]);
  });
  afterAll(async () => {
    await new Promise((resolve) => proxy.close(resolve));
  });

  const throughProxy = () => {
    const delays: number[] = [];
    const store = new TableStore(leanDocumentTable(leanOptions({ endpoint: proxyUrl, sleep: async (ms) => void delays.push(ms) })), tableName);
    return { store, delays };
  };

  it('retries throttling with exponential backoff and full jitter, and then answers', async () => {
    failures = [
      { status: 400, type: 'ProvisionedThroughputExceededException' },
      { status: 400, type: 'ThrottlingException' },
    ];
    requests = 0;
    const { store, delays } = throughProxy();
    expect(await store.get({ type: 'project', id: 'prj_retried' })).toEqual(project('prj_retried'));
    expect(requests).toBe(3);
    expect(delays).toHaveLength(2);
    // Throttling waits up to 500 ms, then up to 1 s.
    expect(delays[0]).toBeGreaterThanOrEqual(0);
    expect(delays[0]).toBeLessThan(500);
    expect(delays[1]).toBeLessThan(1000);
  });

  it('retries 5xx answers too', async () => {
    failures = [{ status: 500, type: 'InternalServerError' }];
    requests = 0;
    const { store, delays } = throughProxy();
    expect(await store.allocate('retried-counter')).toBe(1);
    expect(requests).toBe(2);
    expect(delays[0]).toBeLessThan(100);
  });

  it('gives up after 3 attempts with the last error, and never retries a client error', async () => {
    failures = Array.from({ length: 3 }, () => ({ status: 400, type: 'ProvisionedThroughputExceededException' }));
    requests = 0;
    const { store } = throughProxy();
    await expect(store.get({ type: 'project', id: 'prj_retried' })).rejects.toMatchObject({ name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400, attempts: 3 } });
    expect(requests).toBe(3);

    failures = [{ status: 400, type: 'ValidationException' }];
    requests = 0;
    await expect(throughProxy().store.get({ type: 'project', id: 'prj_retried' })).rejects.toMatchObject({ name: 'ValidationException', $metadata: { attempts: 1 } });
    expect(requests).toBe(1);
  });

  it('asks again, with backoff and full jitter, for the keys a batch read leaves unprocessed, and gives up on keys never processed', async () => {
    const [a, b, c] = ['prj_batch_a', 'prj_batch_b', 'prj_batch_c'].map((id) => project(id));
    await lean.commit([a!, b!, c!].map((entity) => ({ kind: 'put' as const, entity })));
    const refs = [a!, b!, c!].map(({ id }) => ({ type: 'project', id }) as const);
    const delays: number[] = [];
    const store = new TableStore(leanDocumentTable(leanOptions({ endpoint: proxyUrl })), tableName, async (ms) => void delays.push(ms));

    // One key processed per answer: three BatchGetItem calls, waiting up to 100 ms, then 200 ms.
    batchLeaves = ['rest', 'rest'];
    requests = 0;
    expect(await store.getMany(refs)).toEqual([a, b, c]);
    expect(requests).toBe(3);
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeLessThan(100);
    expect(delays[1]).toBeLessThan(200);

    // Never processed: eight calls, then an error that says so.
    batchLeaves = Array.from({ length: 8 }, () => 'all' as const);
    requests = 0;
    await expect(store.getMany(refs)).rejects.toThrow('DynamoDB left 3 key(s) of a BatchGetItem unprocessed 8 times.');
    expect(requests).toBe(8);
    expect(batchLeaves).toEqual([]);
  });

  it('retries a transaction with the same idempotency token, so one whose answer was lost applies once and succeeds', async () => {
    failures = [{ status: 500, type: 'InternalServerError', afterForwarding: true }];
    requests = 0;
    const { store } = throughProxy();
    await store.commit([{ kind: 'put', entity: project('prj_once'), expect: 'absent' }]);
    expect(requests).toBe(2);
    expect(await sdk.get({ type: 'project', id: 'prj_once' })).toEqual(project('prj_once'));
  });
});
