/**
 * The in-process event bus of the local stack, routed by the same rule table as the EventBridge
 * rules CDK creates. Like EventBridge, `put` only accepts events; delivery to each consumer happens
 * afterwards, independently, with a few retries, so a failing or slow consumer never blocks
 * another one or the publisher.
 */
import { randomUUID } from 'node:crypto';
import type { EventDetail } from './detail-types.js';
import type { EventBus } from './publisher.js';
import { type EventRule, eventRules, matchingConsumers } from './rules.js';

/** What a consumer receives: the fields of an EventBridge event that consumers use. */
export interface BusEvent {
  /** Envelope id, new per put; a republished event gets a new one, so dedupe on `detail.eventId`. */
  id: string;
  source: string;
  /** The account that put the event (the local stack's pretend one). */
  account: string;
  'detail-type': string;
  time: string;
  /** ARNs the event is about (AWS services' events, like an alarm's state change). */
  resources?: string[];
  detail: EventDetail;
}

export type ConsumerHandler = (event: BusEvent) => Promise<void> | void;

export interface LocalBusOptions {
  /** @default eventRules (add entries to emulate customers' own rules) */
  rules?: readonly EventRule[];
  /** Extra attempts after a failed delivery. @default 2 */
  retries?: number;
  /** Delay before the first retry, doubled each time. @default 100 */
  retryDelayMs?: number;
  /** Called when a delivery has failed its last attempt. */
  onDeliveryFailed?: (consumer: string, event: BusEvent, error: unknown) => void;
}

/** The local stack's pretend AWS account (its alarms and events live there). */
export const LOCAL_ACCOUNT = '000000000000';

export interface LocalBus extends EventBus {
  /** Puts entries; `eventIds` are the ids their events carry, in entry order. */
  put(entries: Parameters<EventBus['put']>[0]): Promise<{ failed: number; eventIds: string[] }>;
  /** Registers a handler for a consumer of the rule table; returns an unsubscribe function. */
  subscribe(consumer: string, handler: ConsumerHandler): () => void;
  /** Deliveries that failed every attempt, per consumer. */
  failures(): Record<string, number>;
  /** Resolves once every delivery started so far has finished (for tests and shutdown). */
  idle(): Promise<void>;
}

export function createLocalBus(options: LocalBusOptions = {}): LocalBus {
  const rules = options.rules ?? eventRules;
  const retries = options.retries ?? 2;
  const retryDelayMs = options.retryDelayMs ?? 100;
  const known = new Set(rules.map((rule) => rule.consumer));
  const handlers = new Map<string, Set<ConsumerHandler>>();
  const failed = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();

  const deliver = async (consumer: string, handler: ConsumerHandler, event: BusEvent): Promise<void> => {
    // Start on a later turn, so a handler that throws synchronously or never yields cannot
    // delay the publisher or the handlers after it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    for (let attempt = 0; ; attempt++) {
      try {
        await handler(event);
        return;
      } catch (error) {
        if (attempt >= retries) {
          failed.set(consumer, (failed.get(consumer) ?? 0) + 1);
          options.onDeliveryFailed?.(consumer, event, error);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** attempt));
      }
    }
  };

  return {
    subscribe(consumer, handler) {
      if (!known.has(consumer)) throw new Error(`No rule routes events to consumer ${consumer}`);
      const set = handlers.get(consumer) ?? new Set<ConsumerHandler>();
      set.add(handler);
      handlers.set(consumer, set);
      return () => {
        set.delete(handler);
      };
    },

    async put(entries) {
      const eventIds: string[] = [];
      for (const entry of entries) {
        const id = randomUUID();
        eventIds.push(id);
        const parsed: unknown = JSON.parse(entry.Detail);
        for (const consumer of matchingConsumers(entry.DetailType, rules, entry.Source, parsed)) {
          for (const handler of handlers.get(consumer) ?? []) {
            // Each handler gets its own copy: one consumer mutating its event cannot affect another.
            const event: BusEvent = {
              id,
              source: entry.Source,
              account: LOCAL_ACCOUNT,
              'detail-type': entry.DetailType,
              time: entry.Time.toISOString(),
              ...(entry.Resources ? { resources: [...entry.Resources] } : {}),
              detail: JSON.parse(entry.Detail) as EventDetail,
            };
            const delivery = deliver(consumer, handler, event);
            inFlight.add(delivery);
            void delivery.finally(() => inFlight.delete(delivery));
          }
        }
      }
      return { failed: 0, eventIds };
    },

    failures() {
      return Object.fromEntries(failed);
    },

    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
