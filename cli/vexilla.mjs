#!/usr/bin/env node
// The `vexilla` command: runs the TypeScript CLI through tsx, without a build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns that its 2027 releases need Node 22; this project supports Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main, processIo } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2), processIo());
