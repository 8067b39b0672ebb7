import * as schemas from '../../domain/schemas.js';
import * as useCases from '../../domain/use-cases/webhooks.js';
import { bodyAs, environmentOf, type Handler, ok, param, queryAs } from './context.js';

export const listWebhooks: Handler = async (c) => ok(await useCases.listWebhooks(c.deps, environmentOf(c)));
export const createWebhook: Handler = async (c) => {
  const { webhook, secret } = await useCases.createWebhook(c.deps, c.actor, environmentOf(c), bodyAs(c, schemas.createWebhookBody));
  return ok({ ...webhook, secret });
};
export const getWebhook: Handler = async (c) => ok(await useCases.getWebhook(c.deps, environmentOf(c), param(c, 'webhookId')));
export const updateWebhook: Handler = async (c) =>
  ok(await useCases.updateWebhook(c.deps, c.actor, environmentOf(c), param(c, 'webhookId'), bodyAs(c, schemas.updateWebhookBody)));
export const deleteWebhook: Handler = async (c) => ok(await useCases.deleteWebhook(c.deps, c.actor, environmentOf(c), param(c, 'webhookId')));
export const rotateWebhookSecret: Handler = async (c) => {
  const { webhook, secret } = await useCases.rotateWebhookSecret(c.deps, c.actor, environmentOf(c), param(c, 'webhookId'));
  return ok({ ...webhook, secret });
};
export const listWebhookDeliveries: Handler = async (c) =>
  ok(await useCases.listWebhookDeliveries(c.deps, environmentOf(c), param(c, 'webhookId'), queryAs(c, schemas.deliveriesQuery)));
export const getWebhookDelivery: Handler = async (c) =>
  ok(await useCases.getWebhookDelivery(c.deps, environmentOf(c), param(c, 'webhookId'), param(c, 'deliveryId')));
export const redeliverWebhookDelivery: Handler = async (c) =>
  ok(await useCases.redeliverWebhookDelivery(c.deps, c.actor, environmentOf(c), param(c, 'webhookId'), param(c, 'deliveryId')));
