/**
 * The budgets in functions/domain/limits.ts fit inside DynamoDB's limits: the largest entity
 * each schema accepts, and the event recording its change, is an item DynamoDB takes.
 */
import { fc, test as property } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { identifierKey, itemKeysOf } from '../../functions/data/keys.js';
import { decodeValue, encodeValue, measureItem } from '../../functions/data/item-codec.js';
import { itemOf } from '../../functions/data/dynamo-store.js';
import type { ChangeRequest, Entity, Feature, Identity, Segment, TenantOverride } from '../../functions/domain/entities.js';
import { jsonTextDepth, jsonValueProblems } from '../../functions/domain/json-checks.js';
import { DYNAMODB, jsonBytes, LIMITS } from '../../functions/domain/limits.js';
import * as schemas from '../../functions/domain/schemas.js';
import { edgeKeyOf } from '../../functions/edge/cache-rules.js';
import { routes } from '../../functions/http/routes.js';

const id = (prefix: string) => `${prefix}_${'A'.repeat(16)}`;
const stamp = { createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', version: 123456 };
/** The widest character in UTF-8 (4 bytes) where a limit counts characters. */
const wide = (chars: number) => '🚩'.repeat(Math.floor(chars / 2));
/** An event's item around an image, as the write path stores it (without the store's fitting). */
const eventOf = (after: unknown): Entity => ({
  type: 'event',
  id: '00000000-0000-0000-0000-000000000000',
  detailType: 'feature.changed',
  action: 'updated',
  orgId: id('org'),
  projectId: id('prj'),
  envId: id('env'),
  subject: { kind: 'feature', featureName: 'f'.repeat(150) },
  actor: { tokenId: id('tok'), name: wide(LIMITS.nameChars) },
  before: null,
  after,
  version: 1,
  at: stamp.createdAt,
});
const fits = (entity: Entity) => {
  const { bytes, depth } = measureItem(itemOf(entity));
  expect(bytes).toBeLessThanOrEqual(DYNAMODB.itemBytes);
  expect(depth).toBeLessThanOrEqual(DYNAMODB.attributeNestingLevels);
};
function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe('the budgets fit DynamoDB', () => {
  it('the largest feature, and an event with its image', () => {
    const valueBytes = Math.floor(LIMITS.featureValuesBytes / 4) - 10;
    const feature: Feature = {
      type: 'feature',
      id: id('ftr'),
      numericId: 2 ** 40,
      orgId: id('org'),
      projectId: id('prj'),
      name: 'f'.repeat(150),
      kind: 'MULTIVARIATE',
      valueType: 'string',
      defaultEnabled: true,
      initialValue: 'x'.repeat(valueBytes),
      options: Array.from({ length: 3 }, (_, i) => ({ id: id('opt'), numericId: i, value: 'y'.repeat(valueBytes), defaultWeight: 33.3333 })),
      tags: Array.from({ length: 50 }, () => wide(100)),
      description: wide(LIMITS.descriptionChars),
      owner: wide(200),
      ...stamp,
    };
    expect(schemas.createFeatureBody.safeParse({ name: 'f', type: 'MULTIVARIATE', initialValue: feature.initialValue, options: feature.options.map(({ value }) => ({ value, defaultWeight: 1 })) }).success).toBe(true);
    fits(feature);
    fits(eventOf(feature));
  });

  it('the largest change request: changes and comments at their budgets, with room for approvals', () => {
    const changes = Array.from({ length: schemas.MAX_CHANGES }, (_, i) => ({
      featureName: `f${i}`.padEnd(150, 'f'),
      featureId: id('ftr'),
      expectedVersion: 2 ** 40,
      content: { enabled: true, value: 'v'.repeat(Math.floor(LIMITS.changeSetValuesBytes / schemas.MAX_CHANGES) - 10), weights: {} },
    }));
    expect(jsonBytes(changes.map((change) => change.content.value))).toBeLessThanOrEqual(LIMITS.changeSetValuesBytes);
    // The widest actor is a person: a usr_ id, their name (200 units), subject (255) and email (254) from the sign-in token.
    const person = { tokenId: id('usr'), name: wide(LIMITS.nameChars), type: 'user' as const, subject: wide(255), email: `${'e'.repeat(240)}@example.com` };
    const comment = { id: id('cmt'), ...person, at: stamp.createdAt, text: wide(LIMITS.commentChars) };
    const comments = Array.from({ length: Math.floor(LIMITS.commentsBytes / jsonBytes(comment)) }, () => comment);
    expect(jsonBytes(comments)).toBeLessThanOrEqual(LIMITS.commentsBytes);
    const request: ChangeRequest = {
      type: 'change-request',
      id: id('cr'),
      orgId: id('org'),
      projectId: id('prj'),
      envId: id('env'),
      title: wide(LIMITS.nameChars),
      description: wide(LIMITS.changeRequestDescriptionChars),
      changes,
      author: person,
      approvals: Array.from({ length: 50 }, () => ({ ...person, at: stamp.createdAt })),
      comments,
      status: 'open',
      ...stamp,
    };
    fits(request);
  });

  it('the deepest value, where it sits deepest: inside an event image of a change request', () => {
    const value = nested(LIMITS.valueDepth, 1);
    expect(jsonValueProblems(value, { maxDepth: LIMITS.valueDepth, maxBytes: LIMITS.valueBytes })).toEqual([]);
    expect(jsonValueProblems(nested(LIMITS.valueDepth + 1, 1), { maxDepth: LIMITS.valueDepth, maxBytes: LIMITS.valueBytes })).not.toEqual([]);
    fits(eventOf({ changes: [{ content: { value } }] }));
    // DynamoDB leaves room: the same value another 10 levels down still fits.
    expect(measureItem(itemOf(eventOf(nested(10, { changes: [{ content: { value } }] })))).depth).toBeLessThanOrEqual(DYNAMODB.attributeNestingLevels);
  });

  it('the deepest segment rules, inside an event image', () => {
    let rule: Segment['rules'][number] = { type: 'ALL', conditions: [{ operator: 'IN', property: 'p', value: ['a', 1] }] };
    for (let level = 1; level < LIMITS.ruleDepth; level++) rule = { type: 'ANY', rules: [rule] };
    expect(schemas.ruleProblems([rule])).toEqual([]);
    expect(schemas.ruleProblems([{ type: 'ALL', rules: [rule] }])).toEqual([expect.objectContaining({ message: expect.stringContaining('nested more than') })]);
    fits(eventOf({ rules: [rule] }));
  });

  it('identities: the longest identifier keeps its keys inside DynamoDB key limits, with traits at their budget', () => {
    const identifier = wide(LIMITS.identifierChars);
    expect(schemas.identifier.safeParse(identifier).success).toBe(true);
    const traits = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`t${i}`, 'x'.repeat(2000)]));
    expect(schemas.traitsBudgetProblems(traits)).toEqual([]);
    const identity: Identity = { type: 'identity', orgId: id('org'), projectId: id('prj'), envId: id('env'), identifier, traits, ...stamp };
    const keys = itemKeysOf(identity);
    expect(Buffer.byteLength(keys.pk)).toBeLessThanOrEqual(DYNAMODB.partitionKeyBytes);
    expect(Buffer.byteLength(keys.gsi1sk ?? '')).toBeLessThanOrEqual(DYNAMODB.sortKeyBytes);
    const override = itemKeysOf({ type: 'identity-override', orgId: id('org'), projectId: id('prj'), envId: id('env'), identifier, featureId: id('ftr'), featureName: 'f', enabled: true, value: null, ...stamp });
    expect(Buffer.byteLength(override.gsi1sk ?? '')).toBeLessThanOrEqual(DYNAMODB.sortKeyBytes);
    fits(identity);
    fits(eventOf(identity));
  });

  it('tenant ids at their byte limit keep the override key inside a sort key', () => {
    const tenantId = 'é'.repeat(LIMITS.tenantIdBytes / 2);
    expect(schemas.tenantId.safeParse(tenantId).success).toBe(true);
    expect(schemas.tenantId.safeParse(`${tenantId}é`).success).toBe(false);
    const override: TenantOverride = { type: 'tenant-override', orgId: id('org'), projectId: id('prj'), envId: id('env'), featureId: id('ftr'), featureName: 'f', tenantId, enabled: true, value: null, ...stamp };
    expect(Buffer.byteLength(itemKeysOf(override).sk)).toBeLessThanOrEqual(DYNAMODB.sortKeyBytes);
  });
});

describe('path parameters', () => {
  it('are declared for every route of the table, and take what the routes are given (an edge key)', () => {
    const names = new Set(routes.flatMap((route) => [...route.path.matchAll(/\{([^{}]+)\}/g)].map((match) => match[1] as string)));
    expect([...names].filter((name) => !Object.hasOwn(schemas.pathParameters, name))).toEqual([]);
    expect(schemas.pathParameterProblems({ edgeKey: edgeKeyOf('cli_secret'), key: 'new_search' })).toEqual([]);
    expect(schemas.pathParameterProblems({ edgeKey: 'not-an-edge-key' })).toEqual([{ path: 'edgeKey', message: 'an edge key (hex)' }]);
  });
});

describe('identifier keys', () => {
  it('keep identifiers up to 512 bytes, and key longer ones by a digest no kept identifier can equal', () => {
    expect(identifierKey('user-1')).toBe('user-1');
    expect(identifierKey('x'.repeat(512))).toBe('x'.repeat(512));
    const long = identifierKey('x'.repeat(513));
    expect(Buffer.byteLength(long)).toBeGreaterThan(LIMITS.identifierKeyBytes);
    expect(long).toMatch(/^x{512}#[0-9a-f]{64}$/);
    expect(identifierKey(`${'x'.repeat(512)}y`)).not.toBe(identifierKey(`${'x'.repeat(512)}z`));
    // A multi-byte character is never split.
    expect(identifierKey(`${'x'.repeat(511)}€€`).startsWith(`${'x'.repeat(511)}#`)).toBe(true);
  });
});

describe('the item codec', () => {
  property.prop([fc.jsonValue()])('stores any JSON value and reads the same value back', (value) => {
    const stored = encodeValue(value);
    expect(JSON.stringify(decodeValue(stored))).toBe(JSON.stringify(value));
  });

  it('escapes exactly the keys DynamoDB or the AWS SDK cannot take as they are', () => {
    const value = JSON.parse('{"__proto__":1,"constructor":2,"":3,"\\ue000a":4,"toString":5}');
    const stored = encodeValue(value) as Record<string, unknown>;
    expect(Object.keys(stored).sort()).toEqual(['\ue000', '\ue000\ue000a', '\ue000__proto__', '\ue000constructor', 'toString'].sort());
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    const back = decodeValue(stored) as Record<string, unknown>;
    expect(Object.keys(back).sort()).toEqual(['', '\ue000a', '__proto__', 'constructor', 'toString'].sort());
    expect(back.__proto__).toBe(1);
  });

  it('measures items as DynamoDB documents it', () => {
    // Names and string values in UTF-8; numbers 1 byte per 2 digits (+ our safety byte); containers 3 bytes and 1 per element.
    expect(measureItem({ a: 'é' }).bytes).toBe(1 + 2);
    expect(measureItem({ a: true, b: null }).bytes).toBe(2 + 2);
    expect(measureItem({ a: [1, 'x'] }).bytes).toBe(1 + 3 + 1 + 3 + 1 + 1);
    expect(measureItem({ m: { k: 'v' } })).toEqual({ bytes: 1 + 3 + 1 + 1 + 1, depth: 1, storableNumbers: true });
    expect(measureItem({ n: 1e-200 }).storableNumbers).toBe(false);
  });
});

describe('JSON depth', () => {
  it('is read from text without recursion, strings skipped', () => {
    expect(jsonTextDepth('{"a":[1,{"b":"[[[["}]}')).toBe(3);
    expect(jsonTextDepth('"\\"[["')).toBe(0);
    expect(jsonTextDepth('['.repeat(1_000_000))).toBe(1_000_000);
    expect(jsonTextDepth('['.repeat(1_000_000), 64)).toBe(65);
  });

  it('is checked on values without recursion', () => {
    expect(jsonValueProblems(nested(100_000, 1), { maxDepth: 16, maxBytes: 1000 })).toEqual([{ path: expect.any(String), message: 'nested more than 16 levels deep' }]);
  });
});
