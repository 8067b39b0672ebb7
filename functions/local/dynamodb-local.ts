/**
 * AWS DynamoDB Local for tests and the local dev stack, without Docker: the jar is provisioned
 * from the npm registry (the `amplify-dynamodb-simulator` tarball ships it under `emulator/`)
 * and run with the machine's Java.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../data/create-table.js';
import { sleep } from '../shared/backoff.js';
import { table } from '../data/table.js';
import { classArchive } from './dynamodb-local-cds.js';

const execFileAsync = promisify(execFile);

/**
 * Pinned source of the emulator. `integrity` is the registry's `dist.integrity` for this version;
 * the tarball is rejected unless it matches, so a republished or tampered tarball cannot slip in.
 * 2.9.30 ships DynamoDB Local 1.25.1 (`java -jar DynamoDBLocal.jar -version`).
 */
export const DYNAMODB_LOCAL_SOURCE = {
  packageName: 'amplify-dynamodb-simulator',
  version: '2.9.30',
  integrity:
    'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==',
} as const;

const MIN_JAVA_MAJOR = 17;
const JAR_NAME = 'DynamoDBLocal.jar';
const LIB_DIR_NAME = 'DynamoDBLocal_lib';
const MARKER_NAME = '.vexilla-provisioned.json';
// Java starts in seconds on a quiet machine; on a loaded one (a shared CI box, a laptop running a build)
// it can take minutes. Waiting is for the answer, not a fixed time: this only bounds a hang.
const STARTUP_TIMEOUT_MS = 180_000;
const STOP_GRACE_MS = 5_000;
const OUTPUT_TAIL_CHARS = 8_000;

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEFAULT_CACHE_DIR = join(REPO_ROOT, '.vexilla', 'cache', 'dynamodb-local');

interface ProvisionMarker {
  packageName: string;
  version: string;
  integrity: string;
}

// Its own module, so code that only needs the settings (a lean client in a browser journey) does
// not load this one's AWS SDK.
import { localDynamoClientConfig } from './dynamodb-local-config.js';
export { localDynamoClientConfig };
export type { LocalDynamoClientConfig } from './dynamodb-local-config.js';

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function isProvisioned(dir: string): Promise<boolean> {
  if (!(await exists(join(dir, JAR_NAME))) || !(await exists(join(dir, LIB_DIR_NAME)))) return false;
  try {
    const marker = JSON.parse(await readFile(join(dir, MARKER_NAME), 'utf8')) as Partial<ProvisionMarker>;
    return (
      marker.packageName === DYNAMODB_LOCAL_SOURCE.packageName &&
      marker.version === DYNAMODB_LOCAL_SOURCE.version &&
      marker.integrity === DYNAMODB_LOCAL_SOURCE.integrity
    );
  } catch {
    return false;
  }
}

async function sha512Integrity(file: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

/** Runs the npm that is running us (npm test / npx), so the machine's registry config applies. */
async function runNpm(args: string[], cwd: string): Promise<string> {
  const npmCli = process.env.npm_execpath;
  const [command, fullArgs] =
    npmCli && /npm-cli\.[cm]?js$/.test(basename(npmCli))
      ? [process.execPath, [npmCli, ...args]]
      : ['npm', args];
  const { stdout } = await execFileAsync(command, fullArgs, {
    cwd,
    maxBuffer: 16 * 1024 * 1024,
    shell: process.platform === 'win32' && command === 'npm',
  });
  return stdout;
}

/**
 * Returns the directory holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`, downloading and
 * verifying the pinned tarball on first use. Extraction happens in a private temp dir that is
 * renamed into place, so concurrent callers never see a half-written emulator.
 */
export async function ensureDynamoDbLocal(options: { cacheDir?: string } = {}): Promise<string> {
  const cacheDir = options.cacheDir ?? DEFAULT_CACHE_DIR;
  const { packageName, version, integrity } = DYNAMODB_LOCAL_SOURCE;
  const targetDir = join(cacheDir, `${packageName}-${version}`);
  if (await isProvisioned(targetDir)) return targetDir;

  await mkdir(cacheDir, { recursive: true });
  // Same filesystem as targetDir, so the final rename is atomic.
  const workDir = await mkdtemp(join(cacheDir, '.tmp-'));
  try {
    const packOutput = await runNpm(
      ['pack', `${packageName}@${version}`, '--pack-destination', workDir, '--json', '--ignore-scripts'],
      REPO_ROOT,
    );
    const packed = JSON.parse(packOutput) as Array<{ filename?: string }>;
    const filename = packed[0]?.filename;
    if (!filename) throw new Error(`npm pack ${packageName}@${version} reported no tarball`);
    const tarball = join(workDir, basename(filename));

    const actual = await sha512Integrity(tarball);
    if (actual !== integrity) {
      throw new Error(
        `Integrity mismatch for ${packageName}@${version}: expected ${integrity}, got ${actual}. Refusing to extract.`,
      );
    }

    // System tar (GNU or bsdtar) avoids a dependency; it refuses `..` and absolute member paths.
    await execFileAsync('tar', ['-xzf', tarball, '-C', workDir, '--no-same-owner', 'package/emulator'], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const extracted = join(workDir, 'package', 'emulator');
    if (!(await exists(join(extracted, JAR_NAME)))) {
      throw new Error(`${packageName}@${version} tarball has no emulator/${JAR_NAME}`);
    }
    const marker: ProvisionMarker = { packageName, version, integrity };
    await writeFile(join(extracted, MARKER_NAME), `${JSON.stringify(marker, null, 2)}\n`);

    try {
      await rename(extracted, targetDir);
    } catch (error) {
      // Another process won the race: its copy is as good as ours.
      if (await isProvisioned(targetDir)) return targetDir;
      if (!(await exists(targetDir))) throw error;
      // A stale or broken copy (no marker): move it aside, then put ours in place.
      const stale = join(cacheDir, `.stale-${randomBytes(6).toString('hex')}`);
      await rename(targetDir, stale).catch(() => undefined);
      await rename(extracted, targetDir).catch(async (retryError: unknown) => {
        if (!(await isProvisioned(targetDir))) throw retryError;
      });
      await rm(stale, { recursive: true, force: true });
    }
    return targetDir;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

const JAVA_INSTALL_HINT =
  'DynamoDB Local needs Java 17 or newer. Install it, e.g. `apt-get install openjdk-17-jre-headless` ' +
  '(Debian/Ubuntu) or `brew install openjdk@17` (macOS, then put its bin/ on PATH), and make sure ' +
  '`java -version` reports 17+.';

/** Parses the major version from `java -version` output ("1.8.0_422", "17.0.15", "21"). */
export function parseJavaMajorVersion(output: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (!match?.[1]) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] ? Number(match[2]) : first;
}

let javaChecked: Promise<string> | undefined;

/**
 * Checks that Java 17+ is there; resolves with what `java -version` printed. Once per process
 * when it succeeds (the dev server checks before it starts DynamoDB Local, which checks again):
 * each `java -version` is a JVM start.
 */
export function checkJava(): Promise<string> {
  javaChecked ??= readJavaVersion().catch((error: unknown) => {
    javaChecked = undefined;
    throw error;
  });
  return javaChecked;
}

async function readJavaVersion(): Promise<string> {
  let output: string;
  try {
    // `java -version` writes to stderr.
    const { stdout, stderr } = await execFileAsync('java', ['-version']);
    output = `${stderr}\n${stdout}`;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`Java was not found or failed to run (${reason}). ${JAVA_INSTALL_HINT}`);
  }
  const major = parseJavaMajorVersion(output);
  if (major === undefined) {
    throw new Error(`Could not read the Java version from \`java -version\`: ${output.trim()}. ${JAVA_INSTALL_HINT}`);
  }
  if (major < MIN_JAVA_MAJOR) {
    throw new Error(`Found Java ${major}. ${JAVA_INSTALL_HINT}`);
  }
  return output;
}

async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => (port ? resolve(port) : reject(new Error('Could not determine a free port'))));
    });
  });
}

/** Probes the wildcard address, which is what the jar's Jetty binds. */
async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

export interface DynamoDbLocalOptions {
  /** Fixed port; by default a free one is picked. */
  port?: number;
  /** Default: true unless `dbPath` is given. */
  inMemory?: boolean;
  /** Directory for the shared database file; created if missing. */
  dbPath?: string;
  /** The JVM's options instead of DYNAMODB_LOCAL_JVM_OPTIONS (for bench/dynamodb-local.ts's comparisons). */
  jvmOptions?: readonly string[];
}

export interface DynamoDbLocalInstance {
  endpoint: string;
  port: number;
  /** Java's process id (for tests that prove it never outlives its parent). */
  javaPid: number | undefined;
  /** Resolves when DynamoDB Local exits, however it exits (stopped, crashed, killed). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

/**
 * Runs Java under a small POSIX shell watchdog, so it never outlives the Node process that
 * started it, even one killed with SIGKILL (no exit hook runs then, and Linux's parent-death
 * signal has no macOS equivalent). The watchdog's stdin is a pipe from Node: when Node is gone,
 * however it went, the pipe reaches end of file and the watchdog stops Java (TERM, then KILL
 * if it lingers). Java itself reads nothing and holds no end of the pipe. The shell reports
 * Java's pid on fd 1 first, then waits for it and exits with its status.
 */
const WATCHDOG = `
exec 3<&0 </dev/null
"$@" 3<&- &
java=$!
echo "vexilla-java-pid $java"
trap 'kill -TERM "$java" 2>/dev/null' TERM INT HUP
( cat <&3 >/dev/null
  kill -TERM "$java" 2>/dev/null
  i=0
  while kill -0 "$java" 2>/dev/null && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
  kill -KILL "$java" 2>/dev/null ) &
exec 3<&-
status=0
while kill -0 "$java" 2>/dev/null; do wait "$java"; status=$?; done
exit "$status"
`;
const JAVA_PID_LINE = /^vexilla-java-pid (\d+)$/m;

class PortInUseError extends Error {}

/**
 * The JVM's options. The client compiler only (C1): the optimising C2 compiler's work never pays
 * back in a process that lives for a test run or a dev session. Measured on the 2-core machine:
 * start 5.1 -> 3.1 s of CPU, 1,500 writes, 600 reads and 60 queries 12.3 -> 8.2 s, faster too.
 */
export const DYNAMODB_LOCAL_JVM_OPTIONS: readonly string[] = ['-XX:TieredStopAtLevel=1'];

// Printed before Jetty binds; until then a ListTables answer could come from another server.
const STARTED_BANNER = 'Initializing DynamoDB Local';
// On a taken port the jar prints this but keeps the JVM running, so it has to be watched for.
const BIND_FAILURE = /Failed to bind|Address already in use/;

/**
 * Starts DynamoDB Local and resolves once it answers `ListTables`. The jar has no bind-address
 * option (its Jetty listens on all interfaces, with no authentication): the port is a random
 * free one unless asked for, browsers' cross-origin access is refused (`-cors` names an origin
 * that cannot exist), and the endpoint handed out is always 127.0.0.1. The README says so.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocalInstance> {
  if (options.inMemory === true && options.dbPath !== undefined) {
    throw new Error('startDynamoDbLocal: choose either inMemory or dbPath, not both');
  }
  const inMemory = options.inMemory ?? options.dbPath === undefined;
  if (!inMemory && options.dbPath === undefined) {
    throw new Error('startDynamoDbLocal: inMemory: false needs a dbPath');
  }
  if (options.dbPath !== undefined) await mkdir(options.dbPath, { recursive: true });

  const emulatorDir = await ensureDynamoDbLocal();
  await checkJava();
  // The class archive goes with the default options only (the bench compares options, not archives).
  const jvmOptions = options.jvmOptions ?? DYNAMODB_LOCAL_JVM_OPTIONS;
  const archive = options.jvmOptions ? undefined : await defaultClassArchive(emulatorDir);

  if (options.port !== undefined && !(await isPortFree(options.port))) {
    throw new Error(`DynamoDB Local cannot start: port ${options.port} is already in use`);
  }
  // A picked port can be taken between probing and Java binding it; retry only in that case.
  const attempts = options.port === undefined ? 3 : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort());
    try {
      return await launch(
        emulatorDir,
        port,
        inMemory,
        options.dbPath,
        archive ? [...jvmOptions, `-XX:SharedArchiveFile=${archive.archive}`] : jvmOptions,
        archive?.jar ?? join(emulatorDir, JAR_NAME),
      );
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) throw error;
    }
  }
}

/** The class archive for the default JVM options (made in the background when missing, unless `wait`). */
async function defaultClassArchive(emulatorDir: string, options: { wait?: boolean } = {}) {
  const java = await checkJava(); // memoised
  const identity = [DYNAMODB_LOCAL_SOURCE.integrity, java, ...DYNAMODB_LOCAL_JVM_OPTIONS].join('\n');
  const training = { run: (jar: string, trainingOptions: string[]) => trainClassArchive(emulatorDir, jar, [...DYNAMODB_LOCAL_JVM_OPTIONS, ...trainingOptions]) };
  return classArchive(emulatorDir, JAR_NAME, identity, training, options);
}

/**
 * The emulator downloaded and its class archive made, waiting for both (seconds, on a first run
 * only): for a caller about to start several emulators at once, as the test run does (its own and
 * each `npm run dev`'s), which would otherwise each download it and start without the archive.
 */
export function prepareDynamoDbLocal(): Promise<void> {
  // Once per process: callers in one process share it (a second would download the emulator too).
  prepared ??= ensureDynamoDbLocal()
    .then((emulatorDir) => defaultClassArchive(emulatorDir, { wait: true }))
    .then(() => undefined);
  prepared.catch(() => (prepared = undefined));
  return prepared;
}
let prepared: Promise<void> | undefined;

/**
 * The class archive's training run: DynamoDB Local in memory, each kind of call the stack makes
 * (on the real table's shape, stream included), then a stop; Java writes the archive as it exits.
 * Resolves whether it exited cleanly (after SIGTERM: 143), the only case where the archive is whole.
 */
async function trainClassArchive(emulatorDir: string, jar: string, jvmOptions: string[]): Promise<boolean> {
  // Writing the archive takes seconds on a busy machine: no early SIGKILL, only a bound on a hang.
  const dynamo = await launch(emulatorDir, await findFreePort(), true, undefined, jvmOptions, jar, STARTUP_TIMEOUT_MS);
  const client = new DynamoDBClient({ ...localDynamoClientConfig(dynamo.endpoint), maxAttempts: 1 });
  try {
    const TableName = 'vexilla-class-archive';
    await ensureTable(client, TableName);
    const key = (sk: string) => ({ [table.partitionKey]: { S: 'p' }, [table.sortKey]: { S: sk } });
    const indexed = Object.fromEntries(
      Object.values(table.indexes).flatMap((index) => [
        [index.partitionKey, { S: 'ip' }],
        [index.sortKey, { S: 'is' }],
      ]),
    );
    await client.send(new PutItemCommand({ TableName, Item: { ...key('a'), ...indexed, n: { N: '1' } } }));
    await client.send(new GetItemCommand({ TableName, Key: key('a'), ConsistentRead: true }));
    await client.send(new UpdateItemCommand({ TableName, Key: key('a'), UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': { N: '1' } }, ConditionExpression: 'attribute_exists(n)' }));
    await client.send(new UpdateItemCommand({ TableName, Key: key('x'), UpdateExpression: 'SET n = :one', ExpressionAttributeValues: { ':one': { N: '1' } }, ConditionExpression: 'attribute_exists(n)' })).catch(() => undefined);
    await client.send(new TransactWriteItemsCommand({ TransactItems: [{ Put: { TableName, Item: key('b') } }, { ConditionCheck: { TableName, Key: key('a'), ConditionExpression: 'n > :zero', ExpressionAttributeValues: { ':zero': { N: '0' } } } }] }));
    await client.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: [{ PutRequest: { Item: key('c') } }, { DeleteRequest: { Key: key('b') } }] } }));
    await client.send(new QueryCommand({ TableName, KeyConditionExpression: '#pk = :p AND begins_with(#sk, :s)', ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey }, ExpressionAttributeValues: { ':p': { S: 'p' }, ':s': { S: 'a' } } }));
    const [indexName, index] = Object.entries(table.indexes)[0] ?? [];
    if (indexName && index) {
      await client.send(new QueryCommand({ TableName, IndexName: indexName, KeyConditionExpression: '#pk = :p', ExpressionAttributeNames: { '#pk': index.partitionKey }, ExpressionAttributeValues: { ':p': { S: 'ip' } } }));
    }
    await client.send(new DeleteItemCommand({ TableName, Key: key('c') }));
  } finally {
    client.destroy();
    await dynamo.stop();
  }
  const { code, signal } = await dynamo.exited;
  return signal === null && (code === 0 || code === 143);
}

async function launch(
  emulatorDir: string,
  port: number,
  inMemory: boolean,
  dbPath: string | undefined,
  jvmOptions: readonly string[],
  jar: string,
  stopGraceMs = STOP_GRACE_MS,
): Promise<DynamoDbLocalInstance> {
  const args = [
    ...jvmOptions,
    `-Djava.library.path=${join(emulatorDir, LIB_DIR_NAME)}`,
    '-jar',
    jar,
    '-port',
    String(port),
    ...(inMemory ? ['-inMemory'] : ['-dbPath', dbPath ?? '.']),
    '-sharedDb',
    '-disableTelemetry',
    // The default allows every origin: any web page open in a browser here could read and write
    // the tables. No browser needs DynamoDB Local, so no origin is allowed.
    '-cors',
    'https://no-browser-access.invalid',
  ];
  // Its own process group (`detached`): Ctrl-C in a terminal reaches the dev process, which stops
  // the stack first and DynamoDB Local last, rather than Java dying under the stack's feet.
  const child: ChildProcess = spawn('sh', ['-c', WATCHDOG, 'vexilla-dynamodb-local', 'java', ...args], {
    cwd: emulatorDir,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    // In 1.25.1 `-disableTelemetry` is parsed but ignored; only this env var stops the
    // Pinpoint telemetry client and its metadata file.
    env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' },
  });
  // The lifeline: never written to, closed only by our exit (or our death).
  child.stdin?.on('error', () => undefined);

  let output = '';
  let bannerSeen = false;
  let bindFailed = false;
  let javaPid: number | undefined;
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
    javaPid ??= Number(JAVA_PID_LINE.exec(output)?.[1]) || undefined;
    bannerSeen ||= output.includes(STARTED_BANNER);
    bindFailed ||= BIND_FAILURE.test(output);
  };
  // Always drain the pipes, or a chatty emulator would block on a full pipe.
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  let spawnError: Error | undefined;
  // A failed spawn emits 'error' and never 'exit'; both end the process's life for us.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      spawnError = error;
      resolve({ code: null, signal: null });
    });
  });
  let hasExited = false;

  /** Signals the watchdog's whole group: the shell, Java and the watchdog's own reader. */
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  // A Node exit that runs its hooks takes everything down at once; a SIGKILLed Node leaves
  // it to the watchdog.
  const killOnExit = (): void => signalGroup('SIGKILL');
  process.on('exit', killOnExit);
  void exited.then(() => {
    hasExited = true;
    process.off('exit', killOnExit);
    // The watchdog's reader waits for the lifeline's end: give it now, so it leaves too.
    child.stdin?.destroy();
  });

  const stop = async (): Promise<void> => {
    if (hasExited || child.exitCode !== null || child.signalCode !== null) return;
    signalGroup('SIGTERM');
    // Java normally exits on SIGTERM within a second; escalate if it does not.
    const escalate = setTimeout(() => signalGroup('SIGKILL'), stopGraceMs);
    await exited;
    clearTimeout(escalate);
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...localDynamoClientConfig(endpoint), maxAttempts: 1 });
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  try {
    for (;;) {
      if (bindFailed) {
        throw new PortInUseError(`DynamoDB Local could not bind port ${port}. Output:\n${output}`);
      }
      if (hasExited) {
        if (spawnError) throw new Error(`Could not start java: ${spawnError.message}`);
        const { code, signal } = await exited;
        throw new Error(
          `DynamoDB Local exited before answering (code ${code}, signal ${signal}) on port ${port}. Output:\n${output}`,
        );
      }
      if (bannerSeen) {
        try {
          await client.send(new ListTablesCommand({}), { abortSignal: AbortSignal.timeout(2_000) });
          if (!bindFailed) return { endpoint, port, javaPid, exited, stop };
          continue;
        } catch {
          // Not listening yet.
        }
      }
      if (Date.now() > deadline) {
        throw new Error(
          `DynamoDB Local did not answer on ${endpoint} within ${STARTUP_TIMEOUT_MS / 1000} s. Output:\n${output}`,
        );
      }
      await sleep(200);
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    client.destroy();
  }
}
