import * as z from 'zod';
import type { ActorRef } from './entities.js';

/** Who made a change: an admin token (a machine user), a person, or a tenant's user (/tenant/v1); in audit records, events, webhooks and answers. */
export const actorRefSchema = z.object({
  tokenId: z.string().describe("The caller's id: an admin token's (tok_...), a person's (usr_...), or an event sender's (event:<source>@<account>)."),
  name: z.string(),
  type: z
    .enum(['token', 'user', 'event', 'tenant-user'])
    .optional()
    .describe("An admin token (a machine user), a person signed in through the identity provider, an event the customer's systems put on the bus (tenant.update), or a tenant's user with a tenant token (/tenant/v1)."),
  subject: z.string().optional().describe("A person's subject (sub) at the identity provider; for an event, the EventBridge event's id; for a tenant user, the tenant token's sub."),
  email: z.string().optional().describe("A person's email address, as the identity provider gave it."),
  tenant: z.string().optional().describe("A tenant user's tenant (the tenant token's tenant claim)."),
}) satisfies z.ZodType<ActorRef>;
