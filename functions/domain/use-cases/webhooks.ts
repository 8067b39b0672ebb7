/**
 * Per-environment webhooks and their deliveries. The signing secret is shown once (on creation and
 * rotation); views, listings, events and audit images never carry it.
 */
import type * as z from 'zod';
import type { ChangeAction, Environment, Webhook, WebhookDelivery } from '../entities.js';
import { Conflict, Invalid, NotFound } from '../errors.js';
import type { Page, Write } from '../ports.js';
import type * as schemas from '../schemas.js';
import { redeliveryWrite } from '../webhook-deliveries.js';
import { literalPrivateTarget } from '../webhook-targets.js';
import { purgeJob, startPurge } from './purges.js';
import { type Actor, commitOrConflict, type Deps, defined, eventWrite, expectVersion, isoNow, newId, randomToken } from './support.js';

export type WebhookView = Omit<Webhook, 'secret'>;
/** A delivery in a listing: without its body, which `getWebhookDelivery` shows. */
export type DeliveryView = Omit<WebhookDelivery, 'payload'>;

const SECRET_PREFIX = 'whsec_';

export const webhookView = ({ secret: _secret, ...view }: Webhook): WebhookView => view;
const deliveryView = ({ payload: _payload, ...view }: WebhookDelivery): DeliveryView => view;

function mintSecret() {
  const secret = `${SECRET_PREFIX}${randomToken(40)}`;
  return { secret, secretPrefix: secret.slice(0, SECRET_PREFIX.length + 4) };
}

/** The event of a webhook change: images without the secret. */
function webhookEvent(deps: Deps, actor: Actor, action: ChangeAction, before: Webhook | null, after: Webhook | null): Write {
  const webhook = (after ?? before) as Webhook;
  return eventWrite(deps, actor, {
    detailType: 'webhook.changed',
    action,
    orgId: webhook.orgId,
    projectId: webhook.projectId,
    envId: webhook.envId,
    subject: { kind: 'webhook', id: webhook.id },
    before: before && webhookView(before),
    after: after && webhookView(after),
    ...(after ? { version: after.version } : {}),
  });
}

async function load(deps: Deps, environment: Environment, webhookId: string): Promise<Webhook> {
  const webhook = await deps.store.get({ type: 'webhook', envId: environment.id, id: webhookId });
  if (!webhook) throw new NotFound(`No webhook ${webhookId} in this environment.`);
  return webhook;
}

const changedMeanwhile = async () => new Conflict('The webhook changed meanwhile: reload and try again.');

/** Refuses a URL that visibly targets this machine or a private network, unless the deployment allows it (the local stack). */
function refusePrivateTarget(deps: Deps, url: string | undefined): void {
  const reason = url && !deps.allowPrivateWebhookTargets ? literalPrivateTarget(url) : undefined;
  if (reason) {
    throw new Invalid('Webhooks must target a public address.', [{ path: 'url', message: `${reason}: webhooks must target a public address` }]);
  }
}

export async function listWebhooks(deps: Deps, environment: Environment): Promise<{ items: WebhookView[] }> {
  return { items: (await deps.store.listAll({ of: 'webhooks', envId: environment.id })).map(webhookView) };
}

export async function getWebhook(deps: Deps, environment: Environment, webhookId: string): Promise<WebhookView> {
  return webhookView(await load(deps, environment, webhookId));
}

/** A new webhook; its signing secret is returned once, with it. */
export async function createWebhook(deps: Deps, actor: Actor, environment: Environment, body: z.infer<typeof schemas.createWebhookBody>) {
  refusePrivateTarget(deps, body.url);
  const at = isoNow(deps);
  const { secret, secretPrefix } = mintSecret();
  const webhook: Webhook = {
    type: 'webhook',
    id: newId('whk'),
    orgId: environment.orgId,
    projectId: environment.projectId,
    envId: environment.id,
    url: body.url,
    secret,
    secretPrefix,
    events: body.events,
    enabled: body.enabled,
    description: body.description,
    createdBy: actor.name,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  await deps.store.commit([{ kind: 'put', entity: webhook, expect: 'absent' }, webhookEvent(deps, actor, 'created', null, webhook)]);
  return { webhook: webhookView(webhook), secret };
}

export async function updateWebhook(deps: Deps, actor: Actor, environment: Environment, webhookId: string, body: z.infer<typeof schemas.updateWebhookBody>) {
  refusePrivateTarget(deps, body.url);
  const webhook = await load(deps, environment, webhookId);
  const expected = expectVersion(webhook.version, body.version, 'The webhook');
  const { version: _version, ...changes } = body;
  const next: Webhook = { ...webhook, ...defined(changes), version: expected + 1, updatedAt: isoNow(deps) };
  await commitOrConflict(deps, [{ kind: 'put', entity: next, expect: expected }, webhookEvent(deps, actor, 'updated', webhook, next)], changedMeanwhile);
  return webhookView(next);
}

/**
 * Deletes a webhook. Its queued attempts then end as failed ("webhook deleted") without a request;
 * a purge job, committed with the deletion, removes its deliveries.
 */
export async function deleteWebhook(deps: Deps, actor: Actor, environment: Environment, webhookId: string): Promise<void> {
  const webhook = await load(deps, environment, webhookId);
  const purge = purgeJob(deps, actor, { type: 'webhook', envId: environment.id, webhookId }, { orgId: environment.orgId, projectId: environment.projectId, envId: environment.id });
  await commitOrConflict(
    deps,
    [
      { kind: 'delete', ref: { type: 'webhook', envId: environment.id, id: webhookId }, expect: webhook.version },
      webhookEvent(deps, actor, 'deleted', webhook, null),
      { kind: 'put', entity: purge, expect: 'absent' },
    ],
    changedMeanwhile,
  );
  await startPurge(deps, purge);
}

/** Replaces the signing secret at once (attempts from now on use the new one); returned once. */
export async function rotateWebhookSecret(deps: Deps, actor: Actor, environment: Environment, webhookId: string) {
  const webhook = await load(deps, environment, webhookId);
  const next: Webhook = { ...webhook, ...mintSecret(), version: webhook.version + 1, updatedAt: isoNow(deps) };
  await commitOrConflict(deps, [{ kind: 'put', entity: next, expect: webhook.version }, webhookEvent(deps, actor, 'updated', webhook, next)], changedMeanwhile);
  return { webhook: webhookView(next), secret: next.secret };
}

/** A webhook's deliveries, newest first; `status: 'failed'` is its dead-letter list. */
export async function listWebhookDeliveries(
  deps: Deps,
  environment: Environment,
  webhookId: string,
  query: z.infer<typeof schemas.deliveriesQuery>,
): Promise<Page<DeliveryView>> {
  await load(deps, environment, webhookId);
  const page = await deps.store.list({ of: 'webhook-deliveries', webhookId, status: query.status }, { limit: query.limit, cursor: query.cursor });
  return { ...page, items: page.items.map(deliveryView) };
}

async function loadDelivery(deps: Deps, environment: Environment, webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
  await load(deps, environment, webhookId);
  const delivery = await deps.store.get({ type: 'webhook-delivery', webhookId, id: deliveryId });
  if (!delivery || delivery.envId !== environment.id) throw new NotFound(`No delivery ${deliveryId} of this webhook.`);
  return delivery;
}

/** One delivery with the event part of its body. */
export async function getWebhookDelivery(deps: Deps, environment: Environment, webhookId: string, deliveryId: string) {
  const { payload, ...view } = await loadDelivery(deps, environment, webhookId, deliveryId);
  return { ...view, payload: JSON.parse(payload) as unknown };
}

/**
 * Sends a delivered or failed delivery again, from its first attempt. The reset commits with a
 * `webhook.changed` event (subject kind `webhook-delivery`) on which the dispatcher queues the
 * attempt: the API needs no access to the queue, and the redelivery is audited.
 */
export async function redeliverWebhookDelivery(deps: Deps, actor: Actor, environment: Environment, webhookId: string, deliveryId: string): Promise<DeliveryView> {
  const delivery = await loadDelivery(deps, environment, webhookId, deliveryId);
  if (delivery.status === 'pending' || delivery.status === 'retrying') {
    throw new Conflict(`The delivery is ${delivery.status}: it is already queued.`, { status: delivery.status });
  }
  const { next, write } = redeliveryWrite(delivery, isoNow(deps));
  const event = eventWrite(deps, actor, {
    detailType: 'webhook.changed',
    action: 'updated',
    orgId: environment.orgId,
    projectId: environment.projectId,
    envId: environment.id,
    subject: { kind: 'webhook-delivery', webhookId, deliveryId },
    before: deliveryView(delivery),
    after: deliveryView(next),
    version: next.version,
  });
  await commitOrConflict(deps, [write, event], async () => new Conflict('The delivery changed meanwhile: reload and try again.'));
  return deliveryView(next);
}
