/**
 * The `check` write kind on DynamoDB Local: a commit that holds only while another item is at a
 * version (or, with `present`, exists), writing nothing to it (a ConditionCheck in the same TransactWriteItems).
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '../../functions/data/create-table.js';
import { DynamoStore } from '../../functions/data/dynamo-store.js';
import type { Environment, Project } from '../../functions/domain/entities.js';
import { CommitConflict } from '../../functions/domain/ports.js';
import { localDynamoClientConfig } from '../../functions/local/dynamodb-local.js';
import { documentClient } from '../../functions/shared/dynamodb.js';
import { testDynamoEndpoint } from '../support/dynamodb.js';

const config = localDynamoClientConfig(testDynamoEndpoint());
const raw = new DynamoDBClient(config);
const tableName = `vexilla-check-${randomUUID().slice(0, 8)}`;
const store = new DynamoStore(documentClient(config), tableName);
const at = '2026-01-01T00:00:00.000Z';

const environment = (version: number): Environment => ({
  type: 'environment', id: 'env_check', orgId: 'org_1', projectId: 'prj_1', name: 'production', hashKey: 'key', requiredApprovals: 0, createdAt: at, updatedAt: at, version,
});
const project = (id: string): Project => ({ type: 'project', id, orgId: 'org_1', name: id, tenantTraitKey: 'tenant', createdAt: at, updatedAt: at, version: 1 });
const envRef = { type: 'environment', id: 'env_check' } as const;

beforeAll(async () => {
  await ensureTable(raw, tableName);
  await store.commit([{ kind: 'put', entity: environment(3) }]);
});
afterAll(async () => {
  await raw.send(new DeleteTableCommand({ TableName: tableName }));
  raw.destroy();
});

describe('a check write', () => {
  it('lets the commit through while the checked item is at the expected version, and leaves that item as it was', async () => {
    await store.commit([
      { kind: 'put', entity: project('prj_held'), expect: 'absent' },
      { kind: 'check', ref: envRef, expect: 3 },
    ]);

    expect(await store.get({ type: 'project', id: 'prj_held' })).toMatchObject({ name: 'prj_held' });
    expect(await store.get(envRef)).toEqual(environment(3));
  });

  it('fails the whole commit when the checked item moved, naming the check by its index, with nothing written', async () => {
    await store.commit([{ kind: 'put', entity: environment(4), expect: 3 }]);

    const commit = store.commit([
      { kind: 'put', entity: project('prj_a'), expect: 'absent' },
      { kind: 'put', entity: project('prj_b'), expect: 'absent' },
      { kind: 'check', ref: envRef, expect: 3 },
    ]);

    const error = await commit.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommitConflict);
    expect((error as CommitConflict).failedWrites).toEqual([2]);
    expect(await store.get({ type: 'project', id: 'prj_a' })).toBeUndefined();
    expect(await store.get({ type: 'project', id: 'prj_b' })).toBeUndefined();
  });

  it('fails when the checked item does not exist', async () => {
    const commit = store.commit([
      { kind: 'check', ref: { type: 'environment', id: 'env_gone' }, expect: 1 },
      { kind: 'put', entity: project('prj_c'), expect: 'absent' },
    ]);

    await expect(commit).rejects.toMatchObject({ name: 'CommitConflict', failedWrites: [0] });
    expect(await store.get({ type: 'project', id: 'prj_c' })).toBeUndefined();
  });

  it('with `present`, holds while the item exists whatever its version, and fails naming it when it does not', async () => {
    await store.commit([
      { kind: 'check', ref: envRef, expect: 'present' },
      { kind: 'put', entity: project('prj_present'), expect: 'absent' },
    ]);
    expect(await store.get({ type: 'project', id: 'prj_present' })).toMatchObject({ name: 'prj_present' });

    const commit = store.commit([
      { kind: 'put', entity: project('prj_d'), expect: 'absent' },
      { kind: 'check', ref: { type: 'event', orgId: 'org_1', at, id: 'evt_gone' }, expect: 'present' },
    ]);

    await expect(commit).rejects.toMatchObject({ name: 'CommitConflict', failedWrites: [1] });
    expect(await store.get({ type: 'project', id: 'prj_d' })).toBeUndefined();
  });

  it('refuses a commit that checks and writes the same item, naming it, before DynamoDB does', async () => {
    const commit = store.commit([
      { kind: 'put', entity: { ...environment(5), name: 'renamed' }, expect: 4 },
      { kind: 'check', ref: envRef, expect: 4 },
    ]);

    await expect(commit).rejects.toThrow('A commit may write or check an item once, got ENV#env_check');
    expect(await store.get(envRef)).toMatchObject({ name: 'production', version: 4 });
  });
});
