/**
 * Setup file of the `dashboard` project (vitest.config.ts): each journey starts once the shared
 * stack is up (its globalSetup starts it in the background), so it can read it synchronously
 * (dashboardStack()) as it registers its hooks.
 */
import { awaitDashboardStack } from './stack.js';

await awaitDashboardStack();
