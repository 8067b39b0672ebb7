import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    // Two projects so DynamoDB Local (Java) only starts when integration tests are in the run:
    // vitest runs a project's globalSetup only when that project has test files to run.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/integration/**', 'test/conformance/clients/**', 'test/e2e/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          // Real, unmodified client packages against the local stack live with the conformance tests.
          include: ['test/integration/**/*.test.ts', 'test/conformance/clients/**/*.test.ts'],
          globalSetup: ['test/support/dynamodb-global-setup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          // `npm run dev` in its own process (it starts its own DynamoDB Local), driven through
          // HTTP and the CLI only.
          include: ['test/e2e/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/e2e/dashboard/**'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'dashboard',
          // The dashboard in Debian's Chromium against `npm run dev` in its own process; the
          // global setup builds the dashboard once.
          include: ['test/e2e/dashboard/**/*.test.ts'],
          globalSetup: ['test/e2e/dashboard/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
