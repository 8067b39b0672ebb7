/**
 * The event-rule table, as plain data: which consumer receives which detail-types. CDK builds one
 * EventBridge rule per entry (pattern from `eventPattern`), and the local bus routes by the same
 * table, so the two worlds cannot disagree. Customers' own rules match on the same `source`.
 */
import type { DetailType } from '../domain/entities.js';
import { WEBHOOK_EVENT_TYPES } from '../domain/webhook-deliveries.js';
import { detailTypes } from './detail-types.js';

/** The `source` of every event Vexilla publishes. */
export const EVENT_SOURCE = 'vexilla';

export type ConsumerName = 'audit-writer' | 'webhook-dispatcher' | 'document-publisher';

/** A pattern on an event's `detail`, in EventBridge's syntax: each leaf lists the values it accepts. */
export type DetailPattern = { [key: string]: readonly (string | number)[] | DetailPattern };

export interface EventRule<C extends string = string, T extends string = string> {
  consumer: C;
  /** The events' `source`. @default EVENT_SOURCE */
  source?: string;
  /** Detail-types delivered to the consumer. */
  detailTypes: readonly T[];
  /** What the `detail` must hold, beyond the detail-type. @default anything */
  detail?: DetailPattern;
  description: string;
}

export const eventRules: readonly EventRule<ConsumerName, DetailType>[] = [
  {
    // The audit record itself is the ChangeEvent item, written in the same TransactWriteItems as
    // the change, so audit can never miss or invent a change and this consumer writes nothing
    // for it. It stays in the table (issue 5 asks for it) as the one place for audit side effects
    // that must not sit in the transaction: an idempotent put-if-absent of the record keyed on
    // the event id (a no-op for transactional events; it covers records arriving from any other
    // source), and later retention or export. It receives every detail-type for that reason.
    consumer: 'audit-writer',
    detailTypes,
    description: 'Ensures one audit record per event id (idempotent; normally already written by the transaction).',
  },
  {
    // Webhooks are per environment; project-wide changes (features, segments) reach every
    // environment of the project, and the dispatcher fans them out with each webhook's filter.
    consumer: 'webhook-dispatcher',
    // `webhook.changed` is not delivered to webhooks: the dispatcher reads it for redeliveries only.
    detailTypes: [...WEBHOOK_EVENT_TYPES, 'webhook.changed'],
    description: "Signs and POSTs the event to each matching webhook of the affected environments, with retries and a dead-letter list.",
  },
  {
    // Everything that appears in an environment document or the flags served from it
    // (the client key is in the document as `api_key`; deleting an identity drops its overrides).
    consumer: 'document-publisher',
    detailTypes: [
      'project.changed',
      'environment.changed',
      'api-key.changed',
      'feature.changed',
      'feature-state.changed',
      'segment.changed',
      'identity.changed',
      'identity-override.changed',
      // Tenant traits are compiled into the documents of segments that read them.
      'tenant.changed',
      'template.changed',
    ],
    description: "Rebuilds the affected environments' documents once per burst of changes and invalidates the edge cache.",
  },
];

/**
 * Rules on the account's *default* bus, where AWS services put their own events: CloudWatch
 * puts an alarm's state changes there, not on Vexilla's bus. CDK builds them in
 * lib/rollouts.ts, narrowed to the alarms the deployment may watch; the local stack routes its
 * simulated alarms by the same table.
 */
export type DefaultBusConsumerName = 'rollout-runner';

export const defaultBusRules: readonly EventRule<DefaultBusConsumerName>[] = [
  {
    consumer: 'rollout-runner',
    source: 'aws.cloudwatch',
    detailTypes: ['CloudWatch Alarm State Change'],
    // Only entering ALARM acts (a rollback); recovering changes nothing.
    detail: { state: { value: ['ALARM'] } },
    description: 'Rolls back the progressive rollouts a CloudWatch alarm guards when it enters ALARM.',
  },
];

/** Whether a value matches an EventBridge detail pattern (exact values, the subset the rule tables use). Pure. */
export function matchesDetail(pattern: DetailPattern | undefined, value: unknown): boolean {
  if (!pattern) return true;
  if (typeof value !== 'object' || value === null) return false;
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = (value as Record<string, unknown>)[key];
    return Array.isArray(expected) ? expected.includes(actual as string | number) : matchesDetail(expected as DetailPattern, actual);
  });
}

/** Consumers that receive an event, in rule-table order: by source (default Vexilla's), detail-type and detail. Pure. */
export function matchingConsumers<C extends string = ConsumerName>(
  detailType: string,
  rules: readonly EventRule<C>[] = eventRules as unknown as readonly EventRule<C>[],
  source: string = EVENT_SOURCE,
  detail?: unknown,
): C[] {
  return rules
    .filter((rule) => (rule.source ?? EVENT_SOURCE) === source && (rule.detailTypes as readonly string[]).includes(detailType) && (rule.detail === undefined || matchesDetail(rule.detail, detail)))
    .map((rule) => rule.consumer);
}

/** The EventBridge event pattern of a rule, for CDK. */
export function eventPattern(rule: EventRule): { source: string[]; 'detail-type': string[]; detail?: DetailPattern } {
  return { source: [rule.source ?? EVENT_SOURCE], 'detail-type': [...rule.detailTypes], ...(rule.detail ? { detail: rule.detail } : {}) };
}
