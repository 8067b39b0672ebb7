#!/usr/bin/env node
// The `vexilla` command: runs the TypeScript CLI through tsx, without a build step.
import { register } from 'tsx/esm/api';

register();
await import('./index.ts');
