/**
 * The benchmarks' stack: DynamoDB Local, the table, and the engine benchmark's environment shape
 * (200 features, 30 segments) created through the domain's use cases.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureTable } from '../functions/data/create-table.js';
import { DynamoStore } from '../functions/data/dynamo-store.js';
import type { Environment, Project } from '../functions/domain/entities.js';
import { createFeature } from '../functions/domain/use-cases/features.js';
import { bootstrapOrganisation, createApiKey, createEnvironment, createProject } from '../functions/domain/use-cases/organisation.js';
import type { Actor, Deps } from '../functions/domain/use-cases/support.js';
import { createSegment, putSegmentOverride } from '../functions/domain/use-cases/targeting.js';
import { localDynamoClientConfig, startDynamoDbLocal } from '../functions/local/dynamodb-local.js';
import { documentClient } from '../functions/shared/dynamodb.js';
import { buildEnvironment } from './workload.js';

/** Seeds the engine benchmark's environment shape through the domain's use cases. */
async function seed(deps: Deps) {
  const { organisation, token, secret } = await bootstrapOrganisation(deps, { name: 'bench' });
  const actor: Actor = token;
  const project: Project = await createProject(deps, actor, organisation, { name: 'bench', tenantTraitKey: 'tenant' });
  const { environment }: { environment: Environment } = await createEnvironment(deps, actor, project, { name: 'bench' });
  const shape = buildEnvironment({ features: 200, segments: 30, conditionsPerSegment: 3, multivariate: 20 });
  for (const feature of Object.values(shape.features ?? {})) {
    await createFeature(deps, actor, project, {
      name: feature.name,
      type: feature.variants ? 'MULTIVARIATE' : 'STANDARD',
      defaultEnabled: feature.enabled,
      // Multivariate options are strings in the workload; their feature's value follows suit.
      initialValue: feature.variants ? String(feature.value) : (feature.value as string | number),
      options: (feature.variants ?? []).map((variant) => ({ value: variant.value as string, defaultWeight: variant.weight })),
      tags: [],
      description: '',
      owner: null,
    });
  }
  for (const segment of Object.values(shape.segments ?? {})) {
    const created = await createSegment(deps, actor, project, { name: segment.name, description: '', rules: segment.rules, tenantKey: null });
    for (const override of segment.overrides ?? []) {
      const target = shape.features?.[override.name];
      const numeric = typeof target?.value === 'number' && !target.variants;
      await putSegmentOverride(deps, actor, environment, project, override.name, created.id, {
        enabled: override.enabled,
        value: numeric ? 1000 + Number(created.numericId) : (override.value as string),
        priority: override.priority ?? 0,
      });
    }
  }
  const { secret: clientKey } = await createApiKey(deps, actor, environment, 'client', 'bench client');
  const { secret: serverKey } = await createApiKey(deps, actor, environment, 'server', 'bench server');
  return { clientKey, serverKey, adminToken: secret, environmentId: environment.id };
}


export interface SeededStack {
  deps: Deps;
  /** The document client under the store, for counting calls. */
  client: DynamoDBDocumentClient;
  clientKey: string;
  serverKey: string;
  /** For benchmarks that go through the admin API and the local stack. */
  adminToken: string;
  environmentId: string;
  endpoint: string;
  tableName: string;
}

/** Runs `bench` against a fresh in-memory DynamoDB Local holding the seeded environment. */
export async function withSeededEnvironment(bench: (stack: SeededStack) => Promise<void>): Promise<void> {
  const dynamo = await startDynamoDbLocal({ inMemory: true });
  try {
    const config = localDynamoClientConfig(dynamo.endpoint);
    await ensureTable(new DynamoDBClient(config), 'vexilla-bench');
    const client = documentClient(config);
    const deps: Deps = { store: new DynamoStore(client, 'vexilla-bench'), clock: () => new Date() };
    await bench({ deps, client, endpoint: dynamo.endpoint, tableName: 'vexilla-bench', ...(await seed(deps)) });
  } finally {
    await dynamo.stop();
  }
}
