import { describe, expect, it } from 'vitest';
import { launchersOf } from '../../functions/local/launcher-watch.js';

const table = (rows: [number, number, string][]) => new Map(rows.map(([pid, ppid, command]) => [pid, { ppid, command }]));

describe('the launchers the dev process watches', () => {
  it('are its ancestors up to npm when `npm run dev` started it: npm and its shell', () => {
    const processes = table([
      [1, 0, 'init'],
      [100, 1, '-bash'],
      [200, 100, 'npm run dev --in-memory'],
      [300, 200, 'sh -c node functions/local/dev.mjs --in-memory'],
      [400, 300, 'node functions/local/dev.mjs --in-memory'],
    ]);
    expect(launchersOf(processes, 400).map((launcher) => launcher.pid)).toEqual([300, 200]);
  });

  it('stop at npx too, and never include the shell that ran npm (it may exit and leave npm running)', () => {
    const processes = table([
      [100, 1, 'bash -c npx tsx functions/local/dev.ts &'],
      [200, 100, 'npm exec tsx functions/local/dev.ts'],
      [300, 200, 'sh -c tsx functions/local/dev.ts'],
      [400, 300, 'node tsx/dist/cli.mjs functions/local/dev.ts'],
      [500, 400, 'node dev.ts'],
    ]);
    expect(launchersOf(processes, 500).map((launcher) => launcher.pid)).toEqual([400, 300, 200]);
  });

  it('are the parent alone without npm (tsx run directly, or a test), and never pid 1', () => {
    const processes = table([
      [100, 1, 'node vitest'],
      [400, 100, 'node tsx/dist/cli.mjs functions/local/dev.ts'],
      [500, 400, 'node dev.ts'],
      [600, 1, 'node dev.ts'],
    ]);
    expect(launchersOf(processes, 500).map((launcher) => launcher.pid)).toEqual([400]);
    expect(launchersOf(processes, 600)).toEqual([]);
  });
});
