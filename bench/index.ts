/**
 * `npm run bench`: every benchmark, printed. Figures are reported, never asserted. Each section
 * runs in a process of its own (bench/run.ts passes its name), so one section's heap and loaded
 * code cannot slow another's figures.
 */
const sections: Record<string, () => Promise<void>> = {
  engine: async () => (await import('./engine.js')).runEngineBench(),
  prerequisites: async () => (await import('./prerequisites.js')).runPrerequisitesBench(),
  'sdk-api': async () => (await import('./sdk-api.js')).runSdkApiBench(),
  sdk: async () => (await import('./sdk.js')).runSdkBench(),
  webhooks: async () => (await import('./webhooks.js')).runWebhooksBench(),
  freshness: async () => (await import('./freshness.js')).runFreshnessBench(),
  bundles: async () => (await import('./bundles.js')).runBundlesBench(),
  dashboard: async () => (await import('./dashboard.js')).runDashboardBench(),
  import: async () => (await import('./import.js')).runImportBench(),
  tenants: async () => (await import('./tenants.js')).runTenantsBench(),
  'dynamodb-local': async () => (await import('./dynamodb-local.js')).runDynamoDbLocalBench(),
};

const requested = process.argv[2];
const section = requested === undefined ? undefined : sections[requested];
if (!section) {
  console.error(`Usage: bench.mjs <${Object.keys(sections).join('|')}>`);
  process.exit(2);
}
await section();

export {};
