#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { addNagPacks } from '../lib/nag.js';
import { VexillaStack } from '../lib/vexilla-stack.js';

const app = new App();
const stage = (app.node.tryGetContext('stage') as string | undefined) ?? 'dev';
// `-c retainData=false` lets a throwaway dev stack delete its table with it.
const retainData = app.node.tryGetContext('retainData') !== 'false' && app.node.tryGetContext('retainData') !== false;
new VexillaStack(app, `Vexilla-${stage}`, {
  description: `Vexilla feature flags and remote config (${stage})`,
  retainData,
});
addNagPacks(app);
