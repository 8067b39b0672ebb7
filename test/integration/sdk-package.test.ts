/**
 * @vexilla/sdk as a user gets it: built (`npm run build:sdk`), packed (`npm pack`), installed
 * from the tarball into an empty project, and run there with plain `node` (ESM and CommonJS) and
 * type-checked with `tsc`, against a running API. Its dependencies (the engine's libraries) are
 * installed `--prefer-offline`: from npm's cache, which `npm ci` of this repository filled with
 * the same pinned versions, so this runs without the network; the registry is the fallback.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/dev-process.js';
import { buildRichEnvironment, type RichEnvironment } from '../support/rich-environment.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const exec = promisify(execFile);

let api: TestApi;
let env: RichEnvironment;
let project: string;
let tarball: string;

beforeAll(async () => {
  api = await startTestApi();
  env = await buildRichEnvironment(api);
  project = await mkdtemp(join(tmpdir(), 'vexilla-sdk-consumer-'));
  await exec(process.execPath, [join(REPO_ROOT, 'sdk/build.mjs')], { cwd: REPO_ROOT });
  const npm = process.env.npm_execpath;
  const packed = npm ? await exec(process.execPath, [npm, 'pack', '--pack-destination', project], { cwd: join(REPO_ROOT, 'sdk') }) : await exec('npm', ['pack', '--pack-destination', project], { cwd: join(REPO_ROOT, 'sdk') });
  tarball = join(project, packed.stdout.trim().split('\n').at(-1) as string);
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  const install = ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'];
  await (npm ? exec(process.execPath, [npm, ...install], { cwd: project }) : exec('npm', install, { cwd: project }));
}, 600_000);
afterAll(async () => {
  await api?.close();
  await rm(project, { recursive: true, force: true });
});

// What the packed client reads must not depend on the environment's random hashing key:
// dark_mode is off for a ten-percent split of identities (which one depends on that key), so
// the on/off check reads beta_access, which the rich environment turns on for everyone.
const program = (importLine: string) => `${importLine}
const [apiUrl, environmentKey] = process.argv.slice(2);
const client = createClient({ apiUrl, environmentKey, analytics: false });
const flags = await client.getFlags({ identifier: 'pkg-user', traits: { plan: 'pro' } });
console.log(JSON.stringify({ banner: flags.getString('banner', 'none'), items: flags.getNumber('max_items', 0), beta: flags.isEnabled('beta_access', false) }));
await client.close();
`;

// Each step starts node or tsc: slow on a busy machine, so a long timeout.
describe('@vexilla/sdk, packed and installed', () => {
  it('ships ESM, CommonJS and declarations, and no sources or tests', async () => {
    const { stdout } = await exec('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n');
    expect(files).toEqual(expect.arrayContaining(['package/package.json', 'package/README.md', 'package/dist/esm/sdk/index.js', 'package/dist/cjs/sdk/index.js', 'package/dist/esm/sdk/index.d.ts']));
    expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
    const installed = JSON.parse(await readFile(join(project, 'node_modules/@vexilla/sdk/package.json'), 'utf8'));
    expect(installed.peerDependenciesMeta['@openfeature/server-sdk'].optional).toBe(true);
    // OpenFeature is an optional peer: not installed unless the user wants a provider.
    expect(await readdir(join(project, 'node_modules'))).not.toContain('@openfeature');
  });

  it('runs under plain node as ESM', async () => {
    await writeFile(join(project, 'esm.mjs'), program("import { createClient } from '@vexilla/sdk';"));
    const { stdout } = await exec(process.execPath, ['esm.mjs', api.url, env.clientKey], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({ banner: 'welcome, pro', items: 10, beta: true });
  });

  it('runs under plain node as CommonJS', async () => {
    await writeFile(join(project, 'cjs.cjs'), `(async () => {\n${program("const { createClient } = require('@vexilla/sdk');")}\n})();`);
    const { stdout } = await exec(process.execPath, ['cjs.cjs', api.url, env.clientKey], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({ banner: 'welcome, pro', items: 10, beta: true });
  });

  it('evaluates locally with a server key, with the engine it ships', async () => {
    await writeFile(
      join(project, 'local.mjs'),
      `import { createClient } from '@vexilla/sdk';
const client = createClient({ apiUrl: process.argv[2], environmentKey: process.argv[3], mode: 'local', analytics: false });
const flags = await client.getFlags({ identifier: 'pkg-user', traits: { age: 40, country: 'DE' } });
console.log(JSON.stringify({ items: flags.getNumber('max_items', 0) }));
await client.close();
`,
    );
    const { stdout } = await exec(process.execPath, ['local.mjs', api.url, env.serverKey], { cwd: project });
    expect(JSON.parse(stdout)).toEqual({ items: 50 });
  });

  it('type-checks with tsc: typed flags, and a wrong type is an error', async () => {
    await writeFile(
      join(project, 'check.ts'),
      `import { createClient, type Flags } from '@vexilla/sdk';
interface VexillaFlags { max_items: number | null; banner: string | null; [name: string]: unknown }
const client = createClient<VexillaFlags>({ apiUrl: 'http://localhost', environmentKey: 'key' });
export async function read(): Promise<number> {
  const flags: Flags<VexillaFlags> = await client.getFlags({ identifier: 'u', traits: { plan: 'pro' } });
  const items: number = flags.getNumber('max_items', 10);
  // @ts-expect-error a string default for a number flag
  await client.getValue('max_items', {}, 'ten');
  return items;
}
`,
    );
    // Every declaration file is checked (the SDK's, and zod's it refers to), except TypeScript's
    // own lib files (lib.dom.d.ts and the ES libs: a third of the check, and not ours to prove).
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022', 'dom'], types: [], noEmit: true, skipDefaultLibCheck: true }, files: ['check.ts'] }),
    );
    const result = await exec(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', project]).catch((error: { stdout: string }) => error);
    expect((result as { stdout: string }).stdout).toBe('');
  });

  it('stays small in a browser: the client without the engine under 25 KB minified and gzipped', async () => {
    const sizes = JSON.parse(await readFile(join(REPO_ROOT, 'sdk/dist/sizes.json'), 'utf8')) as { clientWithoutEngine: number; engine: number };
    expect(sizes.clientWithoutEngine).toBeLessThan(25 * 1024);
    expect(sizes.engine).toBeGreaterThan(0);
  });
});
