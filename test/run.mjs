#!/usr/bin/env node
/**
 * `npm test`: the type check and every test tier, at the same time. The type check alone keeps
 * about one of this machine's two cores busy for ~15 s, and vitest's start (building the
 * dashboard, starting emulators and `npm run dev`) waits on I/O: run one after the other, that
 * was idle CPU on the way to the first test. The type check's output is held and printed when
 * it ends, so it never interleaves with vitest's; either one failing fails the run.
 * Arguments go to vitest (`npm test -- test/unit` runs the type check and that tier).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

const children = new Set();
// A Ctrl-C reaches the terminal's whole process group, both commands included: this process only
// waits for them to end. A SIGTERM or SIGHUP sent to this process alone is passed on to both.
process.on('SIGINT', () => {});
for (const signal of ['SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    for (const child of children) child.kill(signal);
  });
}

/** Runs a command to its end: its exit code (1 when a signal ended it) and, when held, its output. */
function run(command, args, { hold = false } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: hold ? ['ignore', 'pipe', 'pipe'] : 'inherit' });
    children.add(child);
    child.on('exit', () => children.delete(child));
    const output = [];
    child.stdout?.on('data', (chunk) => output.push(chunk));
    child.stderr?.on('data', (chunk) => output.push(chunk));
    child.on('error', (error) => {
      output.push(Buffer.from(`${command}: ${error.message}\n`));
      resolve({ code: 1, output: Buffer.concat(output).toString() });
    });
    child.on('close', (code) => resolve({ code: code ?? 1, output: Buffer.concat(output).toString() }));
  });
}

// On one thread: beside the tests its wall time costs nothing, and its parallel checkers' work
// cost about a third more CPU (15 -> 11 s for the main project on this machine).
const tsc = ['node_modules/typescript-native/bin/tsc', '--noEmit', '--singleThreaded'];
const typecheck = (async () => {
  const started = Date.now();
  for (const args of [tsc, [...tsc, '-p', 'dashboard']]) {
    const result = await run(process.execPath, args, { hold: true });
    if (result.code !== 0) return { ...result, seconds: (Date.now() - started) / 1000, failed: args.join(' ') };
  }
  return { code: 0, output: '', seconds: (Date.now() - started) / 1000 };
})();
const tests = run(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...process.argv.slice(2)]);

const [checked, { code }] = await Promise.all([typecheck, tests]);
if (checked.code === 0) console.log(`Type check passed (${checked.seconds.toFixed(1)} s, alongside the tests).`);
else process.stderr.write(`\n${checked.output}\nType check FAILED (${checked.failed}): \`npm test\` fails.\n`);
process.exitCode = checked.code !== 0 ? checked.code : code;
