import { describe, expect, it } from 'vitest';
import { itemKeysOf } from '../../functions/data/keys.js';
import { auditRecordOf } from '../../functions/events/consumers/audit-writer.js';
import { parseBusEvent } from '../../functions/events/consumers/bus-event.js';
import { toEventDetail } from '../../functions/events/detail-types.js';
import { featureStateEvent } from '../support/change-events.js';

const event = featureStateEvent({ before: { enabled: false }, after: { enabled: true } });

describe('audit-writer', () => {
  it('rebuilds from an event exactly the record the write path stored, under the same key', () => {
    const consumed = parseBusEvent({ 'detail-type': event.detailType, detail: toEventDetail(event) });

    const record = auditRecordOf(consumed);

    expect(record).toEqual(event);
    expect(itemKeysOf(record)).toEqual({ pk: 'AUDIT#org-1', sk: '2026-01-02T03:04:05.678Z#evt-1' });
  });

  it('refuses events off the contract', () => {
    expect(() => parseBusEvent({ 'detail-type': 'feature-state.changed', detail: { ...toEventDetail(event), environmentId: undefined } })).toThrow(/breaks its schema/);
    expect(() => parseBusEvent({ 'detail-type': 'nothing.changed', detail: {} })).toThrow(/Unknown detail-type/);
    expect(() => parseBusEvent('not an event')).toThrow(/Not an EventBridge event/);
  });
});
