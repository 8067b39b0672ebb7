/**
 * A listing's cursor as the store issues it (functions/data/table-store.ts), in a module of its
 * own: the store imports it with the first cursor a caller sends back, so no cold start loads zod
 * for it (most never page; the sdk-api's GETs never do).
 */
import * as z from 'zod';
import { DYNAMODB } from '../domain/limits.js';

export const cursorSchema = z
  .object({
    of: z.string().max(64),
    shard: z.number().int().min(0).max(64),
    key: z.partialRecord(z.enum(['pk', 'sk', 'gsi1sk']), z.string().min(1).max(DYNAMODB.partitionKeyBytes)),
  })
  .strict();
export type Cursor = z.infer<typeof cursorSchema>;
