/**
 * Flagsmith's SDK API (`/api/v1/`), as its 14 SDKs call it.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ZodType } from 'zod';
import { BadRequest, Forbidden } from '../../domain/errors.js';
import { identityTenant } from '../../domain/environment-snapshot.js';
import { environmentDocument, identityOverrideDocuments, toFlagsmithFlag } from '../../domain/flagsmith-document.js';
import { evaluateIdentity, mergeTraits, persistTraits, readIdentity, retentionOf, touchIdentity, type TraitInput } from '../../domain/identities.js';
import { formatBytes, LIMITS } from '../../domain/limits.js';
import { edgeCacheControl, viewerVary } from '../../edge/cache-rules.js';
import { json } from '../errors.js';
import { readJson, validate } from '../request.js';
import type { SdkContext, SdkHandler } from './context.js';
import { etagOf, matchesEtag } from './etag.js';
import type { PageToken } from './inputs.js';

/** Flagsmith SDKs read this to know how fresh the flags are (epoch seconds, as a float). */
const freshness = ({ snapshot }: SdkContext) => ({ 'x-flagsmith-document-updated-at': snapshot.updatedAt.toFixed(3) });

function flagsOf(context: SdkContext, flags: Record<string, Parameters<typeof toFlagsmithFlag>[2]>) {
  return context.snapshot.features.map((feature) => toFlagsmithFlag(context.snapshot, feature, flags[feature.name]));
}

/**
 * Per snapshot: environment flags and the document's base do not depend on the request, so they
 * are built once per snapshot (reloaded every second at most), not once per request.
 */
const environmentFlagsBody = new WeakMap<SdkContext['snapshot'], string>();
const documentBase = new WeakMap<SdkContext['snapshot'], ReturnType<typeof environmentDocument>>();

export const getEnvironmentFlags: SdkHandler = async (context) => {
  const { snapshot } = context;
  let body = environmentFlagsBody.get(snapshot);
  if (body === undefined) {
    body = JSON.stringify(flagsOf(context, snapshot.evaluator.evaluate(null).flags));
    environmentFlagsBody.set(snapshot, body);
  }
  return { ...json(200, undefined, { ...freshness(context), 'cache-control': edgeCacheControl, vary: viewerVary }), body };
};

/**
 * Evaluates an identity: stored traits with the request's on top, its overrides, and (for a POST
 * that is not transient) the non-transient traits stored for next time. One read when warm; a
 * write only when traits changed or the identity's expiry is due for its (at most daily) refresh.
 * A GET never creates anything: it only refreshes the expiry of an identity that exists.
 */
async function identityFlags(context: SdkContext, id: string, inputs: TraitInput[], persist: 'store' | 'touch' | 'none') {
  const { snapshot, deps } = context;
  // With the schemas module (loaded by the route's validation): domain/schemas.ts loads zod.
  const { MAX_TRAITS, traitsBudgetProblems } = await import('./inputs.js');
  const retention = retentionOf(deps);
  const stored = await readIdentity(deps.store, snapshot.environment.id, id, retention);
  const persistent = mergeTraits(stored.identity?.traits ?? {}, inputs.filter((input) => !input.transient));
  const traits = mergeTraits(persistent, inputs.filter((input) => input.transient));
  const problems = traitsBudgetProblems(persistent);
  if (problems.length) throw new BadRequest(`An identity keeps at most ${MAX_TRAITS} traits, of at most ${formatBytes(LIMITS.traitsBytes)} together.`, problems.map((message) => ({ path: 'traits', message })));
  if (persist === 'store') await persistTraits(deps.store, snapshot.environment, id, stored, persistent, retention);
  else if (persist === 'touch') await touchIdentity(deps.store, stored, retention);
  const tenant = await identityTenant(snapshot, { identifier: id, traits }, context.tenant);
  const result = evaluateIdentity(snapshot, id, traits, stored.overrides, tenant);
  return json(
    200,
    {
      identifier: id,
      flags: flagsOf(context, result.flags),
      traits: Object.entries(traits).map(([trait_key, trait_value]) => ({ trait_key, trait_value })),
    },
    freshness(context),
  );
}

/** Schema failures on the SDK API answer 400, as Flagsmith's own API does. */
function sdkValidate<T>(schema: ZodType<T>, input: unknown, message: string): T {
  try {
    return validate(schema, input, message);
  } catch (error) {
    throw new BadRequest(message, (error as { details?: unknown }).details);
  }
}

export const getIdentityFlags: SdkHandler = async (context) => {
  const { identityQuery } = await import('./inputs.js');
  const query = sdkValidate(identityQuery, context.event.queryStringParameters ?? {}, 'The query string is not valid.');
  return identityFlags(context, query.identifier, [], ['true', 'True', '1'].includes(query.transient ?? '') ? 'none' : 'touch');
};

export const postIdentityFlags: SdkHandler = async (context) => {
  const { identityBody } = await import('./inputs.js');
  const body = sdkValidate(identityBody, readJson(context.event), 'The identity is not valid.');
  const inputs = (body.traits ?? []).map((trait) => ({ key: trait.trait_key, value: trait.trait_value, transient: trait.transient ?? false }));
  // No identifier: as Flagsmith does, a transient identity whose identifier is generated (and
  // returned, so a client may send it back with later calls).
  if (!body.identifier) return identityFlags(context, anonymousIdentifier(inputs), inputs, 'none');
  return identityFlags(context, body.identifier, inputs, body.transient ? 'none' : 'store');
};

/**
 * The identifier Flagsmith gives an anonymous identity: the SHA-256 of its traits (sorted by key,
 * key then value), so the same traits land in the same split buckets; a random UUID when it has
 * no traits. Values are written as Python's str() writes them, as Flagsmith's API does.
 */
export function anonymousIdentifier(traits: readonly TraitInput[]): string {
  if (traits.length === 0) return randomUUID();
  const text = (value: unknown) => (value === true ? 'True' : value === false ? 'False' : value === null ? 'None' : String(value));
  const joined = [...traits]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((trait) => `${trait.key}${text(trait.value)}`)
    .join('');
  return createHash('sha256').update(joined).digest('hex');
}

/** Identity overrides per document page; a page never splits one identity's overrides. */
export const DOCUMENT_PAGE_ITEMS = 1000;
/** And about this many bytes of them, so a page of large values stays far inside Lambda's 6 MB answer. */
export const DOCUMENT_PAGE_BYTES = 1024 * 1024;

const identityDigest = (identifier: string) => createHash('sha256').update(identifier, 'utf8').digest('base64url');

export const getEnvironmentDocument: SdkHandler = async (context) => {
  if (context.key.kind !== 'server') throw new Forbidden('The environment document needs a server key (ser.…).');
  const { snapshot, deps } = context;
  const envId = snapshot.environment.id;
  const page = context.event.queryStringParameters?.page;
  let token: PageToken | undefined;
  if (page) {
    const { pageToken } = await import('./inputs.js');
    try {
      if (page.length > 2 * LIMITS.cursorChars) throw new RangeError('too long');
      token = pageToken.parse(JSON.parse(Buffer.from(page, 'base64url').toString('utf8')));
    } catch {
      throw new BadRequest('The page is not one this API issued.');
    }
  }
  const listed = await deps.store.list(
    { of: 'environment-identity-overrides', envId },
    { limit: DOCUMENT_PAGE_ITEMS, maxBytes: DOCUMENT_PAGE_BYTES, cursor: token?.cursor },
  );
  // The previous page already carried every override of the identity it ended with.
  const skip = token?.skip;
  let items = skip ? listed.items.filter((item) => identityDigest(item.identifier) !== skip) : listed.items;
  let next: string | undefined;
  const last = items.at(-1)?.identifier;
  if (listed.cursor && last !== undefined) {
    // Complete the last identity here, so no identity is split across pages.
    const { overrides } = await readIdentity(deps.store, envId, last, retentionOf(deps));
    items = [...items.filter((item) => item.identifier !== last), ...overrides];
    next = Buffer.from(JSON.stringify({ cursor: listed.cursor, skip: identityDigest(last) })).toString('base64url');
  } else if (listed.cursor) {
    next = Buffer.from(JSON.stringify({ cursor: listed.cursor, skip: skip ?? '' })).toString('base64url');
  }
  let base = documentBase.get(snapshot);
  if (!base) {
    base = environmentDocument(snapshot);
    documentBase.set(snapshot, base);
  }
  const document = { ...base, identity_overrides: identityOverrideDocuments(snapshot, items) };
  const body = JSON.stringify(document);
  // Polling SDKs send the ETag back: an unchanged document costs headers only.
  const etag = etagOf(body);
  const headers: Record<string, string> = { ...freshness(context), 'cache-control': edgeCacheControl, vary: viewerVary, etag };
  if (next !== undefined) headers.link = `</api/v1/environment-document/?page=${next}>; rel="next"`;
  if (matchesEtag(context.headers['if-none-match'], etag)) return json(304, undefined, headers);
  return { ...json(200, undefined, headers), body };
};

export const postAnalytics: SdkHandler = async (context) => {
  const { analyticsBody } = await import('./inputs.js');
  const counts = sdkValidate(analyticsBody, readJson(context.event), 'The analytics report is not valid.');
  const day = context.deps.clock().toISOString().slice(0, 10);
  const known = new Set(context.snapshot.features.map((feature) => feature.name));
  const kept = Object.fromEntries(Object.entries(counts).filter(([name, count]) => known.has(name) && count > 0));
  await context.deps.store.addEvaluations(context.snapshot.environment.id, day, kept);
  return json(200, {});
};
