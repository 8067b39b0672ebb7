/**
 * The README, executed: every shell block of README.md runs, in order, in a fresh copy of the
 * repository (its files as they are now, node_modules linked) against a fresh `npm run dev`, and
 * must succeed. So the README cannot drift from what works.
 *
 * How a README block says how it runs (its info string, after ```sh):
 *   (nothing)                   Runs in bash (`set -euo pipefail`), in the copy's root, in a shell of
 *                               its own (variables do not carry over: make each block self-contained).
 *                               It must exit 0. curl runs with --fail-with-body, so an HTTP error fails.
 *   background ready="<text>"   A long-running command (`npm run dev`, a receiver), as in another
 *                               terminal: started, waited for until its output shows <text>, left
 *                               running for the blocks after it, stopped with Ctrl-C at the end.
 *   not-run:aws                 Needs an AWS account, so it is checked instead of run: placeholders
 *                               (<...>) are filled with `placeholder`; each `npx cdk deploy ARGS` is
 *                               synthesised with those arguments as `cdk deploy` would before deploying
 *                               (cdk.json's app and context, nag packs included; no function bundled:
 *                               test/infra/functions.test.ts bundles them; without CDK's warning-only
 *                               template validation), all of the README's in one process
 *                               (test/support/readme-cdk.ts); `npx cdk bootstrap` checks the cdk CLI
 *                               is installed; `aws ...` answers a sample stream ARN; `npm ci` is
 *                               skipped (this run did it); and `vexilla` only parses its arguments
 *                               (VEXILLA_PARSE_ONLY=1: an unknown command or option fails). These
 *                               blocks need nothing the others make, so they run at the start,
 *                               alongside `npm run dev`; each block's test reports its own result.
 *   not-run:self                How this very suite runs (`npm ci`, `npm test`): each npm script it
 *                               names must exist.
 *   not-run:unpublished         Installs a package of this repository that is not on npm yet
 *                               (`npm install @vexilla/sdk`): the package must be one of ours.
 * Ports: the README's 8080 (the API) and 9000 (the webhook receiver) are replaced by free ports,
 * the way a user with those ports taken would pass PORT. Other blocks (ts, js) are not run here:
 * the SDK's is run by test/integration/sdk-package.test.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { chmod, cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedBundle } from '../../lib/bundle-cache.mjs';
import { freePort, processGroup, quietEnv, REPO_ROOT } from '../support/dev-process.js';

interface Block {
  line: number;
  kind: 'run' | 'background' | 'not-run:aws' | 'not-run:self' | 'not-run:unpublished';
  ready?: string | undefined;
  code: string;
}

/** The README's shell blocks, with how each runs. */
function readmeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const fence = /^```sh(?<info>[^\n]*)\n(?<code>[\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) {
    const info = (match.groups?.info ?? '').trim();
    const line = markdown.slice(0, match.index).split('\n').length;
    const kind = info.startsWith('background') ? 'background' : (['not-run:aws', 'not-run:self', 'not-run:unpublished'] as const).find((marker) => marker === info) ?? (info === '' ? 'run' : undefined);
    if (!kind) throw new Error(`README.md line ${line}: unknown block marker "${info}" (see the top of test/e2e/readme.test.ts)`);
    blocks.push({ line, kind, ready: /ready="([^"]+)"/.exec(info)?.[1], code: match.groups?.code ?? '' });
  }
  return blocks;
}

/** The file a workspace package of `root` names as its bin `name`: what npm links into node_modules/.bin. */
async function workspaceBin(root: string, name: string): Promise<string> {
  const { workspaces = [] } = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  for (const workspace of workspaces) {
    const { bin } = JSON.parse(await readFile(join(root, workspace, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    if (bin?.[name]) return join(root, workspace, bin[name]);
  }
  throw new Error(`no workspace package of ${root} has the bin ${name}`);
}

let copy: string;
let ports: { api: number; receiver: number };
const background: { block: Block; child: ChildProcess; output: () => string }[] = [];
let env: NodeJS.ProcessEnv;
/** npm's own npx, outside the shortcut in .readme-bin. */
let realNpx: string;

beforeAll(async () => {
  // A fresh copy: the files git would clone (tracked and new, not ignored), node_modules linked,
  // and the DynamoDB Local download shared (a cache, fetched by the first run that needs it).
  copy = await mkdtemp(join(tmpdir(), 'vexilla-readme-'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    await mkdir(dirname(join(copy, file)), { recursive: true });
    await cp(join(REPO_ROOT, file), join(copy, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // deleted in the working tree, not yet committed
    });
  }
  await symlink(join(REPO_ROOT, 'node_modules'), join(copy, 'node_modules'));
  await mkdir(join(REPO_ROOT, '.vexilla', 'cache'), { recursive: true });
  await mkdir(join(copy, '.vexilla'), { recursive: true });
  await symlink(join(REPO_ROOT, '.vexilla', 'cache'), join(copy, '.vexilla', 'cache'));
  // curl as the README calls it, but an HTTP error fails the block.
  const bin = join(copy, '.readme-bin');
  await mkdir(bin);
  await writeFile(join(bin, 'curl'), '#!/bin/sh\nexec /usr/bin/curl --fail-with-body "$@"\n');
  await chmod(join(bin, 'curl'), 0o755);
  // `npx vexilla ARGS` runs what npx resolves it to, the bin of the workspace package that has it (cli/),
  // without starting npm each time: seconds on a busy machine, over forty times in this file. The
  // first test checks that the real npx runs that same bin. Everything else goes to the real npx.
  realNpx = execFileSync('bash', ['-c', 'command -v npx'], { encoding: 'utf8' }).trim();
  const vexillaBin = await workspaceBin(copy, 'vexilla');
  await writeFile(join(bin, 'npx'), `#!/bin/sh\nif [ "$1" = vexilla ]; then shift; exec node ${JSON.stringify(vexillaBin)} "$@"; fi\nexec ${JSON.stringify(realNpx)} "$@"\n`);
  await chmod(join(bin, 'npx'), 0o755);
  ports = { api: await freePort(), receiver: await freePort() };
  const { VEXILLA_API_URL: _url, VEXILLA_TOKEN: _token, VEXILLA_PROJECT: _project, ...clean } = quietEnv;
  env = { ...clean, PATH: `${bin}:${clean.PATH}` };
  awsChecks = runAwsChecks(blocks.filter((block) => block.kind === 'not-run:aws'));
  awsChecks.catch(() => undefined); // awaited by each block's test, which reports a failure
});

// If the run is interrupted before afterAll, the background groups (Java included) still go.
process.once('exit', () => {
  for (const { child } of background) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

afterAll(async () => {
  for (const { child } of background.reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    process.kill(-(child.pid as number), 'SIGINT');
    const exited = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 30_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    // Ctrl-C leaves nothing behind; if it did, the group is taken down so no test leaks Java.
    if (!exited || (await processGroup(child.pid as number)).length > 0) {
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  if (copy) await rm(copy, { recursive: true, force: true });
});

/** The block as this run types it: the README's ports replaced by free ones. */
const typed = (code: string) => code.replaceAll(/\b8080\b/g, String(ports.api)).replaceAll(/\b9000\b/g, String(ports.receiver));

function runBash(script: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', `set -euo pipefail\n${script}`], { cwd: copy, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** `not-run:aws`: the same commands, checked (CDK_RECORD: where `npx cdk deploy` records its arguments). */
const AWS_CHECK = `
npm() { if [ "$1" = ci ]; then echo "(npm ci: done by this run)"; else command npm "$@"; fi; }
npx() {
  if [ "$1" = cdk ] && [ "$2" = deploy ]; then
    shift; printf '%s\\0' --cdk-- "$@" >> "$CDK_RECORD"; echo "(cdk $*: synthesised by test/support/readme-cdk.ts)";
  elif [ "$1" = cdk ] && [ "$2" = bootstrap ]; then
    [ -x node_modules/.bin/cdk ] && echo "(cdk bootstrap: needs an AWS account; the cdk CLI is installed)";
  elif [ "$1" = cdk ]; then echo "this check knows cdk deploy and cdk bootstrap, not cdk $2" >&2; return 1;
  else command npx "$@"; fi
}
# The AWS CLI answers what a describe-table would (the stream ARN of a kept table).
aws() { echo "arn:aws:dynamodb:eu-west-1:123456789012:table/placeholder/stream/2030-01-01T00:00:00.000"; }
export VEXILLA_PARSE_ONLY=1
`;

interface AwsCheck {
  code: number | null;
  output: string;
  /** Each `cdk deploy` the block ran, synthesised: its stacks, or why it failed. */
  deploys: { args: string[]; stacks?: string[]; error?: string }[];
}

/**
 * Runs every `not-run:aws` block, then synthesises all their `cdk deploy` commands in one process
 * (loading the CDK once instead of once per command: about 40 s of CPU less). Each block's test
 * asserts its own result.
 */
async function runAwsChecks(awsBlocks: Block[]): Promise<Map<Block, AwsCheck>> {
  const records = await mkdtemp(join(tmpdir(), 'vexilla-readme-cdk-'));
  const checks = new Map<Block, AwsCheck>();
  const recordOf = new Map<Block, string>();
  for (const [index, block] of awsBlocks.entries()) {
    const record = join(records, `block-${index}`);
    await writeFile(record, '');
    recordOf.set(block, record);
    const script = `${AWS_CHECK}\n${typed(block.code).replaceAll(/<[^<>\n]+>/g, 'placeholder')}`;
    checks.set(block, { ...(await runBash(script, { CDK_RECORD: record })), deploys: [] });
  }
  // Bundled (as the CLI and `npm run dev` are), not run through tsx: tsx's hooks on each of the
  // hundreds of modules aws-cdk-lib loads tripled the program's CPU (about 9 s against 3).
  const program = await cachedBundle({
    root: copy,
    name: 'vexilla-readme-cdk',
    launcher: join(copy, 'test/e2e/readme.test.ts'),
    entry: 'test/support/readme-cdk.ts',
    options: { packages: 'external' },
  });
  const synth = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [program, ...recordOf.values()], { cwd: copy, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  const reports = new Map(
    synth.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { record: string; commands: AwsCheck['deploys'] })
      .map((report) => [report.record, report.commands]),
  );
  for (const [block, check] of checks) {
    const deploys = reports.get(recordOf.get(block) as string);
    if (deploys) check.deploys = deploys;
    else check.deploys = [{ args: [], error: `the synthesis did not report on this block (exit ${synth.code}):\n${synth.stderr}` }];
  }
  await rm(records, { recursive: true, force: true });
  return checks;
}
let awsChecks: Promise<Map<Block, AwsCheck>>;

const markdown = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
const blocks = readmeBlocks(markdown);

describe('README.md, executed', () => {
  it('has shell blocks to run, each marked the way this test knows', () => {
    expect(blocks.filter((block) => block.kind === 'run').length).toBeGreaterThan(3);
    expect(blocks.some((block) => block.kind === 'background' && /npm run dev/.test(block.code))).toBe(true);
  });

  it('`npm run build` is what the README says: build:sdk, build:dashboard and build:elements', async () => {
    // Their commands chained, not `npm run` each: every nested npm start cost about 0.7 s of CPU.
    const { scripts } = JSON.parse(await readFile(join(copy, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.build).toBe(['build:sdk', 'build:dashboard', 'build:elements'].map((name) => scripts[name]).join(' && '));
    expect(markdown).toMatch(/\| `npm run build` \| builds what ships: `build:sdk` .*`build:dashboard` .*`build:elements`/);
  });

  it('`npx vexilla` runs this package\'s bin (what the blocks below run for it)', async () => {
    const { code, output } = await runBash(`${JSON.stringify(realNpx)} vexilla --version`);
    expect(code, output).toBe(0);
    const { version } = JSON.parse(await readFile(join(copy, 'package.json'), 'utf8')) as { version: string };
    expect(output.split('\n').map((line) => line.trim())).toContain(version);
  });

  for (const block of blocks) {
    const title = `line ${block.line} (${block.kind}): ${block.code.split('\n').find((l) => l.trim() && !l.startsWith('#'))?.trim()}`;
    it(title, async () => {
      if (block.kind === 'not-run:self') {
        const { scripts } = JSON.parse(await readFile(join(copy, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
        for (const [, script] of block.code.matchAll(/^npm (?:run )?(\w[\w:-]*)/gm)) {
          if (script !== 'ci' && script !== 'install') expect(scripts, `npm ${script}`).toHaveProperty(script as string);
        }
        return;
      }
      if (block.kind === 'not-run:unpublished') {
        const ours = JSON.parse(await readFile(join(copy, 'sdk/package.json'), 'utf8')).name as string;
        const named = [...block.code.matchAll(/^npm install (\S+)/gm)].map((match) => match[1]);
        expect(named.length).toBeGreaterThan(0);
        for (const name of named) expect(name).toBe(ours);
        return;
      }
      if (block.kind === 'background') {
        const port = /npm run dev/.test(block.code) ? ports.api : ports.receiver;
        const child = spawn('bash', ['-c', typed(block.code)], { cwd: copy, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
        let output = '';
        child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
        background.push({ block, child, output: () => output });
        await expect.poll(() => (child.exitCode !== null ? `exited ${child.exitCode}: ${output}` : output.includes(block.ready ?? '')), { timeout: 300_000, interval: 200 }).toBe(true);
        return;
      }
      if (block.kind === 'not-run:aws') {
        const check = (await awsChecks).get(block) as AwsCheck;
        expect(check.code, `README.md line ${block.line} failed:\n${check.output}`).toBe(0);
        expect(check.deploys, `README.md line ${block.line}: one synthesis per npx cdk deploy`).toHaveLength(block.code.match(/npx cdk deploy/g)?.length ?? 0);
        for (const deploy of check.deploys) expect(deploy.error, `README.md line ${block.line}: cdk ${deploy.args.join(' ')}`).toBeUndefined();
        for (const deploy of check.deploys) expect(deploy.stacks?.length).toBeGreaterThan(0);
        return;
      }
      const script = typed(block.code);
      const { code, output } = await runBash(script);
      expect(code, `README.md line ${block.line} failed:\n${output}`).toBe(0);
      // What a reader of these blocks is promised, beyond "it ran".
      if (block.code.includes('--on --wait')) expect(output).toContain('"key":"new_checkout","value":true');
      if (/^npm run build\b/m.test(block.code)) {
        // The page the block greps is the built dashboard (the not-built notice has the same title),
        // its script is served, and the SDK's package was built too.
        const page = await (await fetch(`http://localhost:${ports.api}/`)).text();
        const script = /<script type="module"[^>]* src="(\/assets\/[^"]+\.js)"/.exec(page)?.[1];
        expect(script, page).toBeDefined();
        expect((await fetch(`http://localhost:${ports.api}${script}`)).status).toBe(200);
        await expect(readFile(join(copy, 'sdk/dist/esm/sdk/index.d.ts'), 'utf8')).resolves.toContain('createClient');
      }
      if (block.code.includes('webhooks deliveries')) {
        expect(output).toMatch(/delivered/);
        const receiver = background.find(({ block: b }) => b.code.includes('webhook-receiver'));
        await expect.poll(() => receiver?.output() ?? '').toContain('verified feature-state.changed updated');
      }
    });
  }
});
