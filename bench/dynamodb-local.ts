/**
 * DynamoDB Local's own CPU (its Java process, read from /proc, so the figures hold on a busy
 * machine): to start, to sit idle, and per call type, for each set of JVM options compared.
 * The tests and `npm run dev` start many of these JVMs (issue 14): their cost is the suite's.
 */
import { readFile } from 'node:fs/promises';
import {
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../functions/data/create-table.js';
import {
  DYNAMODB_LOCAL_JVM_OPTIONS,
  type DynamoDbLocalInstance,
  localDynamoClientConfig,
  startDynamoDbLocal,
} from '../functions/local/dynamodb-local.js';

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

const VARIANTS: Record<string, readonly string[]> = {
  current: DYNAMODB_LOCAL_JVM_OPTIONS,
  // VEXILLA_BENCH_JVM="-XX:A -XX:B;-XX:C" adds candidates to compare (separated by `;`).
  ...Object.fromEntries(
    (process.env.VEXILLA_BENCH_JVM ?? '')
      .split(';')
      .filter((variant) => variant.trim())
      .map((variant, i) => [`candidate ${i + 1}`, variant.split(/\s+/).filter(Boolean)]),
  ),
};

const CALLS = Number(process.env.VEXILLA_BENCH_DDB_CALLS ?? 300);
const TABLES = 10;
const payload = 'x'.repeat(800);

interface Figures {
  startCpu: number;
  idleCpuPerSecond: number;
  perCall: Record<string, number>;
}

async function measure(jvmOptions: readonly string[]): Promise<Figures> {
  const dynamo: DynamoDbLocalInstance = await startDynamoDbLocal({ inMemory: true, jvmOptions });
  const pid = dynamo.javaPid;
  if (pid === undefined) throw new Error('no java pid');
  const client = new DynamoDBClient({ ...localDynamoClientConfig(dynamo.endpoint), maxAttempts: 1 });
  try {
    const startCpu = await cpuSeconds(pid);
    const idleFrom = await cpuSeconds(pid);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const idleCpuPerSecond = ((await cpuSeconds(pid)) - idleFrom) / 5;
    const perCall: Record<string, number> = {};
    const phase = async (name: string, count: number, call: (i: number) => Promise<unknown>) => {
      const before = await cpuSeconds(pid);
      for (let i = 0; i < count; i++) await call(i);
      perCall[name] = (((await cpuSeconds(pid)) - before) / count) * 1000;
    };
    const tables = Array.from({ length: TABLES }, (_, i) => `bench-${i}`);
    await phase('CreateTable (+TTL, Describe)', TABLES, (i) => ensureTable(client, tables[i] as string, { stream: false }));
    const TableName = tables[0] as string;
    const key = (i: number) => ({ pk: { S: `ORG#${i % 20}` }, sk: { S: `FEATURE#${i}` } });
    const item = (i: number) => ({ ...key(i), gsi1pk: { S: `G#${i % 7}` }, gsi1sk: { S: `S#${i}` }, data: { S: payload }, n: { N: String(i) } });
    await phase('PutItem', CALLS, (i) => client.send(new PutItemCommand({ TableName, Item: item(i) })));
    await phase('GetItem', CALLS, (i) => client.send(new GetItemCommand({ TableName, Key: key(i) })));
    await phase('Query (15 items)', CALLS / 3, (i) =>
      client.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: `ORG#${i % 20}` } } })),
    );
    await phase('UpdateItem', CALLS, (i) =>
      client.send(
        new UpdateItemCommand({
          TableName,
          Key: key(i),
          UpdateExpression: 'SET n = n + :one',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':one': { N: '1' } },
        }),
      ),
    );
    await phase('TransactWriteItems (3 items)', CALLS / 3, (i) =>
      client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName, Item: item(10_000 + i) } },
            { Update: { TableName, Key: key(i), UpdateExpression: 'SET n = n + :one', ExpressionAttributeValues: { ':one': { N: '1' } } } },
            { ConditionCheck: { TableName, Key: key(i + 1), ConditionExpression: 'attribute_exists(pk)' } },
          ],
        }),
      ),
    );
    await phase('DeleteTable', TABLES - 1, (i) => client.send(new DeleteTableCommand({ TableName: tables[i + 1] as string })));
    // A table with a stream: each write also keeps a stream record, and the cost of that grows
    // with every record kept (of any table), which is why test tables have no unread stream.
    const streamed = 'bench-stream';
    await ensureTable(client, streamed, { stream: true });
    const put = (i: number) => client.send(new PutItemCommand({ TableName: streamed, Item: item(i) }));
    await phase('PutItem, stream table (first)', CALLS, put);
    await phase('PutItem, stream table', CALLS * 5, (i) => put(CALLS + i));
    await phase(`PutItem, stream table (after ${CALLS * 6})`, CALLS, (i) => put(CALLS * 6 + i));
    return { startCpu, idleCpuPerSecond, perCall };
  } finally {
    client.destroy();
    await dynamo.stop();
  }
}

export async function runDynamoDbLocalBench(): Promise<void> {
  console.log(`\n## DynamoDB Local's CPU (its Java process; ${CALLS} calls of each kind, one at a time, items ~1 KB, table without a stream unless said)`);
  const results: Record<string, Figures> = {};
  for (const [name, options] of Object.entries(VARIANTS)) {
    results[name] = await measure(options);
    const figures = results[name];
    console.log(`\n${name}: ${options.join(' ')}`);
    console.log(`  start: ${figures.startCpu.toFixed(2)} s CPU; idle: ${(figures.idleCpuPerSecond * 1000).toFixed(0)} ms CPU/s`);
    for (const [call, ms] of Object.entries(figures.perCall)) console.log(`  ${call.padEnd(36)} ${ms.toFixed(2)} ms CPU/call`);
  }
}
