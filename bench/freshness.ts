/**
 * Freshness benchmark: time from a committed change (PATCH through the admin API) until
 * `GET /api/v1/flags/` through the local stack's edge cache serves the new value, over the
 * whole local pipeline: DynamoDB Local's stream → publisher → bus → document-publisher →
 * edge invalidation. 200 features, 30 segments. Reports, never fails on a time.
 */
import type { PublishBatchResult } from '../functions/domain/use-cases/publish-documents.js';
import { edgeCaching } from '../functions/edge/cache-rules.js';
import { startLocalStack } from '../functions/local/stack.js';
import { withSeededEnvironment } from './stack.js';

const CHANGES = 20;
const TARGET_MS = 1000;

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

interface Flag {
  feature: { name: string };
  enabled: boolean;
}

export async function runFreshnessBench(): Promise<void> {
  console.log('\n## Freshness: committed change → new value served through the local edge (200 features, 30 segments)');
  await withSeededEnvironment(async ({ endpoint, tableName, adminToken, clientKey, environmentId }) => {
    const published: PublishBatchResult[] = [];
    const stack = await startLocalStack({ endpoint, tableName, onPublished: (result) => published.push(result) });
    try {
      const flags = async (): Promise<Flag[]> => (await (await fetch(`${stack.url}/api/v1/flags/`, { headers: { 'x-environment-key': clientKey } })).json()) as Flag[];
      const first = (await flags())[0];
      if (!first) throw new Error('The seeded environment has no flags');
      const name = first.feature.name;
      let enabled = first.enabled;
      const times: number[] = [];
      const commits: number[] = [];
      published.length = 0;
      for (let i = 0; i < CHANGES; i++) {
        enabled = !enabled;
        const started = performance.now();
        const reply = await fetch(`${stack.url}/admin/v1/environments/${environmentId}/feature-states/${name}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ enabled }),
        });
        if (reply.status !== 200) throw new Error(`PATCH answered ${reply.status}`);
        commits.push(performance.now() - started);
        // Poll through the edge, as an SDK would, until it serves the new value.
        while ((await flags()).find((flag) => flag.feature.name === name)?.enabled !== enabled) {
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
        times.push(performance.now() - started);
        await stack.idle();
      }
      const fmt = (ms: number) => `${ms.toFixed(0).padStart(5)} ms`;
      console.log(
        `change → served       p50 ${fmt(percentile(times, 50))}  p95 ${fmt(percentile(times, 95))}  max ${fmt(Math.max(...times))}  over ${CHANGES} changes (target < ${TARGET_MS} ms: ${percentile(times, 95) < TARGET_MS ? 'met' : 'NOT met'} at p95)`,
      );
      console.log(`  of which the PATCH  p50 ${fmt(percentile(commits, 50))}  p95 ${fmt(percentile(commits, 95))}`);
      console.log(`document rebuilds     ${published.length} for ${CHANGES} changes; edge invalidations ${published.filter((result) => result.invalidation !== undefined).length}`);
      console.log(`without invalidation  up to ${edgeCaching.maxAgeSeconds} s at the edge (max-age) plus the sdk-api's snapshot check interval`);
    } finally {
      await stack.stop();
    }
  });
}
