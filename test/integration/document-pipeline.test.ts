/**
 * The local stack's event pipeline end to end on DynamoDB Local: a change committed through
 * the admin API → the table's stream → the stream publisher → the in-process bus → the
 * audit-writer and the document-publisher → the edge cache, and the same event delivered again.
 */
import { randomUUID } from 'node:crypto';
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChangeEvent } from '../../functions/domain/entities.js';
import { documentFingerprint, environmentEdgeKeys, type PublishBatchResult } from '../../functions/domain/use-cases/publish-documents.js';
import { edgeKeyOf, invalidationPathsOf } from '../../functions/edge/cache-rules.js';
import { CloudFrontInvalidator } from '../../functions/events/cloudfront-invalidator.js';
import { publishSqsBatch } from '../../functions/events/consumers/document-publisher.js';
import { toEventDetail } from '../../functions/events/detail-types.js';
import type { BusEntry } from '../../functions/events/publisher.js';
import type { LocalStack } from '../../functions/local/stack.js';
import { startFreshLocalStack } from '../support/local-stack.js';

let stack: LocalStack;
let token: string;
let orgId: string;
const published: PublishBatchResult[] = [];

beforeAll(async () => {
  ({ stack, orgId, token } = await startFreshLocalStack({
    organisation: 'Pipeline',
    onPublished: (result) => published.push(result),
    // Cached answers stay fresh for the whole file: only an invalidation drops them, however slow
    // the machine (the origin's 10 s could lapse between two steps, and a Miss then prove nothing).
    edgeTtl: { maxAgeSeconds: 86_400 },
  }));
});
afterAll(() => stack?.stop());

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
}

async function waitFor<T>(probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Nothing after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Resolves once the environment's published marker names its current content. The content is
 * the test's own writes, all made before this is called (publishing stores the marker only), so
 * it is read once (a dozen queries), and the marker (one GetItem) is what is polled.
 */
async function settled(envId: string) {
  const fingerprint = await documentFingerprint(stack.deps.store, envId);
  await waitFor(async () => {
    const marker = await stack.deps.store.get({ type: 'published-document', envId });
    return marker && marker.etag === fingerprint?.etag ? marker : undefined;
  });
  await stack.idle();
}

async function newEnvironment(features: string[]) {
  const projectId: string = (await call('POST', `/admin/v1/organisations/${orgId}/projects`, { name: `P-${randomUUID().slice(0, 6)}` })).body.id;
  const environment = await call('POST', `/admin/v1/projects/${projectId}/environments`, { name: 'production' });
  for (const name of features) expect((await call('POST', `/admin/v1/projects/${projectId}/features`, { name, initialValue: 'old' })).status).toBe(201);
  const envId: string = environment.body.environment.id;
  await settled(envId);
  return { projectId, envId, clientKey: environment.body.clientKey as string };
}

const flags = (clientKey: string) => call('GET', '/api/v1/flags/', undefined, { 'x-environment-key': clientKey });

async function latestAudit(envId: string, feature: string): Promise<ChangeEvent> {
  const audit = await call('GET', `/admin/v1/organisations/${orgId}/audit?environment=${envId}&feature=${feature}`);
  return audit.body.items[0] as ChangeEvent;
}

const entryOf = (event: ChangeEvent): BusEntry => ({
  Source: 'vexilla',
  DetailType: event.detailType,
  Detail: JSON.stringify(toEventDetail(event)),
  EventBusName: 'vexilla-local',
  Time: new Date(event.at),
});

beforeEach(() => {
  published.length = 0;
});

describe('audit-writer', () => {
  it('marks a committed change consumed through the real stream, and a redelivered event leaves exactly one audit record', async () => {
    // Prepare
    const { envId } = await newEnvironment(['checkout']);
    expect((await call('PATCH', `/admin/v1/environments/${envId}/feature-states/checkout`, { enabled: true })).status).toBe(200);
    const record = await latestAudit(envId, 'checkout');
    const consumed = () => stack.deps.store.get({ type: 'consumed', consumer: 'audit-writer', eventId: record.id });
    await waitFor(consumed);

    // Act: the same event again, and once more with its images dropped (as the publisher does for oversized events)
    await stack.bus.put([entryOf(record)]);
    await stack.bus.put([{ ...entryOf(record), Detail: JSON.stringify({ ...toEventDetail(record), before: null, after: null, truncated: true }) }]);
    await stack.idle();

    // Assess
    const audit = await call('GET', `/admin/v1/organisations/${orgId}/audit?environment=${envId}&feature=checkout`);
    expect(audit.body.items.filter((item: ChangeEvent) => item.id === record.id)).toEqual([record]);
    expect(stack.bus.failures()).toEqual({});
  });

  it('writes a missing audit record once, under the key the write path uses', async () => {
    // Prepare: an event whose record is not in the table (it came from elsewhere)
    const event: ChangeEvent = {
      type: 'event', id: randomUUID(), detailType: 'organisation.changed', action: 'updated', orgId,
      subject: { kind: 'organisation', id: orgId }, actor: { tokenId: 'tok_x', name: 'ana' },
      before: { name: 'Pipeline' }, after: { name: 'Pipeline' }, at: new Date().toISOString(),
    };

    // Act
    await stack.bus.put([entryOf(event)]);
    await stack.bus.put([entryOf(event)]);
    await stack.idle();

    // Assess
    const audit = await stack.deps.store.listAll({ of: 'audit', orgId, from: event.at, to: event.at });
    expect(audit.filter((item) => item.id === event.id)).toEqual([event]);
  });
});

describe('document-publisher', () => {
  it('rebuilds an environment once for a burst of 20 changes, publishes the final state, and the edge serves it', async () => {
    // Prepare: 20 features, their flags cached at the edge; publishing held so the burst is pending together
    const names = Array.from({ length: 20 }, (_, i) => `f${String(i).padStart(2, '0')}`);
    const { envId, clientKey } = await newEnvironment(names);
    expect((await flags(clientKey)).headers.get('x-cache')).toBe('Miss from edge');
    expect((await flags(clientKey)).headers.get('x-cache')).toBe('Hit from edge');
    const before = await stack.deps.store.get({ type: 'published-document', envId });
    const resume = stack.documents.pause();
    published.length = 0;

    // Act: 20 changes at once, delivered through the stream to both consumers, then publishing resumes
    const replies = await Promise.all(names.map((name) => call('PATCH', `/admin/v1/environments/${envId}/feature-states/${name}`, { enabled: true, value: `new-${name}` })));
    expect(replies.map((reply) => reply.status)).toEqual(names.map(() => 200));
    const audit = await call('GET', `/admin/v1/organisations/${orgId}/audit?environment=${envId}&limit=20`);
    const eventIds: string[] = audit.body.items.map((item: ChangeEvent) => item.id);
    await waitFor(async () => {
      const markers = await Promise.all(eventIds.map((eventId) => stack.deps.store.get({ type: 'consumed', consumer: 'audit-writer', eventId })));
      return markers.every(Boolean) ? true : undefined;
    });
    await stack.idle();
    expect(published).toEqual([]);
    resume();
    await settled(envId);

    // Assess
    const marker = await stack.deps.store.get({ type: 'published-document', envId });
    expect(published).toHaveLength(1);
    expect(published[0]?.results.get(envId)?.outcome).toBe('published');
    expect(published[0]?.invalidation).toEqual(expect.any(String));
    expect(marker?.version).toBe((before?.version ?? 0) + 1);
    expect([...(marker?.eventIds ?? [])].sort()).toEqual(expect.arrayContaining([...eventIds].sort()));
    expect(marker?.etag).toBe((await documentFingerprint(stack.deps.store, envId))?.etag);
    const served = await flags(clientKey);
    expect(served.headers.get('x-cache')).toBe('Miss from edge');
    expect(served.body.map((flag: { feature_state_value: string }) => flag.feature_state_value).sort()).toEqual(names.map((name) => `new-${name}`));
  });

  it('does not rebuild or invalidate again for a redelivered event', async () => {
    // Prepare
    const { envId, clientKey } = await newEnvironment(['banner']);
    expect((await call('PATCH', `/admin/v1/environments/${envId}/feature-states/banner`, { value: 'v2' })).status).toBe(200);
    await settled(envId);
    const marker = await stack.deps.store.get({ type: 'published-document', envId });
    await flags(clientKey);
    expect((await flags(clientKey)).headers.get('x-cache')).toBe('Hit from edge');
    const original = [...published].reverse().find((result) => result.results.get(envId)?.outcome === 'published');
    published.length = 0;

    // Act: the change's event delivered a second time
    await stack.bus.put([entryOf(await latestAudit(envId, 'banner'))]);
    await waitFor(() => (published.length > 0 ? true : undefined));
    await stack.idle();

    // Assess
    // The same invalidation as the original publish's, which the edge does not make twice
    expect(published.map((result) => [result.results.get(envId)?.outcome, result.invalidation])).toEqual([['covered', original?.invalidation]]);
    expect(await stack.deps.store.get({ type: 'published-document', envId })).toEqual(marker);
    expect((await flags(clientKey)).headers.get('x-cache')).toBe('Hit from edge');
  });
});

describe('document-publisher: exact invalidation', () => {
  const publishedFor = (envId: string) => waitFor(() => published.find((result) => result.results.get(envId)?.outcome === 'published'));

  it("invalidates the changed environment's keys only", async () => {
    // Prepare: two environments' flags cached at the edge
    const a = await newEnvironment(['banner']);
    const b = await newEnvironment(['banner']);
    await flags(a.clientKey);
    await flags(b.clientKey);
    published.length = 0;

    // Act
    expect((await call('PATCH', `/admin/v1/environments/${a.envId}/feature-states/banner`, { value: 'v2' })).status).toBe(200);
    await settled(a.envId);

    // Assess
    const result = await publishedFor(a.envId);
    expect(result.paths).toEqual(invalidationPathsOf(await environmentEdgeKeys(stack.deps.store, a.envId)));
    expect(result.paths).toContain(`/edge/${edgeKeyOf(a.clientKey)}/api/v1/flags`);
    expect(result.paths.some((path) => path.includes(edgeKeyOf(b.clientKey)))).toBe(false);
    const served = await flags(a.clientKey);
    expect(served.headers.get('x-cache')).toBe('Miss from edge');
    expect(served.body[0].feature_state_value).toBe('v2');
  });

  it("drops a revoked key's cached answers though the document did not change", async () => {
    // Prepare: a second server key whose document is cached
    const { envId } = await newEnvironment(['banner']);
    const created = await call('POST', `/admin/v1/environments/${envId}/server-keys`, { name: 'temp' });
    const revoked = edgeKeyOf(created.body.key);
    // The key's creation is published too: the marker then lists it.
    await waitFor(async () => ((await stack.deps.store.get({ type: 'published-document', envId }))?.edgeKeys?.some((key) => key.edgeKey === revoked) ? true : undefined));
    await stack.idle();
    const document = () => call('GET', '/api/v1/environment-document/', undefined, { 'x-environment-key': created.body.key });
    expect((await document()).status).toBe(200);
    expect((await document()).headers.get('x-cache')).toMatch(/^Hit from edge/);
    const before = await stack.deps.store.get({ type: 'published-document', envId });
    published.length = 0;

    // Act
    expect((await call('DELETE', `/admin/v1/environments/${envId}/server-keys/${created.body.id}`)).status).toBe(204);

    // Assess: that key's paths only, the content's time unmoved, and the key refused at the edge
    const result = await publishedFor(envId);
    expect(result.paths).toEqual([`/edge/${revoked}/api/v1/environment-document*`, `/edge/${revoked}/api/v1/flags`]);
    const marker = await stack.deps.store.get({ type: 'published-document', envId });
    expect(marker).toMatchObject({ etag: before?.etag, updatedAt: before?.updatedAt, version: (before?.version ?? 0) + 1 });
    expect((await document()).status).toBe(401);
  });
});

describe('document-publisher Lambda (SQS batch → CloudFront)', () => {
  const cloudFront = mockClient(CloudFrontClient);
  afterAll(() => cloudFront.restore());

  async function sqsBatch(names: string[]) {
    const { envId, clientKey } = await newEnvironment(names);
    for (const name of names) expect((await call('PATCH', `/admin/v1/environments/${envId}/feature-states/${name}`, { enabled: true })).status).toBe(200);
    const events = await Promise.all(names.map((name) => latestAudit(envId, name)));
    // Wipe the local stack's publish, so the Lambda path does the work.
    await settled(envId);
    await stack.deps.store.commit([{ kind: 'delete', ref: { type: 'published-document', envId } }]);
    const sqs = {
      Records: events.map((event, i) => ({
        messageId: `m-${i}`,
        body: JSON.stringify({ version: '0', id: `eb-${i}`, source: 'vexilla', 'detail-type': event.detailType, time: event.at, detail: toEventDetail(event) }),
      })),
    } as SQSEvent;
    cloudFront.reset();
    return { envId, clientKey, events, sqs, edge: new CloudFrontInvalidator(new CloudFrontClient({ region: 'us-east-1' }), 'E2DIST') };
  }

  it('rebuilds each environment once per batch and invalidates once; a retried batch names the same invalidation and changes nothing', async () => {
    // Prepare: two changes in one environment, as two SQS messages holding EventBridge events
    const { envId, clientKey, events, sqs, edge } = await sqsBatch(['a', 'b']);
    cloudFront.on(CreateInvalidationCommand).resolves({});

    // Act
    const first = await publishSqsBatch(stack.deps, edge, sqs);
    const retried = await publishSqsBatch(stack.deps, edge, sqs);

    // Assess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(retried).toEqual({ batchItemFailures: [] });
    const calls = cloudFront.commandCalls(CreateInvalidationCommand);
    // Exactly this environment's keys: a new environment has its client key only.
    expect(invalidationPathsOf(await environmentEdgeKeys(stack.deps.store, envId))).toEqual([`/edge/${edgeKeyOf(clientKey)}/api/v1/flags`]);
    expect(calls[0]?.args[0].input).toEqual({
      DistributionId: 'E2DIST',
      InvalidationBatch: { Paths: { Quantity: 1, Items: [`/edge/${edgeKeyOf(clientKey)}/api/v1/flags`] }, CallerReference: expect.stringMatching(/^[0-9a-f]{32}$/) },
    });
    // CloudFront answers a known CallerReference with the invalidation it already made.
    expect(calls.map((call) => call.args[0].input)).toEqual([calls[0]?.args[0].input, calls[0]?.args[0].input]);
    const marker = await stack.deps.store.get({ type: 'published-document', envId });
    expect(marker).toMatchObject({ version: 1, eventIds: events.map((event) => event.id), etag: (await documentFingerprint(stack.deps.store, envId))?.etag });
  });

  it('invalidates on the retry when the invalidation failed after the document was published', async () => {
    // Prepare
    const { envId, sqs, edge } = await sqsBatch(['c']);
    // (Throttling is retried inside, with backoff: an error that is not, such as a missing permission.)
    cloudFront.on(CreateInvalidationCommand).rejectsOnce(Object.assign(new Error('not allowed'), { name: 'AccessDenied' })).resolves({});

    // Act
    await expect(publishSqsBatch(stack.deps, edge, sqs)).rejects.toThrow('not allowed');
    const retried = await publishSqsBatch(stack.deps, edge, sqs);

    // Assess: the marker was kept, and the retry asked for the same invalidation again
    expect(retried).toEqual({ batchItemFailures: [] });
    expect(await stack.deps.store.get({ type: 'published-document', envId })).toMatchObject({ version: 1 });
    const calls = cloudFront.commandCalls(CreateInvalidationCommand).map((call) => call.args[0].input);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual(calls[0]);
  });
});
