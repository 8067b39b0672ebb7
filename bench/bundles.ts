/**
 * Lambda bundles: for each function, the bundle as shipped (lib/bundling.ts) against the bundle as
 * it was before the trim (source maps beside it and `--enable-source-maps`, the SDK's full
 * credential chain): bytes, zipped bytes and module init time in a fresh Node process, which is
 * what a cold start pays before the handler runs.
 *
 * VEXILLA_BENCH_BEFORE_ROOT=<checkout> builds the "before" side from another checkout (e.g. the
 * commit before the trim, to count its zod locales too); by default it is this tree.
 * Init time is the minimum and the median of RUNS fresh processes: the minimum is what the code
 * costs, the median what this (shared, busy) machine gave. Reported, never asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { lambdaEsbuildOptions, REQUIRE_BANNER } from '../lib/bundling.js';
import { allFunctionNames, type FunctionName, functionSettings } from '../lib/functions.js';

const RUNS = Number(process.env.VEXILLA_BENCH_INIT_RUNS ?? 15);
const root = process.cwd();
const beforeRoot = process.env.VEXILLA_BENCH_BEFORE_ROOT ?? root;
const out = join(root, 'node_modules/.cache/vexilla-bench/bundles');

/** The NodejsFunction bundling of commit 545927d, as esbuild options. */
const before: BuildOptions = { format: 'esm', platform: 'node', target: 'node22', mainFields: ['module', 'main'], banner: { js: REQUIRE_BANNER }, minify: true, sourcemap: true, sourcesContent: false };
const after = lambdaEsbuildOptions({ sourceMaps: false }) as unknown as BuildOptions;

interface Figures {
  bytes: number;
  mapBytes: number;
  zipBytes: number;
  initMin: number;
  initMedian: number;
  /** CPU time (user + system) of the import: what the init costs, whatever else the machine runs. */
  cpuMin: number;
}

async function measure(name: FunctionName, side: 'before' | 'after'): Promise<Figures> {
  const dir = join(out, side, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const from = side === 'before' ? beforeRoot : root;
  await build({ ...(side === 'before' ? before : after), absWorkingDir: from, entryPoints: [join(from, functionSettings[name].entry)], bundle: true, outfile: join(dir, 'index.mjs'), logLevel: 'error' });
  // The asset Lambda receives: every file of the bundle's folder, zipped.
  const zip = join(out, side, `${name}.zip`);
  rmSync(zip, { force: true });
  spawnSync('zip', ['-q', '-r', '-9', zip, '.'], { cwd: dir });
  const mapBytes = side === 'before' ? statSync(join(dir, 'index.mjs.map')).size : 0;
  const flags = side === 'before' ? ['--enable-source-maps'] : [];
  const probe = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(pathToFileURL(join(dir, 'index.mjs')).href)}); const w = performance.now() - t; const u = process.cpuUsage(c); process.stdout.write(w + ' ' + (u.user + u.system) / 1000);`;
  const times: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const result = spawnSync(process.execPath, [...flags, '--input-type=module', '-e', probe], {
      env: { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', TABLE_NAME: 'bench', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`${name} (${side}) failed to load: ${result.stderr}`);
    const [wall, cpuMs] = result.stdout.split(' ').map(Number);
    times.push(wall!);
    cpu.push(cpuMs!);
  }
  times.sort((a, b) => a - b);
  return { bytes: statSync(join(dir, 'index.mjs')).size, mapBytes, zipBytes: statSync(zip).size, initMin: times[0]!, initMedian: times[Math.floor(times.length / 2)]!, cpuMin: Math.min(...cpu) };
}

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;

export async function runBundlesBench(): Promise<void> {
  console.log(`\n## Lambda bundles: shipped vs before the trim (init: wall min / median, and CPU min, of ${RUNS} fresh processes)`);
  if (beforeRoot !== root) console.log(`before: built from ${beforeRoot}`);
  console.log('| function | bundle before | bundle now | + map before | zipped before | zipped now | init before | init now | init CPU before | init CPU now |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const name of allFunctionNames()) {
    const was = await measure(name, 'before');
    const now = await measure(name, 'after');
    console.log(
      `| ${name} | ${kb(was.bytes)} | ${kb(now.bytes)} | ${kb(was.mapBytes)} | ${kb(was.zipBytes)} | ${kb(now.zipBytes)} | ${ms(was.initMin)} / ${ms(was.initMedian)} | ${ms(now.initMin)} / ${ms(now.initMedian)} | ${ms(was.cpuMin)} | ${ms(now.cpuMin)} |`,
    );
  }
  // The largest inputs of the sdk-api bundle: what is left to trim.
  const meta = await build({ ...after, absWorkingDir: root, entryPoints: [join(root, functionSettings['sdk-api'].entry)], bundle: true, write: false, metafile: true, outfile: join(out, 'meta.mjs'), logLevel: 'error' });
  const inputs = Object.values(meta.metafile.outputs)[0]!.inputs;
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(inputs)) {
    const key = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? 'vexilla code';
    byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
  }
  const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(`sdk-api bundle by package: ${top.map(([key, bytes]) => `${key} ${kb(bytes)}`).join(', ')}`);
}
