/**
 * The one event the customer's own systems put on Vexilla's bus: `tenant.update` (e.g. their
 * billing system's plan change). Any `source` of theirs but `vexilla` (which is Vexilla's own
 * events'); the rule that delivers it to the tenant-updater is in rules.ts (`inboundRules`).
 *
 * ```json
 * { "Source": "acme.billing", "DetailType": "tenant.update", "EventBusName": "<the Vexilla bus>",
 *   "Detail": "{\"version\":1,\"projectId\":\"…\",\"tenantKey\":\"acme\",\"traits\":{\"plan\":\"enterprise\",\"trial\":null},\"occurredAt\":\"2026-12-01T10:00:00.000Z\"}" }
 * ```
 *
 * Traits merge into the tenant's (a value sets, null removes, absent ones stay), so a billing
 * system that knows only `plan` and `seats` never erases what a CRM or a person set. The tenant
 * is created when absent. Each field applies unless a newer change (by `occurredAt`, else the
 * event's `time`) already set it, so an event that arrives late never undoes a newer one.
 * The limits are the tenants API's own (schemas.ts, limits.ts).
 */
import * as z from 'zod';
import { LIMITS } from '../domain/limits.js';
import { entityId, name, tenantKey, tenantTraitChangesSchema } from '../domain/schemas.js';
import { TENANT_UPDATE_DETAIL_TYPE } from './rules.js';

export { TENANT_UPDATE_DETAIL_TYPE };
export const TENANT_UPDATE_VERSION = 1;

export const tenantUpdateDetail = z
  .object({
    version: z.literal(TENANT_UPDATE_VERSION),
    projectId: entityId.describe('The project the tenant belongs to.'),
    tenantKey: tenantKey.describe("The tenant's key: the value its identities carry in the project's tenant trait."),
    name: name.optional().describe("The tenant's display name (unchanged when left out; the key when the tenant is created without one)."),
    traits: tenantTraitChangesSchema.optional().describe('Merged into the tenant\'s traits: a value sets the trait, null removes it, traits left out stay.'),
    occurredAt: z.iso
      .datetime({ offset: true })
      .optional()
      .describe("When the change happened at the sender (milliseconds welcome). Orders events: a field a newer change set is left as it is. Default: the event's time (whole seconds)."),
  })
  .strict()
  .meta({
    title: `${TENANT_UPDATE_DETAIL_TYPE} v${TENANT_UPDATE_VERSION}`,
    description: `Creates a tenant or changes its name and traits. At most ${LIMITS.traitsPerTenant} traits of ${LIMITS.tenantTraitsBytes / 1024} KiB (JSON) before and after the merge.`,
  });

export type TenantUpdateDetail = z.infer<typeof tenantUpdateDetail>;

/** The envelope fields of the EventBridge event the tenant-updater reads. */
export const tenantUpdateEnvelope = z.object({
  id: z.string().min(1),
  source: z.string().min(1),
  account: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
  'detail-type': z.literal(TENANT_UPDATE_DETAIL_TYPE),
  detail: z.unknown(),
});

/** The JSON Schema (draft 2020-12) of the `detail`, for senders that validate before they put. */
export const tenantUpdateJsonSchema = (): Record<string, unknown> => z.toJSONSchema(tenantUpdateDetail, { io: 'input' }) as Record<string, unknown>;
