/**
 * The `cdk deploy` commands of the README's `not-run:aws` blocks, synthesised in one process
 * (test/e2e/readme.test.ts): `npx cdk` in those blocks only records its arguments, then this
 * program synthesises each recorded command the way `cdk deploy ARGS` would before deploying: the
 * app cdk.json names (bin/vexilla.ts, whose contents are lib/vexilla-app.ts), with cdk.json's
 * context and the command's `-c` options, cdk-nag's packs included (an unacknowledged finding
 * fails), bundling no function (test/infra/functions.test.ts bundles them, as `cdk list` skips
 * it), without CDK's warning-only CloudFormation validation (a WebAssembly linter, about 19 s of CPU
 * per synthesis here, that cannot fail a synthesis; test/infra/nag.test.ts runs it, and
 * test/infra/cfn-lint.test.ts lints three configurations).
 * One process instead of one `npx cdk` per command: the CDK CLI and aws-cdk-lib load once. The
 * README test runs it bundled (lib/bundle-cache.mjs); from source:
 *
 *   node --import tsx test/support/readme-cdk.ts RECORD...   (in the directory holding cdk.json)
 *
 * A RECORD file holds the commands of one block, each as `--cdk--` then its arguments, NUL-
 * separated. Prints one JSON line per RECORD: { record, commands: [{ args, stacks } | { args, error }] }.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { defineVexillaApp } from '../../lib/vexilla-app.js';

/** `cdk deploy`'s arguments as the CDK CLI reads the ones the README uses; anything else fails. */
function parseDeployArgs(args: readonly string[]): { context: Record<string, string>; all: boolean; stacks: string[] } {
  const [command, ...rest] = args;
  if (command !== 'deploy') throw new Error(`only \`cdk deploy\` is checked here, not \`cdk ${command}\``);
  const context: Record<string, string> = {};
  const stacks: string[] = [];
  let all = false;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i] as string;
    if (arg === '--all') all = true;
    else if (arg === '-c' || arg === '--context' || arg.startsWith('--context=')) {
      const pair = arg.startsWith('--context=') ? arg.slice('--context='.length) : rest[++i];
      const equals = pair?.indexOf('=') ?? -1;
      if (pair === undefined || equals <= 0) throw new Error(`${arg} takes name=value, got ${pair ?? 'nothing'}`);
      context[pair.slice(0, equals)] = pair.slice(equals + 1);
    } else if (arg.startsWith('-')) throw new Error(`unknown option ${arg} (this check knows --all and -c; teach it the others)`);
    else stacks.push(arg);
  }
  return { context, all, stacks };
}

function synthesise(args: readonly string[], cdkJson: { app?: string; context?: Record<string, unknown> }): string[] {
  const { context, all, stacks } = parseDeployArgs(args);
  const outdir = mkdtempSync(join(tmpdir(), 'vexilla-readme-cdk-'));
  try {
    const app = new App({
      outdir,
      autoSynth: false,
      stackTraces: false,
      builtinCloudFormationValidation: false,
      // As the CLI passes them: cdk.json's context, then -c (which wins); no function bundled.
      context: { ...cdkJson.context, ...context, 'aws:cdk:bundling-stacks': [] },
    });
    defineVexillaApp(app);
    const assembly = app.synth();
    // The CLI also refuses an assembly with error annotations (the nag packs already threw on theirs).
    const errors = assembly.stacks.flatMap((stack) => stack.messages.filter((message) => message.level === 'error').map((message) => `${message.id}: ${String(message.entry.data)}`));
    if (errors.length > 0) throw new Error(`synthesis reported errors:\n${errors.join('\n')}`);
    const ids = assembly.stacks.map((stack) => stack.stackName);
    const missing = stacks.filter((name) => !ids.includes(name));
    if (missing.length > 0) throw new Error(`no stack named ${missing.join(', ')} (the app has ${ids.join(', ')})`);
    if (!all && stacks.length === 0 && ids.length > 1) throw new Error(`the app has several stacks (${ids.join(', ')}): cdk deploy needs --all or their names`);
    return ids;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { app?: string; context?: Record<string, unknown> };
// What cdk.json runs must be what is synthesised here.
if (cdkJson.app !== 'npx tsx bin/vexilla.ts') throw new Error(`cdk.json's app is now ${cdkJson.app}: make test/support/readme-cdk.ts synthesise that`);
delete process.env.CDK_CONTEXT_JSON;
delete process.env.CDK_OUTDIR;
for (const record of process.argv.slice(2)) {
  const tokens = readFileSync(record, 'utf8').split('\0').slice(0, -1);
  const commands: (string[])[] = [];
  for (const token of tokens) {
    if (token === '--cdk--') commands.push([]);
    else commands.at(-1)?.push(token);
  }
  const results = commands.map((args) => {
    try {
      return { args, stacks: synthesise(args, cdkJson) };
    } catch (error) {
      return { args, error: error instanceof Error ? error.stack ?? error.message : String(error) };
    }
  });
  console.log(JSON.stringify({ record, commands: results }));
}
