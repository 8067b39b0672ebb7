import { describe, expect, it } from 'vitest';
import { createLocalScheduler } from '../../functions/local/local-scheduler.js';

const target = (id: string) => ({ envId: 'env_1', scheduledChangeId: id });

function setup(options: { failTimes?: number } = {}) {
  let now = new Date('2026-12-01T09:00:00Z');
  const fired: string[] = [];
  const errors: number[] = [];
  let failures = options.failTimes ?? 0;
  const scheduler = createLocalScheduler({
    clock: () => now,
    fire: async (t) => {
      if (failures > 0) {
        failures--;
        throw new Error('boom');
      }
      fired.push(t.scheduledChangeId);
    },
    onError: (_error, _name, attempts) => errors.push(attempts),
  });
  return { scheduler, fired, errors, advanceTo: (iso: string) => (now = new Date(iso)) };
}

describe('local scheduler', () => {
  it('fires a schedule when the clock reaches its time, not before, and only once', async () => {
    const { scheduler, fired, advanceTo } = setup();
    await scheduler.create('a', new Date('2026-12-01T10:00:00Z'), target('a'));

    await scheduler.tick();
    advanceTo('2026-12-01T09:59:59.999Z');
    await scheduler.tick();
    expect(fired).toEqual([]);

    advanceTo('2026-12-01T10:00:00Z');
    await scheduler.tick();
    await scheduler.tick();
    expect(fired).toEqual(['a']);
    expect(scheduler.pending()).toEqual([]);
  });

  it('fires due schedules oldest first, and never a deleted one', async () => {
    const { scheduler, fired, advanceTo } = setup();
    await scheduler.create('late', new Date('2026-12-01T10:05:00Z'), target('late'));
    await scheduler.create('early', new Date('2026-12-01T10:01:00Z'), target('early'));
    await scheduler.create('cancelled', new Date('2026-12-01T10:02:00Z'), target('cancelled'));
    await scheduler.delete('cancelled');

    advanceTo('2026-12-01T11:00:00Z');
    await scheduler.tick();

    expect(fired).toEqual(['early', 'late']);
  });

  it('keeps the first schedule when a name is created twice (idempotent on name)', async () => {
    const { scheduler } = setup();
    await scheduler.create('a', new Date('2026-12-01T10:00:00Z'), target('a'));
    await scheduler.create('a', new Date('2026-12-01T12:00:00Z'), target('a'));

    expect(scheduler.pending().map((p) => p.at.toISOString())).toEqual(['2026-12-01T10:00:00.000Z']);
  });

  it('retries a failed fire on later ticks, up to its retry limit', async () => {
    const { scheduler, fired, errors, advanceTo } = setup({ failTimes: 2 });
    await scheduler.create('a', new Date('2026-12-01T10:00:00Z'), target('a'));
    advanceTo('2026-12-01T10:00:00Z');

    await scheduler.tick();
    await scheduler.tick();
    expect(fired).toEqual([]);
    await scheduler.tick();

    expect(fired).toEqual(['a']);
    expect(errors).toEqual([1, 2]);
  });

  it('drops a schedule that keeps failing', async () => {
    const { scheduler, fired, errors, advanceTo } = setup({ failTimes: 5 });
    await scheduler.create('a', new Date('2026-12-01T10:00:00Z'), target('a'));
    advanceTo('2026-12-01T10:00:00Z');

    for (let i = 0; i < 4; i++) await scheduler.tick();

    expect(fired).toEqual([]);
    expect(errors).toEqual([1, 2, 3]);
    expect(scheduler.pending()).toEqual([]);
  });
});
