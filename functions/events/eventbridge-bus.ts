/**
 * The EventBus port on Amazon EventBridge (production).
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type BusEntry, type EventBus, MAX_ENTRIES_PER_PUT } from './publisher.js';

export class EventBridgeBus implements EventBus {
  constructor(private readonly client: EventBridgeClient) {}

  /**
   * One PutEvents call. PutEvents answers 200 even when some entries fail, so the failures are
   * counted from `FailedEntryCount` (and each entry's ErrorCode) and returned, never ignored.
   */
  async put(entries: BusEntry[]): Promise<{ failed: number }> {
    if (entries.length === 0) return { failed: 0 };
    if (entries.length > MAX_ENTRIES_PER_PUT) {
      throw new Error(`PutEvents takes at most ${MAX_ENTRIES_PER_PUT} entries, got ${entries.length}`);
    }
    const output = await this.client.send(new PutEventsCommand({ Entries: entries }));
    const byEntries = (output.Entries ?? []).filter((entry) => entry.ErrorCode !== undefined).length;
    return { failed: Math.max(output.FailedEntryCount ?? 0, byEntries) };
  }
}
