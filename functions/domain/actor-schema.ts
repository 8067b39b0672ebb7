import * as z from 'zod';
import type { ActorRef } from './entities.js';

/** Who made a change: an admin token (a machine user) or a person; in audit records, events, webhooks and answers. */
export const actorRefSchema = z.object({
  tokenId: z.string().describe("The caller's id: an admin token's (tok_...), a person's (usr_...), or an event sender's (event:<source>@<account>)."),
  name: z.string(),
  type: z
    .enum(['token', 'user', 'event'])
    .optional()
    .describe("An admin token (a machine user), a person signed in through the identity provider, or an event the customer's systems put on the bus (tenant.update)."),
  subject: z.string().optional().describe("A person's subject (sub) at the identity provider; for an event, the EventBridge event's id."),
  email: z.string().optional().describe("A person's email address, as the identity provider gave it."),
}) satisfies z.ZodType<ActorRef>;
