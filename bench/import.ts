/**
 * Imports as jobs, on DynamoDB Local: what the 202 costs (validating and storing a 5,000-feature,
 * ~5 MB Flagsmith document), how long the job takes to the end in runs of a minute (the local
 * stack's; a Lambda run is 4.5 minutes), and what one run spends planning before it writes.
 */
import { startImport } from '../functions/domain/use-cases/import-flagsmith.js';
import { jobWorks } from '../functions/domain/use-cases/job-works.js';
import { runJob } from '../functions/domain/use-cases/jobs.js';
import { bootstrapOrganisation, createEnvironment, createProject } from '../functions/domain/use-cases/organisation.js';
import { withSeededEnvironment } from './stack.js';

const FEATURES = 5000;

export async function runImportBench(): Promise<void> {
  await withSeededEnvironment(async ({ deps }) => {
    const { organisation, token } = await bootstrapOrganisation(deps, { name: 'import bench' });
    const project = await createProject(deps, token, organisation, { name: 'import', tenantTraitKey: 'tenant' });
    const { environment } = await createEnvironment(deps, token, project, { name: 'import' });
    const padding = 'x'.repeat(900);
    const document = {
      api_key: 'BenchKey',
      feature_states: Array.from({ length: FEATURES }, (_, i) => ({ feature: { id: i + 1, name: `bench_${i}` }, enabled: i % 2 === 0, feature_state_value: `${i} ${padding}`, django_id: 100_000 + i })),
      project: { segments: [] },
      identity_overrides: [],
    };
    const bytes = Buffer.byteLength(JSON.stringify(document));

    let started = performance.now();
    const job = await startImport({ ...deps, jobs: undefined }, token, environment, project, document);
    const accepted = performance.now() - started;

    started = performance.now();
    let runs = 0;
    for (let outcome = 'continue'; outcome === 'continue'; runs++) outcome = await runJob(deps, job.id, jobWorks, { deadline: Date.now() + 60_000 });
    const finished = performance.now() - started;
    const done = await deps.store.get({ type: 'job', id: job.id });

    // A run's fixed cost: load the document, check it, read the environment, plan (nothing left to do).
    const again = await startImport({ ...deps, jobs: undefined }, token, environment, project, document);
    started = performance.now();
    await runJob(deps, again.id, jobWorks, { deadline: Date.now() + 60_000 });
    const replan = performance.now() - started;

    const changes = done?.progress.total ?? 0;
    console.log(`\n## Import (${FEATURES} features, ${(bytes / 1024 / 1024).toFixed(2)} MiB document, DynamoDB Local in memory)`);
    console.log(`- accepted (validated with the routes' rules, stored gzipped, job queued): ${accepted.toFixed(0)} ms, the whole cost of the 202`);
    console.log(`- job: ${done?.status}, ${changes} changes in ${(finished / 1000).toFixed(1)} s over ${runs} run(s) of up to 60 s: ${(changes / (finished / 1000)).toFixed(0)} changes/s`);
    console.log(`- planning a run (load, check, read the environment, compare) with nothing left to write: ${replan.toFixed(0)} ms`);
  });
}
