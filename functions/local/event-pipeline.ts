/**
 * The stream publisher of the local stack: polls DynamoDB Local's stream of the table (DynamoDB
 * Local implements the Streams API and returns `LatestStreamArn` from DescribeTable) and feeds
 * the records through the same `publishStreamRecords` as the production Lambda, into a bus.
 *
 * Delivery is at-least-once, as in production: a batch is only passed once the bus accepted all
 * of it; otherwise the same records are read again on the next poll.
 */
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type ShardIteratorType,
} from '@aws-sdk/client-dynamodb-streams';
import { type EventBus, publishStreamRecords } from '../events/publisher.js';
import { logger } from '../shared/logger.js';
import { localDynamoClientConfig } from './dynamodb-local.js';

export interface EventPipelineOptions {
  endpoint: string;
  tableName: string;
  bus: EventBus;
  /** Pause between polls when the stream had nothing new. @default 100 */
  pollMs?: number;
  /**
   * The longest pause while the stream stays quiet: each quiet poll in a row doubles the pause,
   * from `pollMs` up to this, and `wake()` (a write just happened) polls at once. Idle polling
   * costs CPU in this process and in DynamoDB Local's Java for as long as the stack runs.
   * @default pollMs (no growth)
   */
  idlePollMs?: number;
  /**
   * Where to start reading the shards that exist at start. The dev server starts at LATEST (what
   * happened before it started is not replayed); tests may read from TRIM_HORIZON. Shards that
   * appear later are always read from their beginning. @default 'LATEST'
   */
  startAt?: 'LATEST' | 'TRIM_HORIZON';
  /** @default 'vexilla-local' */
  busName?: string;
  /**
   * Told of the first failed poll of an outage (DynamoDB Local gone, say); polls then back off,
   * doubling up to `maxBackoffMs`, until one succeeds. @default logs one warning line
   */
  onError?: (error: unknown) => void;
  /** Told when polling works again after an outage. @default logs one line */
  onRecovered?: (failedPolls: number) => void;
  /** The longest pause between polls while they fail. @default 5000 */
  maxBackoffMs?: number;
}

export interface EventPipeline {
  /** A write just happened: polls now if it is waiting between quiet polls, and fast again after. */
  wake(): void;
  /** Stops polling after the batch in progress, and releases the clients. */
  stop(): Promise<void>;
}

interface ShardCursor {
  shardId: string;
  parentShardId?: string | undefined;
  iterator?: string | undefined;
  /** Last sequence number handed to the bus, to resume after an expired iterator. */
  lastSequence?: string | undefined;
  initialType: ShardIteratorType;
}

/**
 * The pause before the next poll: none after a busy one, the poll interval after a quiet one
 * (doubled per earlier quiet poll in a row, up to `idlePollMs`), and after failed ones the
 * interval doubled per failure, up to `maxBackoffMs`. Pure.
 */
export function nextPollPause({
  failures,
  busy,
  pollMs,
  maxBackoffMs,
  quiet = 0,
  idlePollMs = pollMs,
}: {
  failures: number;
  busy: boolean;
  pollMs: number;
  maxBackoffMs: number;
  /** Quiet polls in a row before this one. */
  quiet?: number;
  idlePollMs?: number;
}): number {
  if (failures > 0) return Math.min(maxBackoffMs, pollMs * 2 ** failures);
  if (busy) return 0;
  return Math.max(pollMs, Math.min(idlePollMs, pollMs * 2 ** quiet));
}

const isTrimmed = (error: unknown) => error instanceof Error && error.name === 'TrimmedDataAccessException';

/** How often (in polls) the shard list is refreshed to find new shards. */
const DISCOVER_EVERY = 10;

/** Starts polling; resolves once the current shards have iterators, so later writes are seen. */
export async function startEventPipeline(options: EventPipelineOptions): Promise<EventPipeline> {
  const pollMs = options.pollMs ?? 100;
  const busName = options.busName ?? 'vexilla-local';
  // One line per outage, without a stack trace: the cause is the endpoint, not our code.
  const onError =
    options.onError ??
    ((error: unknown) =>
      logger.warn(`event pipeline cannot read ${options.endpoint}; retrying with backoff`, { reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error) }));
  const onRecovered = options.onRecovered ?? ((failedPolls: number) => logger.info('event pipeline reading the stream again', { failedPolls }));
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const config = localDynamoClientConfig(options.endpoint);
  const dynamo = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);

  const destroy = () => {
    dynamo.destroy();
    streams.destroy();
  };

  let streamArn: string;
  const cursors = new Map<string, ShardCursor>();
  /** Shards read to their end (closed); kept so they are not picked up again. */
  const finished = new Set<string>();

  const listShards = async (): Promise<Shard[]> => {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }));
      shards.push(...(StreamDescription?.Shards ?? []));
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start);
    return shards;
  };

  const discover = async (initialType: ShardIteratorType) => {
    for (const shard of await listShards()) {
      if (!shard.ShardId || cursors.has(shard.ShardId) || finished.has(shard.ShardId)) continue;
      cursors.set(shard.ShardId, { shardId: shard.ShardId, parentShardId: shard.ParentShardId, initialType });
    }
  };

  const iteratorOf = async (cursor: ShardCursor): Promise<string | undefined> => {
    const { ShardIterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: cursor.shardId,
        ...(cursor.lastSequence
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: cursor.lastSequence }
          : { ShardIteratorType: cursor.initialType }),
      }),
    );
    return ShardIterator;
  };

  /**
   * Whether a shard has no record yet. DynamoDB Local numbers stream records across all its
   * tables, and an iterator taken on a shard with no record fails (TrimmedDataAccessException)
   * once another table's stream got a record before this shard's first: a new LATEST iterator
   * then starts after that first record, which is lost (with one emulator shared by test files,
   * a stack's first change was never published). From its start, a new iterator reads it.
   */
  const isEmpty = async (shardId: string): Promise<boolean> => {
    const { ShardIterator } = await streams.send(new GetShardIteratorCommand({ StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
    if (!ShardIterator) return false;
    const { Records } = await streams.send(new GetRecordsCommand({ ShardIterator, Limit: 1 }));
    return (Records ?? []).length === 0;
  };

  /** Reads one batch from a shard; returns whether it had records (then poll again at once). */
  const pollShard = async (cursor: ShardCursor): Promise<boolean> => {
    // A child shard holds changes that follow its parent's: read it once the parent is done.
    if (cursor.parentShardId && cursors.has(cursor.parentShardId)) return false;
    cursor.iterator ??= await iteratorOf(cursor);
    if (!cursor.iterator) {
      cursors.delete(cursor.shardId);
      finished.add(cursor.shardId);
      return false;
    }
    const read = (iterator: string) => streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
    let result;
    try {
      result = await read(cursor.iterator);
    } catch (error) {
      // Expired or trimmed iterator: get a new one from the last published position next time.
      cursor.iterator = undefined;
      if (!(isTrimmed(error) && !cursor.lastSequence && cursor.initialType === 'TRIM_HORIZON')) throw error;
      // An iterator taken while its shard was empty (see isEmpty): its first records are there
      // now, so a new iterator from the shard's start reads them. Not an outage: no backoff.
      cursor.iterator = await iteratorOf(cursor);
      if (!cursor.iterator) return false;
      result = await read(cursor.iterator);
    }
    const records = result.Records ?? [];
    if (records.length > 0) {
      // Throws if the bus rejects an entry: the iterator is kept, so the batch is read again.
      await publishStreamRecords(records, { bus: options.bus, busName });
      cursor.lastSequence = records.at(-1)?.dynamodb?.SequenceNumber ?? cursor.lastSequence;
    }
    cursor.iterator = result.NextShardIterator;
    if (!cursor.iterator) {
      cursors.delete(cursor.shardId);
      finished.add(cursor.shardId);
    }
    return records.length > 0;
  };

  try {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: options.tableName }));
    if (!Table?.LatestStreamArn) throw new Error(`Table ${options.tableName} has no stream`);
    streamArn = Table.LatestStreamArn;
    await discover(options.startAt ?? 'LATEST');
    // Take the starting positions now: with LATEST, "now" is the moment the pipeline started.
    for (const cursor of cursors.values()) {
      if (cursor.parentShardId && cursors.has(cursor.parentShardId)) continue;
      // An empty shard has nothing to skip: read it from its start (DynamoDB Local loses LATEST there, see isEmpty).
      if (cursor.initialType === 'LATEST' && (await isEmpty(cursor.shardId))) cursor.initialType = 'TRIM_HORIZON';
      cursor.iterator = await iteratorOf(cursor);
    }
  } catch (error) {
    destroy();
    throw error;
  }

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let polls = 0;
  /** Quiet polls in a row: each lengthens the pause before the next, up to idlePollMs. */
  let quiet = 0;
  let current: Promise<void> = Promise.resolve();

  /** Polls that failed in a row: each doubles the pause before the next. */
  let failures = 0;
  const tick = async (): Promise<void> => {
    let busy = false;
    try {
      if (++polls % DISCOVER_EVERY === 0) await discover('TRIM_HORIZON');
      for (const cursor of [...cursors.values()]) {
        if (stopped) return;
        busy = (await pollShard(cursor)) || busy;
      }
      if (failures > 0 && !stopped) onRecovered(failures);
      failures = 0;
    } catch (error) {
      if (!stopped && failures === 0) onError(error);
      failures++;
    }
    const pause = nextPollPause({ failures, busy, pollMs, maxBackoffMs, quiet, idlePollMs: options.idlePollMs ?? pollMs });
    quiet = busy ? 0 : quiet + 1;
    if (!stopped) timer = setTimeout(run, pause);
  };
  const run = () => {
    timer = undefined;
    current = tick();
  };
  run();

  return {
    wake() {
      quiet = 0;
      // Between polls: poll now. During one: the pause after it is the short one.
      if (timer === undefined || stopped || failures > 0) return;
      clearTimeout(timer);
      run();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      await current;
      destroy();
    },
  };
}
