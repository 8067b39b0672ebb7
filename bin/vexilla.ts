#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addVexillaStacks } from '../lib/app.js';
import { configFromContext, type ContextOption } from '../lib/context.js';
import { addNagPacks } from '../lib/nag.js';

/**
 * The CDK app. Every `-c name=value` option is declared, parsed and checked in lib/context.ts and
 * listed in the README's configuration table. The region comes from `-c region=` or, as for any
 * CDK app, from the CLI's profile (CDK_DEFAULT_REGION); lib/app.ts says what it changes.
 */
const app = new App();
const context = (name: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(name);
  return value === undefined || value === null ? undefined : String(value);
};
const config = configFromContext((name: ContextOption) => context(name), Object.keys(app.node.getAllContext()), { region: process.env.CDK_DEFAULT_REGION });
addVexillaStacks(app, config, process.env.CDK_DEFAULT_ACCOUNT);
addNagPacks(app);
