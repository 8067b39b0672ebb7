/**
 * The local stack's EventBridge: a PutEvents endpoint (the AWS JSON 1.1 protocol, as the AWS SDK
 * and CLI speak it) in front of the in-process bus, so the customer's code puts events on the
 * local stack exactly as on AWS, only with another endpoint:
 *
 *   new EventBridgeClient({ endpoint: 'http://localhost:8080/_local/eventbridge', region: 'local', credentials: … })
 *   aws events put-events --endpoint-url http://localhost:8080/_local/eventbridge --entries file://update.json
 *
 * Entries must name Vexilla's bus (`vexilla-local`, or its ARN), as they must name the deployed
 * bus on AWS: one put on the default bus reaches no Vexilla rule there, so it is refused here
 * rather than silently lost. Limits and error codes follow the PutEvents reference
 * (docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html): at most 10 entries
 * and 256 KB per call, Detail a JSON object, no `aws.` sources.
 */
import { AWS } from '../domain/limits.js';
import { LOCAL_ACCOUNT, type LocalBus } from '../events/local-bus.js';
import type { BusEntry } from '../events/publisher.js';
import { MAX_ENTRIES_PER_PUT } from '../events/publisher.js';

export const LOCAL_EVENTBRIDGE_PATH = '/_local/eventbridge';
export const LOCAL_BUS_NAME = 'vexilla-local';
export const LOCAL_BUS_ARN = `arn:aws:events:local:${LOCAL_ACCOUNT}:event-bus/${LOCAL_BUS_NAME}`;

export interface AwsAnswer {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const answer = (statusCode: number, body: unknown): AwsAnswer => ({ statusCode, headers: { 'content-type': CONTENT_TYPE }, body: JSON.stringify(body) });
const refuse = (type: string, message: string) => answer(400, { __type: type, message });

interface RequestEntry {
  Source?: unknown;
  DetailType?: unknown;
  Detail?: unknown;
  EventBusName?: unknown;
  Time?: unknown;
  Resources?: unknown;
}

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** Whether a request is for this endpoint (the SDK appends `/` to the endpoint's path). */
export const isLocalEventBridge = (method: string, pathname: string) => method === 'POST' && (pathname === LOCAL_EVENTBRIDGE_PATH || pathname === `${LOCAL_EVENTBRIDGE_PATH}/`);

/** An entry's size as EventBridge counts it (PutEvents: "Calculating PutEvents event entry size"). */
const entrySize = (entry: RequestEntry) =>
  [entry.Source, entry.DetailType, entry.Detail, ...(Array.isArray(entry.Resources) ? entry.Resources : [])].reduce<number>((sum, part) => sum + (typeof part === 'string' ? Buffer.byteLength(part) : 0), entry.Time !== undefined ? 14 : 0);

/** Checks one entry; the bus entry it becomes, or why it fails. */
function checkEntry(entry: RequestEntry, now: Date): BusEntry | { ErrorCode: string; ErrorMessage: string } {
  if (typeof entry.Source !== 'string' || !entry.Source || typeof entry.DetailType !== 'string' || !entry.DetailType || typeof entry.Detail !== 'string') {
    return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameters Source, DetailType and Detail are required.' };
  }
  if (entry.Source.startsWith('aws.')) return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  if (entry.EventBusName !== LOCAL_BUS_NAME && entry.EventBusName !== LOCAL_BUS_ARN) {
    return {
      ErrorCode: 'ResourceNotFoundException',
      ErrorMessage: `Event bus ${typeof entry.EventBusName === 'string' ? entry.EventBusName : 'default'} does not exist here: name Vexilla's bus (${LOCAL_BUS_NAME}), as you name the deployed one (the stack's EventBusName output) on AWS.`,
    };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail);
  } catch {
    detail = undefined;
  }
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  return {
    Source: entry.Source,
    DetailType: entry.DetailType,
    Detail: entry.Detail,
    EventBusName: LOCAL_BUS_NAME,
    Time: typeof entry.Time === 'number' ? new Date(entry.Time * 1000) : now,
    ...(Array.isArray(entry.Resources) ? { Resources: entry.Resources.filter((arn): arn is string => typeof arn === 'string') } : {}),
  };
}

/** Answers one AWS JSON request: PutEvents onto the bus; any other operation is unknown here. */
export async function handleEventBridgeRequest(bus: Pick<LocalBus, 'put'>, target: string | undefined, body: string, now = new Date()): Promise<AwsAnswer> {
  if (target !== 'AWSEvents.PutEvents') return refuse('UnknownOperationException', `The local stack's EventBridge takes PutEvents only (X-Amz-Target AWSEvents.PutEvents), not ${target ?? 'nothing'}.`);
  let request: { Entries?: unknown };
  try {
    request = JSON.parse(body) as { Entries?: unknown };
  } catch {
    return refuse('SerializationException', 'The request body is not JSON.');
  }
  const entries = request.Entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES_PER_PUT) {
    return refuse('ValidationException', `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${MAX_ENTRIES_PER_PUT}`);
  }
  const total = (entries as RequestEntry[]).reduce((sum, entry) => sum + entrySize(entry), 0);
  if (total > AWS.eventBridgeEntryBytes) return refuse('ValidationException', `Total size of the entries in the request is over the limit (${AWS.eventBridgeEntryBytes} bytes).`);
  const checked = (entries as RequestEntry[]).map((entry) => checkEntry(typeof entry === 'object' && entry !== null ? entry : {}, now));
  const accepted = checked.filter((entry): entry is BusEntry => !('ErrorCode' in entry));
  const eventIds = accepted.length ? (await bus.put(accepted)).eventIds : [];
  // Each accepted entry answers with the id its event carries (consumers see the same one).
  let next = 0;
  const results: EntryResult[] = checked.map((entry) => ('ErrorCode' in entry ? entry : { EventId: eventIds[next++] ?? '' }));
  return answer(200, { Entries: results, FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length });
}
