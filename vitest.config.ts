import { defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';
import LongestProjectsFirst from './test/support/sequencer.js';

// Quiet test output, inherited by every worker: the AWS SDK's warning that its 2027 releases need
// Node 22 (this project supports Node 20), and the structured logs of the code under test
// (VEXILLA_TEST_LOGS=1 shows them). Processes the tests start as a user would (`npm run dev`,
// the CLI) get their usual logs back: test/support/dev-process.ts's quietEnv.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
if (!process.env.VEXILLA_TEST_LOGS) process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

/** Integration files that drive OpenFeature's process-wide API (see the project that runs them). */
const OPENFEATURE_FILES = ['test/conformance/clients/openfeature.test.ts', 'test/integration/sdk-openfeature.test.ts'];

export default defineConfig({
  // Vitest loads the global setups in its own process through its `__vitest__` environment, which
  // it leaves with Vite's client defaults (vitest-dev/vitest#7588: conditions not respected on the
  // main thread): the "module" main field, so packages such as the AWS SDK resolve to ESM builds
  // Node cannot import (no "type": "module") and are transformed file by file. The SDK's DynamoDB
  // client alone: 574 files, ~3.7 s before any test could start (0.1 s natively). These are the
  // workers' rules (vitest's getDefaultServerConditions), so the setups load packages natively.
  environments: { __vitest__: { resolve: { mainFields: [], conditions: defaultServerConditions.filter((condition) => condition !== 'module') } } },
  test: {
    // Bounds on a hang, not expectations of speed: on a loaded machine (CI shares its cores with
    // other work) a test that takes 20 s here can take minutes; nothing waits for these to pass.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // Global setups stop stacks they started (`npm run dev`, DynamoDB Local): vitest's 10 s default
    // cuts that short on a loaded machine.
    teardownTimeout: 120_000,
    // expect.poll waits for a condition: a generous bound costs nothing when it arrives early
    // (vitest's default of 1 s fails on a busy machine).
    expect: { poll: { timeout: 120_000 } },
    // Most test files wait on I/O (DynamoDB Local's Java, child processes, HTTP), not on the CPU:
    // running three at once on this 2-core machine overlaps the waiting (vitest's default here
    // is one). The tests wait for conditions, never for durations, so contention cannot fail them.
    maxWorkers: Number(process.env.VEXILLA_TEST_WORKERS ?? 3),
    // The README run and the other process-level files start first (test/support/sequencer.ts).
    sequence: { sequencer: LongestProjectsFirst },
    // Two projects so DynamoDB Local (Java) only starts when integration tests are in the run:
    // vitest runs a project's globalSetup only when that project has test files to run.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/integration/**', 'test/conformance/clients/**', 'test/e2e/**'],
          // Pure in-process tests (no servers, no timers faked, each AWS client class mocked by one
          // file only): a worker keeps its modules from one file to the next, so aws-cdk-lib and the
          // stack's code load once per worker instead of once per file (most of this project's time).
          isolate: false,
          // V8's garbage collector on one thread: its helper threads cost more CPU than they save
          // on this 2-core machine shared by every worker (CDK's CloudFormation validation, a
          // large WebAssembly engine, takes half the CPU with it: test/infra/nag.test.ts). That engine
          // validates one template per run: V8's baseline WebAssembly compiler alone (--liftoff-only)
          // costs about half the CPU of also optimising it (~4 CPU-s less).
          execArgv: ['--single-threaded-gc', '--liftoff-only'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          // Real, unmodified client packages against the local stack live with the conformance tests.
          include: ['test/integration/**/*.test.ts', 'test/conformance/clients/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...OPENFEATURE_FILES],
          globalSetup: ['test/support/dynamodb-global-setup.ts'],
          // A worker runs its files one after another in one process, keeping the modules it
          // loaded: the functions, the AWS SDK and the client packages load once per worker
          // instead of once per file (with isolation, importing them was a third of the run's
          // time). So a file leaves the process as it found it: it restores the environment
          // variables it sets (vi.stubEnv, then vi.unstubAllEnvs), its timers, AWS SDK mocks and
          // OpenFeature providers, and closes what it starts; the setup file fails a file that
          // did not. Each file still gets a table of its own; a Lambda entry's handler keeps the
          // dependencies it built on first use (as in Lambda), so one file per entry calls it.
          isolate: false,
          setupFiles: ['test/support/dynamodb-ready.ts', 'test/support/file-hygiene.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration-openfeature',
          // OpenFeature's API is a process-wide singleton (kept on globalThis). In a shared worker,
          // after other files, the web provider's first test once saw READY twice for one
          // setProviderAndWait (a full run on 2 December, not reproduced in a worker shared with the
          // other OpenFeature file; cause not found). These two files run isolated, sharing the
          // integration tests' DynamoDB Local.
          include: OPENFEATURE_FILES,
          globalSetup: ['test/support/dynamodb-global-setup.ts'],
          setupFiles: ['test/support/dynamodb-ready.ts'],
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
          setupFiles: ['test/e2e/dashboard/stack-ready.ts'],
          // Each journey keeps its state in its own browser context and organisation, and closes
          // its connection after its tests: a worker runs journeys one after another, loading
          // playwright-core and the helpers once instead of once per file.
          isolate: false,
        },
      },
    ],
  },
});
