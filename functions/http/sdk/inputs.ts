/**
 * The zod schemas of what SDK callers send the sdk-api: Flagsmith's identity bodies and query
 * strings, analytics reports and document page tokens, OFREP's request bodies and path
 * parameters. The handlers import this module with the first request that has something to
 * validate: a cold start, and a request that sends nothing to check (`GET /api/v1/flags/`),
 * loads no zod. The schemas are the same whenever they load.
 */
import * as z from 'zod';
import { LIMITS } from '../../domain/limits.js';
import { identifier, MAX_TRAITS, traitKey, traitValue } from '../../domain/schemas.js';
import { ownRecord } from '../../engine/own-record.js';

export { identifier, MAX_TRAITS, pathParameterProblems, traitsBudgetProblems } from '../../domain/schemas.js';

const traitsInput = z
  .array(
    z.looseObject({
      trait_key: traitKey,
      trait_value: traitValue,
      transient: z.boolean().nullish(),
    }),
  )
  .max(MAX_TRAITS, `at most ${MAX_TRAITS} traits`)
  .default([]);
// Flagsmith's web client and flagsmith-cli send anonymous identities with no identifier
// (absent, null or ""): they are evaluated as transient identities (see postIdentityFlags).
export const identityBody = z.looseObject({ identifier: identifier.or(z.literal('')).nullish(), traits: traitsInput.nullish(), transient: z.boolean().nullish() });
export const identityQuery = z.looseObject({ identifier, transient: z.enum(['true', 'false', 'True', 'False', '1', '0']).optional() });

/**
 * A page token: the listing's cursor (validated by the store against its own key space) and
 * the digest of the identity the previous page completed (a digest, so the token stays short
 * whatever the identifier's length: it travels in a URL).
 */
export const pageToken = z.object({ cursor: z.string().max(LIMITS.cursorChars), skip: z.string().max(64) }).strict();
export type PageToken = z.infer<typeof pageToken>;

/**
 * Flagsmith SDKs report their counts every 10 seconds or so: a million evaluations of one flag
 * in one report is 100,000 a second from one process. Beyond that a count is not a report but
 * an attempt to skew the stale-flag figures, and the whole report is refused.
 */
export const MAX_EVALUATIONS_PER_REPORT = 1_000_000;
export const analyticsBody = z
  .record(z.string().min(1).max(150), z.number().int().min(0).max(MAX_EVALUATIONS_PER_REPORT, `at most ${MAX_EVALUATIONS_PER_REPORT} evaluations of a flag per report`))
  .refine((counts) => Object.keys(counts).length <= 2000, 'at most 2000 features per report');

export const ofrepRequest = z.looseObject({
  // Any attribute name is a trait key, `__proto__` included.
  context: ownRecord(z.string(), z.unknown()).optional(),
});
export type OfrepRequest = z.infer<typeof ofrepRequest>;
