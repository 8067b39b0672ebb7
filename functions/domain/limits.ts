/**
 * Every size, depth and count limit, declared once. The zod schemas (schemas.ts), the OpenAPI
 * document generated from them, the request reader (http/request.ts) and the store
 * (data/dynamo-store.ts) all read them from here; test/unit/limits.test.ts proves the budgets
 * fit inside what DynamoDB accepts.
 *
 * Sizes are in bytes wherever AWS counts bytes (UTF-8), in characters where a person counts.
 */

/**
 * What DynamoDB itself refuses, from "Quotas in Amazon DynamoDB" and "DynamoDB item sizes and
 * formats" (docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html,
 * CapacityUnitCalculations.html). Crossing any of them is a ValidationException: the store checks
 * them before it writes, so a request that would cross them is a 4xx, never a 500.
 */
export const DYNAMODB = {
  /** An item, attribute names and values together. */
  itemBytes: 400 * 1024,
  /** A partition key value (table or index). */
  partitionKeyBytes: 2048,
  /** A sort key value (table or index). */
  sortKeyBytes: 1024,
  /**
   * Lists and maps nested in one attribute. AWS documents "up to 32 levels" counting the item
   * itself; DynamoDB Local refuses a list 32 deep inside an attribute and accepts 31.
   */
  attributeNestingLevels: 31,
  /** Writes in one TransactWriteItems, and their total size. */
  transactionItems: 100,
  transactionBytes: 4 * 1024 * 1024,
  /**
   * Numbers: 0 and magnitudes from 1e-130 to 9.9999999999999999999999999999999999999e125. That
   * largest one is not a JavaScript number (it rounds to 1e126, which DynamoDB refuses), so the
   * bound is kept as the first magnitude refused.
   */
  numberMagnitudeBelow: 1e126,
  smallestPositiveNumber: 1e-130,
} as const;

/** What other AWS services refuse, where our answers and events pass through them. */
export const AWS = {
  /** One EventBridge PutEvents entry (and one call). */
  eventBridgeEntryBytes: 256 * 1024,
  /** A synchronous Lambda response, which every API answer is. */
  lambdaResponseBytes: 6 * 1024 * 1024,
} as const;

const KiB = 1024;

/**
 * Vexilla's own budgets. Each is chosen so that the largest thing a valid request can create
 * still fits, together with the records of its changes, inside the limits above.
 */
export const LIMITS = {
  /**
   * Nesting of a JSON request body. Bodies deeper than this are refused before they are parsed
   * into objects that recursive code (zod, JSON.stringify, the AWS SDK) would walk.
   */
  bodyDepth: 64,

  /** A feature value, option value or override value: its JSON text (UTF-8). */
  valueBytes: 64 * KiB,
  /**
   * Nesting of a value (`1` is 0 levels, `[1]` 1). Stored values sit at most 4 levels deep in
   * an item (an event's image of a change request: after.changes[i].content.value), so 16
   * keeps every item well inside DynamoDB's 31.
   */
  valueDepth: 16,
  /** A feature's initial value and option values together (its item holds them all). */
  featureValuesBytes: 256 * KiB,
  /**
   * The values of one change set together (a change request or scheduled change holds them
   * all, beside its comments, in one item).
   */
  changeSetValuesBytes: 192 * KiB,
  /** The diff a failed scheduled change keeps (current and proposed content per target); beyond, the rest is counted, not kept. */
  conflictsBytes: 64 * KiB,

  /**
   * Nesting of segment rules (a rule inside a rule is 2 levels). Each level is 2 item levels
   * (the rules list and the rule), plus 3 for a condition's list value and 1 for an event's
   * image: 8 levels end at 20 of DynamoDB's 31.
   */
  ruleDepth: 8,
  /** Rules at each level, and conditions per rule. */
  rulesPerLevel: 100,
  conditionsPerRule: 100,
  /** A condition's property (a trait key or a JSONPath) and a string value, in characters. */
  conditionPropertyChars: 1000,
  conditionValueChars: 10_000,

  /** Flagsmith's own identifier limit (characters); any string of that length is accepted. */
  identifierChars: 2000,
  /**
   * Identifiers up to this many bytes are kept as they are in table keys; longer ones are keyed
   * by a digest (functions/data/keys.ts), so keys stay inside DynamoDB's 1,024-byte sort keys.
   */
  identifierKeyBytes: 512,

  /**
   * One identity's override values together. The environment document never splits an
   * identity across pages, so this bounds what one identity adds to a page.
   */
  identityOverridesBytes: 256 * KiB,

  /**
   * An environment document without its identity overrides (which come in pages of at most
   * about 1 MiB, plus the rest of the page's last identity): the SDK answers built from it
   * (`flags/`, `identities/`, OFREP) are smaller still. Well inside Lambda's 6 MB answer.
   */
  documentBytes: 4 * 1024 * KiB,
  /** What one more feature state, override or segment adds to a document besides its value (ids, names, hashing keys). */
  documentEntryBytes: 1 * KiB,

  /** Traits per identity, refused beyond (never truncated). */
  traitsPerIdentity: 500,
  /** A trait key (characters). */
  traitKeyChars: 200,
  /** A trait's string value (characters), Flagsmith's limit. */
  traitValueChars: 2000,
  /** An identity's stored traits together, as JSON text. */
  traitsBytes: 64 * KiB,

  /** Tenant ids end up in sort keys (`TO#<featureId>#<tenantId>`) and Flagsmith documents. */
  tenantIdChars: 256,
  tenantIdBytes: 512,
  /**
   * A tenant's traits: how many, and all of them as JSON text (keys and string values as for
   * identities). A tenant is one item, and its change event holds it twice (before, after).
   */
  traitsPerTenant: 100,
  tenantTraitsBytes: 32 * KiB,
  /** Templates a tenant can be assigned (and a project has, in practice: each is a segment in every document). */
  templatesPerProject: 100,
  /** Features one template sets in one environment (one item, and its change event holds it twice). */
  templateValues: 500,
  /** Tenants a tenant-scoped feature lists (an IN list in every document). */
  tenantsPerFeature: 1000,

  /**
   * Tenant self-service (/tenant/v1): the allowed values a tenant-configurable feature lists,
   * its JSON Schema's size, the token keys an environment may register (rotation needs two),
   * their PEM or JWK text, the origins each lets call from a browser, and the longest life a
   * tenant token may have (they are minted per page load, so minutes are plenty).
   */
  tenantAllowedValues: 100,
  tenantSchemaBytes: 16 * KiB,
  tenantKeysPerEnvironment: 5,
  tenantPublicKeyBytes: 8 * KiB,
  tenantKeyOrigins: 20,
  tenantTokenMaxLifetimeSeconds: 3600,
  tenantTokenBytes: 10 * KiB,
  /** Segments a tenant's admins may create for their tenant (its cohorts, through /tenant/v1). */
  tenantSegmentsPerTenant: 50,

  /** Ids Vexilla generates (`prj_…`, `sch_<time>_…`, `dlv_<time>_<digest>`): what a path may name. */
  entityIdChars: 64,

  /** Names and descriptions (characters). */
  nameChars: 200,
  descriptionChars: 2000,
  changeRequestDescriptionChars: 5000,
  commentChars: 5000,
  /**
   * A change request keeps its discussion in its own item: the comments together, as JSON text.
   * About 19 comments of 5,000 ASCII characters, or hundreds of ordinary ones.
   */
  commentsBytes: 96 * KiB,

  /** Opaque list cursors and document page tokens (characters). */
  cursorChars: 4096,
  /** Audit filters (characters). */
  filterChars: 256,
} as const;

/** A string's size as DynamoDB and HTTP count it. */
export const utf8Bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** The UTF-8 size of a value's JSON text. */
export const jsonBytes = (value: unknown): number => utf8Bytes(JSON.stringify(value) ?? '');

/** Whether DynamoDB can store the number (finite, in its range; JavaScript's precision is kept). */
export function isStorableNumber(value: number): boolean {
  if (!Number.isFinite(value)) return false;
  const magnitude = Math.abs(value);
  return magnitude === 0 || (magnitude >= DYNAMODB.smallestPositiveNumber && magnitude < DYNAMODB.numberMagnitudeBelow);
}

export const STORABLE_NUMBER_MESSAGE = `numbers must be 0 or between 1e-130 and 9.99e125 in magnitude (what DynamoDB stores)`;

/** `64 KiB`, `4 MiB`, `301.2 KiB`: sizes as people read them in messages. */
export function formatBytes(bytes: number): string {
  if (bytes >= KiB * KiB && bytes % (KiB * KiB) === 0) return `${bytes / (KiB * KiB)} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return bytes >= 10 * KiB ? `${(bytes / KiB).toFixed(1)} KiB` : `${bytes} bytes`;
}
