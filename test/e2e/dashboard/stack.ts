/**
 * What the dashboard project's global setup (global-setup.ts) shares with its journeys: one
 * `npm run dev`, one Chromium, and an organisation per journey, started in the background and
 * written to a file once ready (test/support/background-setup.ts). Types, names and that wait
 * only: the journeys' workers load this without the seeding code.
 */
import { inject } from 'vitest';
import type { LocalConfig } from '../../../functions/local/seed.js';
import { setupValue } from '../../support/background-setup.js';

/**
 * Journeys that get an organisation of their own, with the demo data. Those not listed work in
 * the stack's own demo organisation (`startJourney(name, { organisation: 'demo' })`): the demo
 * person demo@example.com (the one the local provider knows by name) is a member of it only, and
 * the tenant settings demo page (`/demo/tenant-settings`) is bound to its development environment.
 */
export const OWN_ORGANISATIONS = ['dashboard', 'rollouts', 'sign-in', 'tenants'] as const;
export type OwnOrganisation = (typeof OWN_ORGANISATIONS)[number];

/** An organisation as `.vexilla/local.json` describes the demo one, with the person who administers it. */
export interface JourneyOrganisation extends LocalConfig {
  signIn: NonNullable<LocalConfig['signIn']>;
  /** An organisation admin who signs in at the stack's OpenID provider with this email. */
  person: { email: string; name: string };
}

export interface DashboardStack {
  apiUrl: string;
  /** The shared Chromium's endpoint (playwright-core's `connect`). */
  browserEndpoint: string;
  /** The stack's table, for a journey that seeds bulk data as the product's own write builders store it. */
  table: { dynamoEndpoint: string; tableName: string };
  /** The organisation `npm run dev` seeded itself. */
  demo: JourneyOrganisation;
  organisations: Record<OwnOrganisation, JourneyOrganisation>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** Where the global setup writes the {@link DashboardStack} once it is up. */
    dashboardStackFile: string;
  }
}

/** The stack: the project's setup file (stack-ready.ts) waits for it before each journey. */
const stack = setupValue<DashboardStack>(
  () => inject('dashboardStackFile'),
  "the dashboard journeys' stack (npm run dev, Chromium, their organisations)",
  'run journeys in the vitest `dashboard` project, whose setup file waits for it',
);
export const awaitDashboardStack = stack.wait;
export const dashboardStack = stack.get;
