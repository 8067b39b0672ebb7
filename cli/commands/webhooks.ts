/** `vexilla webhooks`: signed deliveries of changes to a URL, and the deliveries themselves. */
import type { Command } from 'commander';
import { environmentOption, family, leaf, projectOption, run, yesOption } from '../command.js';
import { type Context, type EnvironmentRef, table, waitFor } from '../context.js';
import { CliError, UsageError } from '../errors.js';

interface Webhook {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  description: string;
  secretPrefix: string;
  version: number;
}
interface Delivery {
  id: string;
  detailType: string;
  status: 'pending' | 'retrying' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: string;
}

/** A webhook by id, URL or description. */
async function webhookOf(ctx: Context, env: EnvironmentRef, given: string): Promise<Webhook> {
  const items = (await (await ctx.api()).call<{ items: Webhook[] }>('listWebhooks', { envId: env.id })).items;
  const found = items.filter((w) => w.id === given || w.url === given || (w.description && w.description === given));
  if (found.length === 1) return found[0] as Webhook;
  throw new CliError(
    found.length > 1
      ? `Several webhooks of ${env.name} match "${given}": use its id (${found.map((w) => w.id).join(', ')}).`
      : `No webhook "${given}" in ${env.name}. (\`vexilla webhooks list --environment ${env.name}\` lists them.)`,
  );
}

const settled = (d: Delivery) => d.status === 'delivered' || d.status === 'failed';

export function webhookCommands(program: Command): void {
  const webhooks = family(program, 'webhooks', 'Webhooks: every change of an environment POSTed, signed, to your URL', ['webhook']);
  const withEnv = (command: Command) => command.addOption(environmentOption()).addOption(projectOption());

  withEnv(leaf(webhooks, 'list', 'List webhooks', ['listWebhooks'])).action(
    run(async (ctx, options: { environment: string; project?: string; json?: boolean }) => {
      const env = await ctx.environment(options.environment, options.project);
      const items = (await (await ctx.api()).call<{ items: Webhook[] }>('listWebhooks', { envId: env.id })).items;
      ctx.print(options.json, items, () =>
        table(items.map((w) => ({ id: w.id, url: w.url, events: w.events.join(',') || 'all', enabled: w.enabled, description: w.description })), ['id', 'url', 'events', 'enabled', 'description']),
      );
    }),
  );
  withEnv(leaf(webhooks, 'get <webhook>', 'Show a webhook (by id, URL or description)', ['listWebhooks', 'getWebhook'])).action(
    run(async (ctx, given: string, options: { environment: string; project?: string; json?: boolean }) => {
      const env = await ctx.environment(options.environment, options.project);
      const { id } = await webhookOf(ctx, env, given);
      const webhook = await (await ctx.api()).call<Webhook>('getWebhook', { envId: env.id, webhookId: id });
      ctx.print(options.json, webhook, () => `${webhook.id} → ${webhook.url} (${webhook.enabled ? 'enabled' : 'disabled'}; events: ${webhook.events.join(', ') || 'all'}; secret ${webhook.secretPrefix}…)`);
    }),
  );
  withEnv(leaf(webhooks, 'create <url>', 'Create a webhook; prints its signing secret once', ['createWebhook']))
    .option('--events <types...>', 'detail-types to deliver, e.g. feature-state.changed (default: all)')
    .option('--description <text>', 'what it is for')
    .option('--disabled', 'create it disabled')
    .action(
      run(async (ctx, url: string, options: { environment: string; project?: string; events?: string[]; description?: string; disabled?: boolean; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const body = { url, events: options.events ?? [], enabled: !options.disabled, ...(options.description ? { description: options.description } : {}) };
        // The webhook with its secret, once: `.id` and `.secret` for scripts.
        const created = await (await ctx.api()).call<Webhook & { secret: string }>('createWebhook', { envId: env.id }, { body });
        ctx.print(options.json, created, () =>
          [`Created webhook ${created.id} → ${created.url} for ${env.name}.`, `Signing secret (shown once, store it now): ${created.secret}`].join('\n'),
        );
      }),
    );
  withEnv(leaf(webhooks, 'update <webhook>', 'Change a webhook', ['listWebhooks', 'updateWebhook']))
    .option('--url <url>', 'new URL')
    .option('--events <types...>', 'detail-types to deliver')
    .option('--all-events', 'deliver every detail-type')
    .option('--enable', 'enable it')
    .option('--disable', 'disable it')
    .option('--description <text>', 'what it is for')
    .action(
      run(
        async (
          ctx,
          given: string,
          options: { environment: string; project?: string; url?: string; events?: string[]; allEvents?: boolean; enable?: boolean; disable?: boolean; description?: string; json?: boolean },
        ) => {
          const env = await ctx.environment(options.environment, options.project);
          const { id } = await webhookOf(ctx, env, given);
          const body = {
            ...(options.url ? { url: options.url } : {}),
            ...(options.events ? { events: options.events } : options.allEvents ? { events: [] } : {}),
            ...(options.enable ? { enabled: true } : options.disable ? { enabled: false } : {}),
            ...(options.description !== undefined ? { description: options.description } : {}),
          };
          if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: give --url, --events, --all-events, --enable, --disable or --description.');
          const webhook = await (await ctx.api()).call<Webhook>('updateWebhook', { envId: env.id, webhookId: id }, { body });
          ctx.print(options.json, webhook, () => `Updated webhook ${webhook.id} (version ${webhook.version}).`);
        },
      ),
    );
  withEnv(leaf(webhooks, 'delete <webhook>', 'Delete a webhook', ['listWebhooks', 'deleteWebhook']))
    .addOption(yesOption())
    .action(
      run(async (ctx, given: string, options: { environment: string; project?: string; yes?: boolean; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const webhook = await webhookOf(ctx, env, given);
        await ctx.confirm(options.yes, `Delete webhook ${webhook.id} → ${webhook.url}`);
        await (await ctx.api()).call('deleteWebhook', { envId: env.id, webhookId: webhook.id });
        ctx.print(options.json, { deleted: webhook.id }, () => `Deleted webhook ${webhook.id}.`);
      }),
    );
  withEnv(leaf(webhooks, 'rotate-secret <webhook>', 'Replace the signing secret (at once); prints the new one once', ['listWebhooks', 'rotateWebhookSecret']))
    .addOption(yesOption())
    .action(
      run(async (ctx, given: string, options: { environment: string; project?: string; yes?: boolean; json?: boolean }) => {
        const env = await ctx.environment(options.environment, options.project);
        const webhook = await webhookOf(ctx, env, given);
        await ctx.confirm(options.yes, `Replace the signing secret of ${webhook.url} (the receiver must use the new one at once)`);
        const rotated = await (await ctx.api()).call<Webhook & { secret: string }>('rotateWebhookSecret', { envId: env.id, webhookId: webhook.id });
        ctx.print(options.json, rotated, () => `New signing secret (shown once): ${rotated.secret}`);
      }),
    );
  withEnv(leaf(webhooks, 'deliveries <webhook>', 'Deliveries of a webhook, newest first', ['listWebhooks', 'listWebhookDeliveries']))
    .option('--status <status>', 'pending, retrying, delivered or failed (the dead-letter list)')
    .option('--limit <n>', 'how many', '20')
    .option('--wait', 'wait until there is a delivery and the newest has delivered or failed (exit 1 if it failed)')
    .action(
      run(async (ctx, given: string, options: { environment: string; project?: string; status?: string; limit: string; wait?: boolean; json?: boolean }) => {
        const api = await ctx.api();
        const env = await ctx.environment(options.environment, options.project);
        const { id } = await webhookOf(ctx, env, given);
        const list = async () => (await api.call<{ items: Delivery[] }>('listWebhookDeliveries', { envId: env.id, webhookId: id }, { query: { limit: options.limit, status: options.status } })).items;
        const items = options.wait
          ? await waitFor('a delivery to settle', async () => {
              const page = await list();
              return page[0] && settled(page[0]) ? page : undefined;
            })
          : await list();
        ctx.print(options.json, items, () =>
          table(
            items.map((d) => ({ id: d.id, event: d.detailType, status: d.status, attempts: d.attempts, code: d.lastStatusCode, error: d.lastError, created: d.createdAt })),
            ['id', 'event', 'status', 'attempts', 'code', 'error', 'created'],
          ),
        );
        return options.wait && items[0]?.status === 'failed' ? 1 : 0;
      }),
    );
  withEnv(leaf(webhooks, 'delivery <webhook> <delivery>', 'One delivery with its attempts and body', ['listWebhooks', 'getWebhookDelivery'])).action(
    run(async (ctx, given: string, deliveryId: string, options: { environment: string; project?: string; json?: boolean }) => {
      const env = await ctx.environment(options.environment, options.project);
      const { id } = await webhookOf(ctx, env, given);
      const delivery = await (await ctx.api()).call<Delivery>('getWebhookDelivery', { envId: env.id, webhookId: id, deliveryId });
      ctx.print(options.json, delivery, () => JSON.stringify(delivery, null, 2));
    }),
  );
  withEnv(leaf(webhooks, 'redeliver <webhook> <delivery>', 'Send a delivery again, from its first attempt', ['listWebhooks', 'redeliverWebhookDelivery'])).action(
    run(async (ctx, given: string, deliveryId: string, options: { environment: string; project?: string; json?: boolean }) => {
      const env = await ctx.environment(options.environment, options.project);
      const { id } = await webhookOf(ctx, env, given);
      const delivery = await (await ctx.api()).call<Delivery>('redeliverWebhookDelivery', { envId: env.id, webhookId: id, deliveryId });
      ctx.print(options.json, delivery, () => `Queued delivery ${deliveryId} again.`);
    }),
  );
}
