/**
 * A class data sharing archive for DynamoDB Local (Java's AppCDS): the classes it loads to start
 * and to serve the usual calls, parsed and verified once and then mapped from a file by every
 * later start. Measured on the 2-core machine: Java's CPU to start and create a table 2.9-4.2 s
 * -> 1.6-2.2 s, on every `npm run dev` and every test run's emulator.
 *
 * Java 17 refuses an archive whose class path holds a non-empty directory, and the jar's manifest
 * puts its own directory (".") and the native libraries on it. So the archive goes with a copy of
 * the jar whose Class-Path names only its jars (jar-manifest.ts); nothing DynamoDB Local loads
 * comes from those entries (its log4j2.xml is inside the jar, the native libraries come through
 * java.library.path).
 *
 * The archive is made once per emulator version, Java and JVM options, by a training run
 * (-XX:ArchiveClassesAtExit: start, a few calls of each kind, stop). Whoever finds no archive
 * starts making it and, like everyone until it exists, starts without one: no start waits for a
 * training (on a fresh clone the first `npm run dev` started ~7 s later when it did). Only a
 * caller about to start several at once waits for it (prepareDynamoDbLocal). A failure is
 * remembered and never costs a start again; a training cut short by its process's exit leaves a
 * lock whose process is gone, which the next start clears. Java checks the archive when it maps
 * it and ignores one it cannot use.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rewriteManifest, formatManifest, parseManifest } from './jar-manifest.js';
import { alive } from './launcher-watch.js';

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

export interface ClassArchive {
  /** The copy of DynamoDBLocal.jar to run with the archive. */
  jar: string;
  /** The archive, for -XX:SharedArchiveFile. */
  archive: string;
}

export interface Training {
  /** Runs DynamoDB Local from `jar` with these extra JVM options, calls it, and stops it; resolves true if it exited cleanly. */
  run(jar: string, jvmOptions: string[]): Promise<boolean>;
}

const CDS_JAR = 'DynamoDBLocal-cds.jar';

/** The copy of the jar whose Class-Path holds only jars (made once; same directory, so its relative entries resolve). */
async function cdsJar(emulatorDir: string, jarName: string): Promise<string> {
  const target = join(emulatorDir, CDS_JAR);
  if (await exists(target)) return target;
  const rewritten = rewriteManifest(await readFile(join(emulatorDir, jarName)), (text) =>
    formatManifest(
      parseManifest(text).map(([name, value]) => [name, name === 'Class-Path' ? value.split(' ').filter((entry) => entry.endsWith('.jar')).join(' ') : value]),
    ),
  );
  const temporary = `${target}.${process.pid}.tmp`;
  await writeFile(temporary, rewritten);
  await rename(temporary, target);
  return target;
}

/**
 * The archive for this emulator, Java and options, if there is one; undefined while it is being
 * made (the first caller to find none starts making it, in the background), or when it cannot be
 * made here.
 */
export async function classArchive(
  emulatorDir: string,
  jarName: string,
  identity: string,
  train: Training,
  options: {
    /**
     * Wait for the archive when it is being made (by this call or another process): for a caller
     * about to start several emulators at once, each of which would otherwise start without it.
     */
    wait?: boolean;
  } = {},
): Promise<ClassArchive | undefined> {
  const key = createHash('sha256').update(identity).digest('hex').slice(0, 16);
  const archive = join(emulatorDir, `DynamoDBLocal-${key}.jsa`);
  const failed = `${archive}.failed`;
  const lock = `${archive}.lock`;
  const jar = join(emulatorDir, CDS_JAR);
  if (await exists(archive)) return { jar, archive };
  if (await exists(failed)) return undefined;

  const made = async () => ((await exists(archive)) ? { jar, archive } : undefined);
  let handle;
  try {
    handle = await open(lock, 'wx');
    await handle.writeFile(String(process.pid));
  } catch {
    // Someone else is making it (or died making it: a lock whose process is gone is cleared).
    for (;;) {
      const owner = Number(await readFile(lock, 'utf8').catch(() => ''));
      const training = owner > 0 && alive(owner);
      if (owner && !training) await rm(lock, { force: true });
      if (!options.wait) return undefined;
      if (!training) return made();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await handle?.close();
  }
  const making = makeArchive(emulatorDir, jarName, archive, train)
    .finally(() => rm(lock, { force: true }))
    .catch(() => undefined);
  if (!options.wait) return undefined;
  await making;
  return made();
}

/** The training run, then the archive in place (or the failure remembered); never rejects. */
async function makeArchive(emulatorDir: string, jarName: string, archive: string, train: Training): Promise<void> {
  const temporary = `${archive}.${process.pid}.tmp`;
  try {
    const trainingJar = await cdsJar(emulatorDir, jarName);
    const clean = await train.run(trainingJar, [`-XX:ArchiveClassesAtExit=${temporary}`]);
    if (!clean || !(await stat(temporary).then((file) => file.size > 0, () => false))) throw new Error('the training run did not exit cleanly with an archive');
    await rename(temporary, archive);
  } catch (error) {
    await writeFile(`${archive}.failed`, `${(error as Error).message}\n`).catch(() => undefined);
  } finally {
    await rm(temporary, { force: true });
  }
}
