/**
 * Lambda bundles: for each function, the bundle as shipped (lib/bundling.ts: split ESM, re2js and
 * json-p3 in chunks loaded on demand, only the zod schemas the function's code reads) against the
 * one-file bundle shipped before (the same trims: minified ESM, only zod's English locale, the
 * credential chain cut, no source map; but one file, and every schema a reached module declares
 * built at load): bytes a cold start loads, bytes of the whole asset, zipped bytes, and module
 * init time in a fresh Node process, which is what a cold start pays before the handler runs.
 *
 * Then the floor under the sdk-api's init, measured the same way: an empty handler (Node's own
 * ESM loading), and handlers that only import what every first request needs (the AWS SDK's
 * DynamoDB document client, which the other functions use; the lean client the sdk-api uses; and
 * the engine with its zod schemas).
 *
 * The sdk-api's cold start also pays its first request: on DynamoDB Local seeded with the SDK API
 * benchmark's environment (200 features, 30 segments), each fresh process then serves
 * `GET /api/v1/flags/` (the key, the snapshot's reads, evaluation), and the CPU of init and that
 * request together is reported too, so cost moved from init to the first request shows.
 *
 * Init time is the minimum and the median of RUNS fresh processes: the minimum is what the code
 * costs, the median what this (shared, busy) machine gave; CPU time (user + system) is what the
 * init costs whatever else the machine runs. Reported, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { buildFunctionBundle, filesLoadedAtInit, lambdaEsbuildOptions } from '../lib/bundling.js';
import { allFunctionNames, type FunctionName, functionSettings } from '../lib/functions.js';
import { event } from './sdk-api.js';
import { withSeededEnvironment } from './stack.js';

const RUNS = Number(process.env.VEXILLA_BENCH_INIT_RUNS ?? 15);
const root = process.cwd();
const out = join(root, 'node_modules/.cache/vexilla-bench/bundles');

interface Figures {
  /** What a cold start imports: the entry and the chunks it imports statically. */
  initBytes: number;
  /** The whole asset (chunks loaded on demand included). */
  bytes: number;
  zipBytes: number;
  initMin: number;
  initMedian: number;
  cpuMin: number;
  /** CPU of init and the first request together (the sdk-api), min of RUNS. */
  firstRequestCpuMin?: number;
}

/** A first request to serve after init: the handler's event and the environment reaching DynamoDB Local. */
interface FirstRequest {
  event: unknown;
  env: Record<string, string>;
}

/** The one-file bundle shipped before, built from this tree: the same options, no splitting, no plugins (no lazy libraries, every declared schema kept). */
async function buildOneFile(entry: string, dir: string): Promise<Metafile> {
  const options = { ...lambdaEsbuildOptions({ sourceMaps: false, projectRoot: root }), splitting: false, plugins: [] };
  return (await build({ ...options, entryPoints: [join(root, entry)], outdir: dir, metafile: true })).metafile;
}

const sizeOf = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => sum + (entry.isDirectory() ? sizeOf(join(entry.parentPath, entry.name)) : statSync(join(entry.parentPath, entry.name)).size), 0);

async function measure(name: FunctionName, side: 'one-file' | 'split', first?: FirstRequest): Promise<Figures> {
  return measureEntry(functionSettings[name].entry, name, side, first);
}

async function measureEntry(entry: string, name: string, side: 'one-file' | 'split', first?: FirstRequest): Promise<Figures> {
  const dir = join(out, side, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const metafile = side === 'split' ? await buildFunctionBundle(entry, dir, { sourceMaps: false, projectRoot: root }) : await buildOneFile(entry, dir);
  const initBytes = filesLoadedAtInit(metafile).reduce((sum, path) => sum + metafile.outputs[path]!.bytes, 0);
  // The asset Lambda receives: every file of the bundle's folder, zipped.
  const zip = join(out, side, `${name}.zip`);
  rmSync(zip, { force: true });
  spawnSync('zip', ['-q', '-r', '-9', zip, '.'], { cwd: dir });
  const firstRequest = first
    ? `const r = await m.handler(${JSON.stringify(first.event)}, { functionName: 'bench', awsRequestId: 'r', getRemainingTimeInMillis: () => 5000 }); if (r.statusCode !== 200) throw new Error(r.statusCode + ' ' + r.body); const f = process.cpuUsage(c); process.stdout.write(' ' + (f.user + f.system) / 1000);`
    : '';
  const probe = `const c = process.cpuUsage(); const t = performance.now(); const m = await import(${JSON.stringify(pathToFileURL(join(dir, 'index.mjs')).href)}); const w = performance.now() - t; const u = process.cpuUsage(c); process.stdout.write(w + ' ' + (u.user + u.system) / 1000); ${firstRequest}`;
  const times: number[] = [];
  const cpu: number[] = [];
  const firstCpu: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', TABLE_NAME: 'bench', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', ...first?.env },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`${name} (${side}) failed to load: ${result.stderr}`);
    const [wall, cpuMs, firstMs] = result.stdout.split(' ').map(Number);
    times.push(wall!);
    cpu.push(cpuMs!);
    if (firstMs !== undefined) firstCpu.push(firstMs);
  }
  times.sort((a, b) => a - b);
  return {
    initBytes,
    bytes: sizeOf(dir),
    zipBytes: statSync(zip).size,
    initMin: times[0]!,
    initMedian: times[Math.floor(times.length / 2)]!,
    cpuMin: Math.min(...cpu),
    ...(firstCpu.length ? { firstRequestCpuMin: Math.min(...firstCpu) } : {}),
  };
}

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

/** The sdk-api's first request after init: `GET /api/v1/flags/` on the seeded environment. */
async function withSdkApiFirstRequest(run: (first: FirstRequest) => Promise<void>): Promise<void> {
  await withSeededEnvironment(async ({ clientKey, endpoint, tableName }) =>
    run({
      event: event('getEnvironmentFlags', { 'x-environment-key': clientKey }),
      env: { TABLE_NAME: tableName, AWS_ENDPOINT_URL_DYNAMODB: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
    }),
  );
}

export async function runBundlesBench(): Promise<void> {
  const only = process.env.VEXILLA_BENCH_FUNCTIONS?.split(',');
  const names = allFunctionNames().filter((candidate) => !only || only.includes(candidate));
  console.log(`\n## Lambda bundles: one file, every declared schema built (before) vs split, only the schemas used (shipped); init: wall min / median, and CPU min, of ${RUNS} fresh processes; sdk-api: CPU of init + its first request (GET /api/v1/flags/, 200 features, 30 segments, DynamoDB Local)`);
  console.log('| function | loaded at init: one file → split | whole asset: one file → split | zipped: one file → split | init wall: one file → split | init CPU: one file → split | init + first request CPU: one file → split |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  const row = async (name: FunctionName, first?: FirstRequest) => {
    const was = await measure(name, 'one-file', first);
    const now = await measure(name, 'split', first);
    const firstCpu = first ? `${ms(was.firstRequestCpuMin!)} → ${ms(now.firstRequestCpuMin!)}` : '';
    console.log(
      `| ${name} | ${kb(was.initBytes)} → ${kb(now.initBytes)} | ${kb(was.bytes)} → ${kb(now.bytes)} | ${kb(was.zipBytes)} → ${kb(now.zipBytes)} | ${ms(was.initMin)} / ${ms(was.initMedian)} → ${ms(now.initMin)} / ${ms(now.initMedian)} | ${ms(was.cpuMin)} → ${ms(now.cpuMin)} | ${firstCpu} |`,
    );
  };
  for (const name of names) {
    if (name === 'sdk-api') await withSdkApiFirstRequest((first) => row(name, first));
    else await row(name);
  }
  // What a cold start of the sdk-api loads, by package: what is left to trim.
  const dir = join(out, 'split', 'sdk-api-meta');
  rmSync(dir, { recursive: true, force: true });
  const metafile = await buildFunctionBundle(functionSettings['sdk-api'].entry, dir, { sourceMaps: false, projectRoot: root });
  const byPackage = new Map<string, number>();
  for (const path of filesLoadedAtInit(metafile)) {
    for (const [input, { bytesInOutput }] of Object.entries(metafile.outputs[path]!.inputs)) {
      const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? 'vexilla code';
      byPackage.set(key, (byPackage.get(key) ?? 0) + bytesInOutput);
    }
  }
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(`sdk-api, loaded at init, by package: ${top.map(([key, bytes]) => `${key} ${kb(bytes)}`).join(', ')}`);
  const onDemand = Object.entries(metafile.outputs).filter(([path]) => !filesLoadedAtInit(metafile).includes(path) && !path.endsWith('.map'));
  console.log(`sdk-api, loaded on demand: ${onDemand.map(([path, output]) => `${relative(dir, join(root, path))} ${kb(output.bytes)}`).join(', ')}`);

  // The floor: what an sdk-api init cannot go below on this machine.
  const floors: [string, string][] = [
    ['empty handler', 'export const handler = async () => ({ statusCode: 204 });'],
    [
      'DynamoDB document client',
      `import { documentClient } from '../../../../../functions/shared/dynamodb.js';\nlet client;\nexport const handler = async () => { client ??= documentClient(); return { statusCode: 204 }; };`,
    ],
    [
      'lean DynamoDB client + store (the sdk-api\'s)',
      `import { leanDocumentTable } from '../../../../../functions/data/lean-dynamodb.js';\nimport { TableStore } from '../../../../../functions/data/table-store.js';\nexport const handler = async () => ({ statusCode: 204, body: String([TableStore, leanDocumentTable].length) });`,
    ],
    ['engine (zod)', `import { createEvaluator } from '../../../../../functions/engine/index.js';\nexport const handler = async () => ({ statusCode: 204, body: String(createEvaluator.length) });`],
    [
      'DynamoDB client + engine (zod)',
      `import { documentClient } from '../../../../../functions/shared/dynamodb.js';\nimport { createEvaluator } from '../../../../../functions/engine/index.js';\nexport const handler = async () => ({ statusCode: 204, body: String([documentClient, createEvaluator].length) });`,
    ],
  ];
  console.log(`\n## The floor under an init: handlers that load only this, bundled and measured the same way`);
  console.log('| handler loads | loaded at init | init wall min / median | init CPU min |');
  console.log('| --- | --- | --- | --- |');
  const entries = join(out, 'floor-entries');
  mkdirSync(entries, { recursive: true });
  for (const [label, code] of floors) {
    const slug = label.replace(/[^a-z]+/gi, '-').toLowerCase();
    writeFileSync(join(entries, `${slug}.ts`), code);
    const figures = await measureEntry(relative(root, join(entries, `${slug}.ts`)), `floor-${slug}`, 'split');
    console.log(`| ${label} | ${kb(figures.initBytes)} | ${ms(figures.initMin)} / ${ms(figures.initMedian)} | ${ms(figures.cpuMin)} |`);
  }
}
