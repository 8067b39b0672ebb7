/**
 * Webhook deliveries: the fan-out of one event to the matching webhooks of the environments it
 * affects, and one signed delivery attempt with its retry decision. No AWS here: the delivery
 * queue is a port (SQS in production, timers locally); HTTP is node:http (webhook-http.ts).
 *
 * Delivery is at-least-once: a delivery's id is stable across its attempts and redeliveries
 * (header `X-Vexilla-Delivery`), so receivers can deduplicate on it.
 */
import { createHash, createHmac } from 'node:crypto';
import type { DetailType, Webhook, WebhookDelivery } from './entities.js';
import { CommitConflict, type DeliveryQueue, type Write } from './ports.js';
import type { Deps } from './use-cases/support.js';
import { postOnce } from './webhook-http.js';
import { type Lookup, PrivateTargetError, resolvePublicTarget } from './webhook-targets.js';

/** The detail-types webhooks can receive (the dispatcher's rule); a webhook's `events` filter picks among them. */
export const WEBHOOK_EVENT_TYPES = [
  'environment.changed',
  'feature.changed',
  'feature-state.changed',
  'segment.changed',
  'identity-override.changed',
  'change-request.changed',
  'schedule.changed',
  'rollout.changed',
  'tenant.changed',
  'template.changed',
] as const satisfies readonly DetailType[];

/** Detail-types whose events name a project, not an environment: they reach every environment of it. */
const PROJECT_SCOPED: readonly DetailType[] = ['feature.changed', 'segment.changed', 'tenant.changed', 'template.changed'];

export const SIGNATURE_HEADER = 'x-vexilla-signature';
export const USER_AGENT = 'Vexilla-Webhooks/1';
/** SQS's largest DelaySeconds: no backoff step waits longer. */
export const MAX_DELAY_SECONDS = 900;
/** Deliveries (each with a copy of its event) are kept this long after creation, then DynamoDB's TTL deletes them. */
export const DELIVERY_RETENTION_DAYS = 30;

/**
 * The write of a delivery, with its TTL (`expiresAt`, epoch seconds) derived from `createdAt`:
 * the store strips `expiresAt` on read, so every write sets it again, always to the same value.
 */
export function deliveryWrite(delivery: WebhookDelivery, expect: 'absent' | number): Write {
  const expiresAt = Math.floor(Date.parse(delivery.createdAt) / 1000) + DELIVERY_RETENTION_DAYS * 86_400;
  return { kind: 'put', entity: { ...delivery, expiresAt }, expect };
}

export interface DispatchOptions {
  /** First retry delay; each later one doubles, with jitter, capped at 15 minutes. @default 60 */
  baseDelaySeconds?: number;
  /** Attempts before a delivery is `failed` (the dead-letter list). @default 5 */
  maxAttempts?: number;
  /** Per-attempt timeout. @default 5000 */
  timeoutMs?: number;
}

/** What the dispatcher needs: storage, a clock and the queue (`deps.allowPrivateWebhookTargets` says where it may send). */
export interface DispatchDeps extends Deps {
  queue: DeliveryQueue;
  /** Resolves target host names for the private-target check. @default the system resolver */
  lookup?: Lookup;
  /** For jitter. @default Math.random */
  random?: () => number;
}

/** The fields of an event's detail the fan-out reads (see events/detail-types.ts). */
export interface DispatchedEvent {
  detailType: string;
  detail: {
    eventId: string;
    /** Commit time (ISO). */
    at: string;
    organisationId: string;
    projectId?: string | undefined;
    environmentId?: string | undefined;
    subject: Record<string, string>;
    [field: string]: unknown;
  };
}

export interface DeliveryRef {
  webhookId: string;
  deliveryId: string;
}

/**
 * The delivery id of an event for a webhook: the same pair always gives the same id, so a repeated
 * event creates nothing. It starts with the event's commit time, so a webhook's deliveries sort
 * by it (they are keyed by id under the webhook).
 */
export function deliveryIdOf(event: { eventId: string; at: string }, webhookId: string): string {
  const time = event.at.replace(/[-:.]/g, '');
  return `dlv_${time}_${createHash('sha256').update(`${event.eventId}\n${webhookId}`).digest('hex').slice(0, 24)}`;
}

/** `sha256=<hex HMAC-SHA256 of the body with the secret>`, the `X-Vexilla-Signature` header. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The exact body of one attempt: the stored event part with the attempt's unix timestamp. */
export function attemptBody(payload: string, at: Date): string {
  const { id, type, data } = JSON.parse(payload) as { id: string; type: string; data: unknown };
  return JSON.stringify({ id, type, timestamp: Math.floor(at.getTime() / 1000), data });
}

const matches = (webhook: Webhook, detailType: string) =>
  webhook.enabled && (webhook.events.length === 0 || (webhook.events as readonly string[]).includes(detailType));

async function affectedEnvironments(deps: Deps, event: DispatchedEvent): Promise<string[]> {
  const { environmentId, projectId } = event.detail;
  if (environmentId) return [environmentId];
  if (projectId && PROJECT_SCOPED.includes(event.detailType as DetailType)) {
    return (await deps.store.listAll({ of: 'environments', projectId })).map((environment) => environment.id);
  }
  return [];
}

/**
 * Creates one delivery per matching webhook of the environments an event affects, and queues its
 * first attempt. Idempotent on the event id: a delivery that already exists is neither created
 * nor queued again. Returns the ids of the deliveries it created.
 */
export async function fanOut(deps: DispatchDeps, event: DispatchedEvent): Promise<string[]> {
  if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event.detailType)) return [];
  const environments = await affectedEnvironments(deps, event);
  const webhooks = (await Promise.all(environments.map((envId) => deps.store.listAll({ of: 'webhooks', envId })))).flat();
  const at = deps.clock().toISOString();
  const payload = JSON.stringify({ id: event.detail.eventId, type: event.detailType, data: event.detail });
  const deliveries = webhooks
    .filter((webhook) => webhook.orgId === event.detail.organisationId && matches(webhook, event.detailType))
    .map(
      (webhook): WebhookDelivery => ({
        type: 'webhook-delivery',
        id: deliveryIdOf(event.detail, webhook.id),
        orgId: webhook.orgId,
        envId: webhook.envId,
        webhookId: webhook.id,
        eventId: event.detail.eventId,
        detailType: event.detailType as DetailType,
        status: 'pending',
        attempts: 0,
        payload,
        createdAt: at,
        updatedAt: at,
        version: 1,
      }),
    );
  const created = (await Promise.all(chunks(deliveries, MAX_WRITES_PER_COMMIT).map((chunk) => createAbsent(deps, chunk)))).flat();
  await Promise.all(created.map((delivery) => deps.queue.enqueue({ webhookId: delivery.webhookId, deliveryId: delivery.id }, 0)));
  return created.map((delivery) => delivery.id);
}

/** TransactWriteItems takes at most 100 writes. */
const MAX_WRITES_PER_COMMIT = 100;

const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Puts the deliveries that do not exist yet: all in one commit when none does (a new event, the
 * usual case), else one by one, so those an earlier copy of the event made are skipped.
 */
async function createAbsent(deps: Deps, deliveries: WebhookDelivery[]): Promise<WebhookDelivery[]> {
  const put = async (batch: WebhookDelivery[]) => {
    try {
      await deps.store.commit(batch.map((delivery) => deliveryWrite(delivery, 'absent')));
      return true;
    } catch (error) {
      if (error instanceof CommitConflict) return false;
      throw error;
    }
  };
  if (deliveries.length === 0) return [];
  if (await put(deliveries)) return deliveries;
  if (deliveries.length === 1) return [];
  const made = await Promise.all(deliveries.map(async (delivery) => ((await put([delivery])) ? delivery : undefined)));
  return made.filter((delivery): delivery is WebhookDelivery => delivery !== undefined);
}

type Outcome = { ok: true; statusCode: number } | { ok: false; retry: boolean; statusCode?: number; error: string };

/** 2xx delivers; 5xx, 408 and 429 may pass later; any other answer will not. */
function outcomeOf(statusCode: number): Outcome {
  if (statusCode >= 200 && statusCode < 300) return { ok: true, statusCode };
  const retry = statusCode >= 500 || statusCode === 408 || statusCode === 429;
  return { ok: false, retry, statusCode, error: `HTTP ${statusCode}` };
}

/**
 * One POST. Unless the deployment allows private targets, the host is resolved at each attempt
 * (DNS can change between attempts), refused if ANY address is not public, and the connection
 * goes to the checked addresses only. Redirects are not followed (a 3xx fails the delivery).
 */
async function post(deps: DispatchDeps, url: string, body: string, headers: Record<string, string>, timeoutMs: number): Promise<Outcome> {
  const target = new URL(url);
  try {
    const addresses = deps.allowPrivateWebhookTargets ? undefined : await resolvePublicTarget(target, deps.lookup);
    return outcomeOf(await postOnce({ url: target, body, headers, timeoutMs, addresses }));
  } catch (error) {
    // No retry: the next attempt would be refused too (a redelivery checks again).
    if (error instanceof PrivateTargetError) return { ok: false, retry: false, error: error.message };
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, retry: true, error: `timed out after ${timeoutMs} ms` };
    // The error's code (ECONNREFUSED, ENOTFOUND…) says enough and holds nothing secret.
    const code = ((error as { code?: string }).code ?? name).slice(0, 60);
    return { ok: false, retry: true, error: `network error: ${code}` };
  }
}

/** Seconds before attempt `attempt + 1`: doubling from the base, capped, with "equal jitter" (half fixed, half random). */
export function backoffSeconds(attempt: number, baseDelaySeconds: number, random: () => number): number {
  const ceiling = Math.min(MAX_DELAY_SECONDS, baseDelaySeconds * 2 ** (attempt - 1));
  return ceiling / 2 + (ceiling / 2) * random();
}

export type AttemptResult = 'delivered' | 'retrying' | 'failed' | 'skipped';

/**
 * One delivery attempt: POSTs the signed body, records the attempt, and queues the next one with
 * backoff when the answer may change (5xx, 408, 429, timeout, network error) and attempts remain.
 * A delivery already delivered or failed is skipped; one whose webhook is gone or disabled fails
 * without a request, so it shows in the dead-letter list and can be redelivered. The record is
 * updated on its version: if a redelivery moved it meanwhile, this attempt's outcome is dropped.
 */
export async function deliverOnce(deps: DispatchDeps, ref: DeliveryRef, options: DispatchOptions = {}): Promise<AttemptResult> {
  const maxAttempts = options.maxAttempts ?? 5;
  const delivery = await deps.store.get({ type: 'webhook-delivery', webhookId: ref.webhookId, id: ref.deliveryId });
  if (!delivery || delivery.status === 'delivered' || delivery.status === 'failed') return 'skipped';
  const webhook = await deps.store.get({ type: 'webhook', envId: delivery.envId, id: delivery.webhookId });
  const at = deps.clock();
  let next: WebhookDelivery;
  let delaySeconds: number | undefined;
  if (!webhook?.enabled) {
    next = { ...delivery, status: 'failed', lastError: webhook ? 'webhook disabled' : 'webhook deleted', nextAttemptAt: undefined };
  } else {
    const body = attemptBody(delivery.payload, at);
    const outcome = await post(
      deps,
      webhook.url,
      body,
      {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'x-vexilla-event': delivery.detailType,
        'x-vexilla-delivery': delivery.id,
        'x-vexilla-timestamp': String(Math.floor(at.getTime() / 1000)),
        [SIGNATURE_HEADER]: signBody(webhook.secret, body),
      },
      options.timeoutMs ?? 5000,
    );
    const attempts = delivery.attempts + 1;
    const recorded = { attempts, lastAttemptAt: at.toISOString(), lastStatusCode: outcome.statusCode, lastError: outcome.ok ? undefined : outcome.error };
    if (outcome.ok) {
      next = { ...delivery, ...recorded, status: 'delivered', deliveredAt: deps.clock().toISOString(), nextAttemptAt: undefined };
    } else if (outcome.retry && attempts < maxAttempts) {
      delaySeconds = backoffSeconds(attempts, options.baseDelaySeconds ?? 60, deps.random ?? Math.random);
      next = { ...delivery, ...recorded, status: 'retrying', nextAttemptAt: new Date(at.getTime() + delaySeconds * 1000).toISOString() };
    } else {
      next = { ...delivery, ...recorded, status: 'failed', nextAttemptAt: undefined };
    }
  }
  next = { ...next, version: delivery.version + 1, updatedAt: deps.clock().toISOString() };
  try {
    await deps.store.commit([deliveryWrite(next, delivery.version)]);
  } catch (error) {
    if (error instanceof CommitConflict) return 'skipped';
    throw error;
  }
  if (delaySeconds !== undefined) await deps.queue.enqueue(ref, delaySeconds);
  return next.status as Exclude<WebhookDelivery['status'], 'pending'>;
}

/** The writes that put a finished delivery back in the queue's hands: pending, attempts reset. */
export function redeliveryWrite(delivery: WebhookDelivery, at: string): { next: WebhookDelivery; write: Write } {
  const next: WebhookDelivery = {
    ...delivery,
    status: 'pending',
    attempts: 0,
    nextAttemptAt: undefined,
    deliveredAt: undefined,
    version: delivery.version + 1,
    updatedAt: at,
  };
  return { next, write: deliveryWrite(next, delivery.version) };
}

const SWEEP_CONCURRENCY = 10;

/**
 * Puts stuck deliveries back in the queue: `pending` ones last written more than `olderThanMs`
 * ago (the process died between committing them and queueing their first attempt) and
 * `retrying` ones whose next attempt is that much overdue (the retry's message was lost). It
 * walks every webhook's pending and retrying lists (two queries per webhook, no scan). A delivery
 * that was not stuck after all (an attempt still running) may get one more attempt: delivery is
 * at-least-once, receivers deduplicate on `X-Vexilla-Delivery`, and attempts commit on the
 * delivery's version, so only one outcome is recorded. Returns the deliveries it queued.
 */
export async function sweepStuckDeliveries(deps: DispatchDeps, { olderThanMs }: { olderThanMs: number }): Promise<DeliveryRef[]> {
  const cutoff = new Date(deps.clock().getTime() - olderThanMs).toISOString();
  const stuckOf = async (webhook: Webhook) => {
    const [pending, retrying] = await Promise.all([
      deps.store.listAll({ of: 'webhook-deliveries', webhookId: webhook.id, status: 'pending' }),
      deps.store.listAll({ of: 'webhook-deliveries', webhookId: webhook.id, status: 'retrying' }),
    ]);
    return [
      ...pending.filter((delivery) => delivery.updatedAt < cutoff),
      ...retrying.filter((delivery) => (delivery.nextAttemptAt ?? delivery.updatedAt) < cutoff),
    ];
  };
  // Claims a stuck delivery before queueing it: its updatedAt moves to now, conditional on the
  // version the sweep read, so the next sweep (or one running beside it, or an index entry that
  // lags) does not queue it again while this attempt is on its way.
  const claim = async (delivery: WebhookDelivery): Promise<DeliveryRef | undefined> => {
    const now = deps.clock().toISOString();
    const claimed: WebhookDelivery = { ...delivery, updatedAt: now, ...(delivery.status === 'retrying' ? { nextAttemptAt: now } : {}), version: delivery.version + 1 };
    try {
      await deps.store.commit([deliveryWrite(claimed, delivery.version)]);
    } catch (error) {
      if (error instanceof CommitConflict) return undefined;
      throw error;
    }
    return { webhookId: delivery.webhookId, deliveryId: delivery.id };
  };
  const queued: DeliveryRef[] = [];
  // A few webhooks at a time: the sweep must not crowd out the table's request paths.
  for (const batch of chunks(await deps.store.listAll({ of: 'all-webhooks' }), SWEEP_CONCURRENCY)) {
    const stuck = (await Promise.all(batch.map(stuckOf))).flat();
    const refs = (await Promise.all(stuck.map(claim))).filter((ref): ref is DeliveryRef => ref !== undefined);
    await Promise.all(refs.map((ref) => deps.queue.enqueue(ref, 0)));
    queued.push(...refs);
  }
  return queued;
}
