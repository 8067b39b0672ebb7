import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classArchive, type Training } from '../../functions/local/dynamodb-local-cds.js';
import { formatManifest, parseManifest, readManifest } from '../../functions/local/jar-manifest.js';
import { jar } from '../support/jar-fixture.js';
import { until } from '../support/until.js';

/** A training run held until `finish` is called: it then writes the archive Java would have written (or fails). */
function heldTraining() {
  const runs: { jar: string; options: string[] }[] = [];
  let finish: (clean: boolean) => void = () => undefined;
  const training: Training = {
    run: (trainingJar, options) => {
      runs.push({ jar: trainingJar, options });
      return new Promise<boolean>((resolve) => {
        finish = (clean) => {
          const target = options.find((option) => option.startsWith('-XX:ArchiveClassesAtExit='))?.split('=')[1];
          if (clean && target) writeFileSync(target, 'archive');
          resolve(clean);
        };
      });
    },
  };
  return { training, runs, finish: (clean: boolean) => finish(clean) };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vexilla-cds-'));
  const manifest = formatManifest([
    ['Manifest-Version', '1.0'],
    ['Main-Class', 'com.example.Main'],
    ['Class-Path', '. DynamoDBLocal_lib/one.jar DynamoDBLocal_lib/native.so'],
  ]);
  writeFileSync(join(dir, 'DynamoDBLocal.jar'), jar([{ name: 'META-INF/MANIFEST.MF', data: Buffer.from(manifest), deflate: true }]));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("DynamoDB Local's class archive", () => {
  it('is made in the background: no start waits for it, and every start after it uses it', async () => {
    const held = heldTraining();
    // The first start finds none, starts the training, and starts without an archive at once
    // (the training is still held here); so does a start while it runs.
    expect(await classArchive(dir, 'DynamoDBLocal.jar', 'identity', held.training)).toBeUndefined();
    await until(() => held.runs.length === 1, 'the training to start');
    expect(await classArchive(dir, 'DynamoDBLocal.jar', 'identity', held.training)).toBeUndefined();
    expect(held.runs).toHaveLength(1);
    // It trains on a copy of the jar whose class path names only jars (Java 17 refuses a directory).
    const classPath = parseManifest(readManifest(readFileSync(held.runs[0]!.jar))).find(([name]) => name === 'Class-Path')?.[1];
    expect(classPath).toBe('DynamoDBLocal_lib/one.jar');

    held.finish(true);
    await until(() => !existsSync(join(dir, `${archiveName(held.runs[0]!.options)}.lock`)), 'the training to end');
    const archive = await classArchive(dir, 'DynamoDBLocal.jar', 'identity', held.training);
    expect(archive).toEqual({ jar: held.runs[0]!.jar, archive: join(dir, archiveName(held.runs[0]!.options)) });
    expect(readFileSync(archive!.archive, 'utf8')).toBe('archive');
    expect(held.runs).toHaveLength(1);
  });

  it('is waited for by a caller about to start several emulators, whether it trains or another does', async () => {
    const held = heldTraining();
    let settled = 0;
    const trainer = classArchive(dir, 'DynamoDBLocal.jar', 'identity', held.training, { wait: true }).finally(() => settled++);
    await until(() => held.runs.length === 1, 'the training to start');
    // Another caller finds the lock (held by a live process, this one) and waits for it too.
    const waiter = classArchive(dir, 'DynamoDBLocal.jar', 'identity', held.training, { wait: true }).finally(() => settled++);
    // Its answer once the training ended, not the undefined of a start that does not wait.
    expect(await classArchive(dir, 'DynamoDBLocal.jar', 'identity', held.training)).toBeUndefined();
    expect(settled).toBe(0);
    held.finish(true);
    const expected = { jar: held.runs[0]!.jar, archive: join(dir, archiveName(held.runs[0]!.options)) };
    expect(await trainer).toEqual(expected);
    expect(await waiter).toEqual(expected);
    expect(held.runs).toHaveLength(1);
  });

  it('remembers a failed training and never trains again', async () => {
    const held = heldTraining();
    expect(await classArchive(dir, 'DynamoDBLocal.jar', 'identity', held.training)).toBeUndefined();
    await until(() => held.runs.length === 1, 'the training to start');
    held.finish(false);
    const failed = join(dir, `${archiveName(held.runs[0]!.options)}.failed`);
    await until(() => existsSync(failed) && !existsSync(join(dir, `${archiveName(held.runs[0]!.options)}.lock`)), 'the failure to be remembered');
    expect(await classArchive(dir, 'DynamoDBLocal.jar', 'identity', held.training)).toBeUndefined();
    expect(held.runs).toHaveLength(1);
  });

  it("clears the lock of a training whose process is gone, so the next start trains", async () => {
    const held = heldTraining();
    expect(await classArchive(dir, 'DynamoDBLocal.jar', 'identity', held.training)).toBeUndefined();
    await until(() => held.runs.length === 1, 'the training to start');
    const name = archiveName(held.runs[0]!.options);
    held.finish(true);
    // The training has ended once its lock is gone too: it removes the lock after the archive is
    // in place, and removing it later would take the stale lock below with it.
    await until(() => existsSync(join(dir, name)) && !existsSync(join(dir, `${name}.lock`)), 'the training to end');
    rmSync(join(dir, name));
    // A training cut short: its process (a pid no process has) left its lock behind.
    writeFileSync(join(dir, `${name}.lock`), '2147483646');
    expect(await classArchive(dir, 'DynamoDBLocal.jar', 'identity', held.training)).toBeUndefined();
    expect(existsSync(join(dir, `${name}.lock`))).toBe(false);
    expect(await classArchive(dir, 'DynamoDBLocal.jar', 'identity', held.training)).toBeUndefined();
    await until(() => held.runs.length === 2, 'the second training to start');
    held.finish(true);
    await until(() => existsSync(join(dir, name)), 'the archive made again');
  });
});

/** The archive's file name, from the option the training was given (`<name>.<pid>.tmp`). */
function archiveName(options: string[]): string {
  const target = options.find((option) => option.startsWith('-XX:ArchiveClassesAtExit='))!.split('=')[1]!;
  return target.slice(target.lastIndexOf('/') + 1).replace(/\.\d+\.tmp$/, '');
}
