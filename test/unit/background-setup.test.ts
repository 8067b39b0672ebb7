import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settleInto, setupValue } from '../support/background-setup.js';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vexilla-background-setup-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A start the test settles when it chooses. */
function heldStart<T>() {
  let settle: { resolve(value: T): void; reject(error: Error): void } | undefined;
  const start = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  return { start, resolve: (value: T) => settle?.resolve(value), reject: (error: Error) => settle?.reject(error) };
}

describe('a setup started in the background', () => {
  it("is waited for by a file that starts before it is up, which then reads it synchronously", async () => {
    const file = join(dir, 'stack.json');
    const held = heldStart<{ apiUrl: string }>();
    const written = settleInto(file, held.start);
    const stack = setupValue<{ apiUrl: string }>(() => file, 'the stack', 'run it in its project');
    expect(() => stack.get()).toThrow('the stack is not ready here: run it in its project');
    const waiting = stack.wait();
    held.resolve({ apiUrl: 'http://127.0.0.1:4000' });
    await written;
    expect(await waiting).toEqual({ apiUrl: 'http://127.0.0.1:4000' });
    expect(stack.get()).toEqual({ apiUrl: 'http://127.0.0.1:4000' });
    // Written whole, then renamed into place: no temporary file left beside it.
    expect(readdirSync(dir)).toEqual(['stack.json']);
  });

  it("fails the files that need it with the start's own error", async () => {
    const file = join(dir, 'endpoints.json');
    const held = heldStart<string[]>();
    const written = settleInto(file, held.start);
    held.reject(new Error('Java was not found or failed to run'));
    await expect(written).resolves.toBeUndefined();
    const emulators = setupValue<string[]>(() => file, "the integration tests' DynamoDB Local", 'in an integration project');
    await expect(emulators.wait()).rejects.toThrow(/the integration tests' DynamoDB Local did not start:\nError: Java was not found or failed to run/);
    expect(() => emulators.get()).toThrow('is not ready here');
  });
});
