import type { App } from 'aws-cdk-lib';
import { addVexillaStacks } from './app.js';
import { configFromContext, type ContextOption } from './context.js';
import { addNagPacks } from './nag.js';

/**
 * The CDK app's contents, as bin/vexilla.ts builds them for `cdk` (and the README test for each
 * `cdk deploy` the README shows). Every `-c name=value` option is declared, parsed and checked in
 * lib/context.ts and listed in the README's configuration table. The region comes from `-c region=`
 * or, as for any CDK app, from the CLI's profile (CDK_DEFAULT_REGION); lib/app.ts says what it changes.
 */
export function defineVexillaApp(app: App, env: NodeJS.ProcessEnv = process.env): void {
  const context = (name: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(name);
    return value === undefined || value === null ? undefined : String(value);
  };
  const config = configFromContext((name: ContextOption) => context(name), Object.keys(app.node.getAllContext()), { region: env.CDK_DEFAULT_REGION });
  addVexillaStacks(app, config, env.CDK_DEFAULT_ACCOUNT);
  addNagPacks(app);
}
