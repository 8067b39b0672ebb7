/**
 * Progressive rollouts over real HTTP on DynamoDB Local, with an injected clock, the in-process
 * scheduler and the local stack's simulated CloudWatch alarms: a rollout advances step by step;
 * an alarm rolls it back and nothing advances afterwards; a step fired twice, late or
 * concurrently applies once; a paused rollout does not advance; buckets are sticky across steps
 * for 10,000 identities; governed environments ask for approval once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSnapshot } from '../../functions/domain/environment-snapshot.js';
import { runRolloutStep } from '../../functions/domain/use-cases/rollouts.js';
import { rolloutResponses } from '../../functions/http/rollout-responses.js';
import { movingClock } from '../support/moving-clock.js';
import { startTestApi, type TestApi } from '../support/test-api.js';

const HOUR = 3_600_000;
const { clock, advance } = movingClock();

let api: TestApi;
let projectId: string;
let approver: string;

beforeAll(async () => {
  api = await startTestApi({ clock, snapshotTtlMs: 0 });
  projectId = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/projects`, { body: { name: 'Rollouts' } })).body.id;
  approver = (await api.call('POST', `/admin/v1/organisations/${api.organisationId}/tokens`, { body: { name: 'bob', roles: { projects: { [projectId]: 'editor' } } } })).body.token;
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, { body: { name: 'checkout', initialValue: 'v1' } });
  await api.call('POST', `/admin/v1/projects/${projectId}/features`, {
    body: { name: 'layout', type: 'MULTIVARIATE', initialValue: 'classic', defaultEnabled: true, options: [{ value: 'grid', defaultWeight: 0 }, { value: 'list', defaultWeight: 0 }] },
  });
});
afterAll(() => api?.close());

async function newEnvironment(name: string) {
  const created = await api.call('POST', `/admin/v1/projects/${projectId}/environments`, { body: { name } });
  const envId = created.body.environment.id as string;
  const base = `/admin/v1/environments/${envId}`;
  return {
    envId,
    base,
    ro: `${base}/rollouts`,
    fs: (feature: string) => `${base}/feature-states/${feature}`,
    audit: async () => (await api.call('GET', `/admin/v1/organisations/${api.organisationId}/audit?environment=${envId}&limit=100`)).body.items as AuditEvent[],
  };
}
type AuditEvent = { detailType: string; action: string; subject: Record<string, string>; actor: { name: string }; after: Record<string, unknown> | null };

const alarm = (alarmName: string, state: 'OK' | 'ALARM') => api.call('POST', `/admin/v1/organisations/${api.organisationId}/simulated-alarms`, { body: { alarmName, state, reason: `test: ${state}` } });

/** Moves the clock past the rollout's next step and lets the scheduler fire what is due. */
async function bake(hours = 1) {
  advance(hours * HOUR + 1000);
  await api.scheduler.tick();
}

describe('a progressive rollout', () => {
  it('serves 25, 50, 75 then 100%, one step per bake, each step a versioned, audited change', async () => {
    const env = await newEnvironment('steps');
    const created = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'linear', steps: 4 }, bakeSeconds: 3600, guardAlarms: ['checkout-5xx'] } });

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'running', step: 0, percentage: 25, percentages: [25, 50, 75, 100], target: { enabled: true }, start: { version: 0, content: { enabled: false, value: 'v1' } } });
    expect((await api.call('GET', env.fs('checkout'))).body).toMatchObject({ enabled: false, version: 1, rollout: { id: created.body.id, percentage: 25, target: { enabled: true, value: 'v1' } } });

    advance(HOUR - 60_000);
    await api.scheduler.tick();
    expect((await api.call('GET', `${env.ro}/${created.body.id}`)).body).toMatchObject({ percentage: 25, version: 1 });

    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      await bake();
      seen.push((await api.call('GET', `${env.ro}/${created.body.id}`)).body.percentage);
    }

    expect(seen).toEqual([50, 75, 100]);
    const done = (await api.call('GET', `${env.ro}/${created.body.id}`)).body;
    expect(done).toMatchObject({ status: 'completed', step: 3, version: 4 });
    expect(done.history.map((h: { percentage: number }) => h.percentage)).toEqual([25, 50, 75, 100]);
    const state = (await api.call('GET', env.fs('checkout'))).body;
    expect(state).toMatchObject({ enabled: true, value: 'v1', version: 4 });
    expect(state.rollout).toBeUndefined();
    const versions = (await api.call('GET', `${env.fs('checkout')}/versions`)).body.items;
    expect(versions.map((v: { rollout?: { percentage: number } }) => v.rollout?.percentage ?? 'done')).toEqual(['done', 75, 50, 25]);
    // Each step is one commit of two events (same instant, so in either order within it).
    const events = (await env.audit()).filter((e) => e.detailType !== 'environment.changed').reverse();
    expect(events.filter((e) => e.detailType === 'rollout.changed').map((e) => `${e.action} ${e.subject.percentage}`)).toEqual(['started 25', 'advanced 50', 'advanced 75', 'completed 100']);
    expect(events.filter((e) => e.detailType === 'feature-state.changed').map((e) => `${e.action} ${e.subject.percentage}`)).toEqual(['updated 25', 'updated 50', 'updated 75', 'updated 100']);
    expect(events.filter((e) => e.subject.percentage === '50').every((e) => e.actor.name.endsWith(`(rollout ${created.body.id})`))).toBe(true);
    expect(api.scheduler.pending().filter((p) => p.name.startsWith(created.body.id))).toEqual([]);
  });

  it('rolls back to where it started when a guard alarm enters ALARM, naming the alarm, and never advances again', async () => {
    const env = await newEnvironment('alarmed');
    await api.call('PATCH', env.fs('checkout'), { body: { value: 'before' } });
    const created = await api.call('POST', env.ro, { body: { featureName: 'checkout', target: { value: 'after' }, steps: { type: 'percentages', percentages: [10, 50] }, bakeSeconds: 3600, guardAlarms: ['api-latency', 'checkout-5xx-alarmed'] } });
    await bake();
    expect((await api.call('GET', env.fs('checkout'))).body.rollout).toMatchObject({ percentage: 50 });

    const fired = await alarm('checkout-5xx-alarmed', 'ALARM');

    expect(fired.body).toMatchObject({ changed: true });
    const rolledBack = (await api.call('GET', `${env.ro}/${created.body.id}`)).body;
    expect(rolledBack).toMatchObject({ status: 'rolled-back', percentage: 0, stop: { reason: 'CloudWatch alarm checkout-5xx-alarmed entered ALARM: test: ALARM', alarm: { name: 'checkout-5xx-alarmed', state: 'ALARM' } } });
    const state = (await api.call('GET', env.fs('checkout'))).body;
    expect(state).toMatchObject({ enabled: false, value: 'before', version: 4 });
    expect(state.rollout).toBeUndefined();
    const latest = (await env.audit()).slice(0, 2);
    const stateEvent = latest.find((e) => e.detailType === 'feature-state.changed');
    const rolloutEvent = latest.find((e) => e.detailType === 'rollout.changed');
    expect(stateEvent).toMatchObject({ detailType: 'feature-state.changed', subject: { alarm: 'checkout-5xx-alarmed', rollout: created.body.id }, actor: { name: `CloudWatch alarm checkout-5xx-alarmed (rollout ${created.body.id})` } });
    expect(rolloutEvent).toMatchObject({ detailType: 'rollout.changed', action: 'rolled-back', subject: { alarm: 'checkout-5xx-alarmed' } });

    await bake(10);
    expect((await api.call('GET', `${env.ro}/${created.body.id}`)).body).toMatchObject({ status: 'rolled-back', version: rolledBack.version });
    expect((await api.call('GET', env.fs('checkout'))).body.version).toBe(4);
    expect(await runRolloutStep(api.deps, { envId: env.envId, rolloutId: created.body.id, step: 2 })).toEqual({ outcome: 'skipped', reason: 'already rolled-back' });
    await alarm('checkout-5xx-alarmed', 'OK');
  });

  it('checks the guard alarms before each step: one already in ALARM refuses the start', async () => {
    const env = await newEnvironment('pre-checked');
    await alarm('already-firing', 'ALARM');

    const refused = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'linear', steps: 2 }, bakeSeconds: 60, guardAlarms: ['already-firing'] } });

    expect(refused.status).toBe(409);
    expect(refused.body.message).toBe('The rollout cannot start: guard alarm already-firing is in ALARM (test: ALARM).');
    expect((await api.call('GET', env.fs('checkout'))).body.version).toBe(0);
    await alarm('already-firing', 'OK');
  });

  it('applies a step once when its schedule fires twice, concurrently, or late', async () => {
    const env = await newEnvironment('twice');
    const created = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'linear', steps: 10 }, bakeSeconds: 3600 } });
    advance(5 * HOUR);
    const target = { envId: env.envId, rolloutId: created.body.id, step: 1 };

    const outcomes = await Promise.all([runRolloutStep(api.deps, target), runRolloutStep(api.deps, target)]);
    await api.scheduler.tick();
    const again = await runRolloutStep(api.deps, target);

    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['applied', 'skipped']);
    expect(again).toEqual({ outcome: 'skipped', reason: 'step 1 is not the next step' });
    // Five hours late, one step: the next is a bake away from now, not caught up.
    expect((await api.call('GET', `${env.ro}/${created.body.id}`)).body).toMatchObject({ percentage: 20, version: 2 });
    expect((await api.call('GET', `${env.fs('checkout')}/versions`)).body.items).toHaveLength(2);
  });

  it('ignores an early fire, making sure the schedule for the right time exists', async () => {
    const env = await newEnvironment('early');
    const created = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'linear', steps: 2 }, bakeSeconds: 3600 } });
    const name = api.scheduler.pending().find((p) => p.name.startsWith(created.body.id))?.name as string;
    await api.scheduler.delete(name);

    const early = await runRolloutStep(api.deps, { envId: env.envId, rolloutId: created.body.id, step: 1 });

    expect(early).toEqual({ outcome: 'skipped', reason: 'not due yet' });
    expect(api.scheduler.pending().map((p) => p.name)).toContain(name);
    await bake();
    expect((await api.call('GET', `${env.ro}/${created.body.id}`)).body).toMatchObject({ status: 'completed' });
  });

  it('does not advance while paused; resumes with what was left of the bake', async () => {
    const env = await newEnvironment('paused');
    const created = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'linear', steps: 4 }, bakeSeconds: 3600 } });
    advance(HOUR / 2);

    const paused = await api.call('POST', `${env.ro}/${created.body.id}/pause`, { body: { version: 1 } });
    await bake(10);

    expect(paused.body).toMatchObject({ status: 'paused' });
    // Half the bake, less the (real) time the test itself took.
    expect(paused.body.remainingMs).toBeGreaterThan(HOUR / 2 - 30_000);
    expect(paused.body.remainingMs).toBeLessThanOrEqual(HOUR / 2);
    expect((await api.call('GET', `${env.ro}/${created.body.id}`)).body).toMatchObject({ status: 'paused', percentage: 25 });
    expect(await runRolloutStep(api.deps, { envId: env.envId, rolloutId: created.body.id, step: 1 })).toEqual({ outcome: 'skipped', reason: 'already paused' });

    const resumed = await api.call('POST', `${env.ro}/${created.body.id}/resume`);
    advance(HOUR / 2 - 90_000);
    await api.scheduler.tick();
    expect((await api.call('GET', `${env.ro}/${created.body.id}`)).body.percentage).toBe(25);
    advance(91_000);
    await api.scheduler.tick();

    expect(resumed.body).toMatchObject({ status: 'running' });
    expect((await api.call('GET', `${env.ro}/${created.body.id}`)).body).toMatchObject({ status: 'running', percentage: 50 });
    expect((await api.call('POST', `${env.ro}/${created.body.id}/resume`)).status).toBe(409);
  });

  it('advances by hand, and aborts back to where it started; meanwhile the feature state changes only through the rollout', async () => {
    const env = await newEnvironment('by-hand');
    const created = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'linear', steps: 4 }, bakeSeconds: 86_400 } });

    const locked = await api.call('PATCH', env.fs('checkout'), { body: { value: 'sneaky' } });
    const advanced = await api.call('POST', `${env.ro}/${created.body.id}/advance`);
    const aborted = await api.call('POST', `${env.ro}/${created.body.id}/abort`);

    expect(locked.status).toBe(409);
    expect(locked.body.message).toContain(`Feature checkout is being rolled out (rollout ${created.body.id}, at 25%)`);
    expect(advanced.body).toMatchObject({ status: 'running', percentage: 50 });
    expect(aborted.body).toMatchObject({ status: 'aborted', percentage: 0, stop: { reason: expect.stringMatching(/^aborted by /) } });
    const state = (await api.call('GET', env.fs('checkout'))).body;
    expect(state).toMatchObject({ enabled: false, value: 'v1' });
    expect(state.rollout).toBeUndefined();
    expect((await api.call('PATCH', env.fs('checkout'), { body: { value: 'by hand' } })).status).toBe(200);
    expect((await api.call('POST', `${env.ro}/${created.body.id}/advance`)).status).toBe(409);
  });

  it('rolls out a variant, and bakes at 100% before completing when asked to', async () => {
    const env = await newEnvironment('variant');
    const layout = (await api.call('GET', `/admin/v1/projects/${projectId}/features/layout`)).body;
    const list = layout.options[1];
    const created = await api.call('POST', env.ro, { body: { featureName: 'layout', target: { variant: list.id }, steps: { type: 'exponential', start: 25, factor: 2 }, bakeSeconds: 600, finalBakeSeconds: 7200 } });
    expect(created.body).toMatchObject({ percentages: [25, 50, 100], targetContent: { weights: { [layout.options[0].id]: 0, [list.id]: 100 } } });

    await bake();
    await bake();
    const baking = (await api.call('GET', `${env.ro}/${created.body.id}`)).body;
    await bake(2);

    expect(baking).toMatchObject({ status: 'running', percentage: 100, step: 2 });
    expect((await api.call('GET', `${env.ro}/${created.body.id}`)).body).toMatchObject({ status: 'completed' });
    const state = (await api.call('GET', env.fs('layout'))).body;
    expect(state.weights).toEqual({ [layout.options[0].id]: 0, [list.id]: 100 });
    const flags = (await loadSnapshot(api.deps.store, env.envId))!.evaluator.evaluate({ identifier: 'anyone' }).flags;
    expect(flags.layout).toMatchObject({ value: 'list', variant: String(list.numericId) });
  });

  it('keeps buckets sticky: the 10,000 identities served at one step are served at every later step', async () => {
    const env = await newEnvironment('sticky');
    const created = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'percentages', percentages: [1, 5, 25, 50, 100] }, bakeSeconds: 60, finalBakeSeconds: 60 } });
    const identities = Array.from({ length: 10_000 }, (_, i) => ({ identifier: `person-${i}` }));
    const enabledNow = async () => {
      const snapshot = await loadSnapshot(api.deps.store, env.envId);
      return new Set(identities.filter((identity) => snapshot!.evaluator.evaluate(identity).flags.checkout?.enabled).map((identity) => identity.identifier));
    };

    const sets: Set<string>[] = [await enabledNow()];
    for (let step = 1; step < 5; step++) {
      advance(61_000);
      await api.scheduler.tick();
      sets.push(await enabledNow());
    }

    expect((await api.call('GET', `${env.ro}/${created.body.id}`)).body).toMatchObject({ status: 'running', percentage: 100 });
    const sizes = sets.map((set) => set.size);
    for (const [i, percentage] of [1, 5, 25, 50, 100].entries()) {
      expect(sizes[i], `${percentage}%`).toBeGreaterThanOrEqual(percentage * 100 - 250);
      expect(sizes[i], `${percentage}%`).toBeLessThanOrEqual(percentage * 100 + 250);
    }
    for (let i = 1; i < sets.length; i++) {
      const missing = [...(sets[i - 1] as Set<string>)].filter((identifier) => !sets[i]?.has(identifier));
      expect(missing, `served at step ${i} but not at step ${i + 1}`).toEqual([]);
    }
  });
});

describe('rollouts in an environment that requires approvals', () => {
  it('asks for approval once, through a change request, then runs every step without asking again', async () => {
    const env = await newEnvironment('governed');
    await api.call('PATCH', env.base, { body: { requiredApprovals: 1 } });

    const created = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'linear', steps: 3 }, bakeSeconds: 3600, guardAlarms: ['gov-alarm'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'awaiting-approval', step: -1, percentage: 0 });
    const requestPath = `${env.base}/change-requests/${created.body.changeRequestId}`;
    expect((await api.call('GET', requestPath)).body).toMatchObject({
      status: 'open',
      changes: [{ target: 'rollout', featureName: 'checkout', rolloutId: created.body.id, expectedVersion: 1, rollout: { percentages: [33.33, 66.67, 100], guardAlarms: ['gov-alarm'] } }],
    });
    expect((await api.call('POST', `${requestPath}/apply`)).status).toBe(409);
    await bake(5);
    expect((await api.call('GET', env.fs('checkout'))).body.version).toBe(0);

    await api.call('POST', `${requestPath}/approve`, { token: approver });
    const applied = await api.call('POST', `${requestPath}/apply`);

    expect(applied.body).toMatchObject({ status: 'applied' });
    expect((await api.call('GET', `${env.ro}/${created.body.id}`)).body).toMatchObject({ status: 'running', percentage: 33.33 });
    await bake();
    await bake();
    expect((await api.call('GET', `${env.ro}/${created.body.id}`)).body).toMatchObject({ status: 'completed' });
    expect((await api.call('GET', env.fs('checkout'))).body).toMatchObject({ enabled: true, version: 3 });
    expect((await api.call('GET', `${env.base}/change-requests`)).body.items).toHaveLength(1);
  });

  it('closing the change request cancels the rollout; aborting the rollout closes the request', async () => {
    const env = await newEnvironment('governed-closed');
    await api.call('PATCH', env.base, { body: { requiredApprovals: 1 } });
    const first = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'linear', steps: 2 }, bakeSeconds: 60 } });
    const second = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'linear', steps: 2 }, bakeSeconds: 60 } });

    await api.call('POST', `${env.base}/change-requests/${first.body.changeRequestId}/close`);
    await api.call('POST', `${env.ro}/${second.body.id}/abort`);

    expect((await api.call('GET', `${env.ro}/${first.body.id}`)).body).toMatchObject({ status: 'cancelled' });
    expect((await api.call('GET', `${env.base}/change-requests/${second.body.changeRequestId}`)).body).toMatchObject({ status: 'closed' });
    const edit = await api.call('PATCH', `${env.base}/change-requests/${first.body.changeRequestId}`, { body: { changes: [{ featureName: 'checkout', enabled: true }] } });
    expect(edit.status).toBe(409);
    expect((await api.call('GET', env.ro)).body.items.map((r: { id: string }) => r.id)).toEqual([second.body.id, first.body.id]);
  });
});

describe('what a rollout refuses', () => {
  it('names what is wrong with the request', async () => {
    const env = await newEnvironment('invalid');
    const layout = (await api.call('GET', `/admin/v1/projects/${projectId}/features/layout`)).body;

    const unknown = await api.call('POST', env.ro, { body: { featureName: 'nope', steps: { type: 'linear', steps: 2 }, bakeSeconds: 60 } });
    const falling = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'percentages', percentages: [50, 20] }, bakeSeconds: 60 } });
    const schema = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'percentages', percentages: [0.001] }, bakeSeconds: 0, guardAlarms: ['arn:aws:sqs:eu-west-1:123456789012:queue'] } });
    const wrongVariant = await api.call('POST', env.ro, { body: { featureName: 'checkout', target: { variant: layout.options[0].id }, steps: { type: 'linear', steps: 2 }, bakeSeconds: 60 } });

    expect(unknown.status).toBe(422);
    expect(unknown.body.details).toEqual([{ path: 'featureName', message: 'no feature nope in this project' }]);
    expect(falling.body.details).toEqual([{ path: 'steps', message: 'percentages must rise step by step (50 then 20)' }]);
    expect(schema.status).toBe(422);
    expect(schema.body.details.map((d: { path: string }) => d.path).sort()).toEqual(['bakeSeconds', 'guardAlarms.0', 'steps.percentages.0']);
    expect(wrongVariant.body.details).toEqual([{ path: 'target', message: `checkout has no option ${layout.options[0].id}` }]);
  });

  it('refuses a second rollout of a feature, and one with nothing to roll out', async () => {
    const env = await newEnvironment('twice-refused');
    await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'linear', steps: 2 }, bakeSeconds: 60 } });

    const second = await api.call('POST', env.ro, { body: { featureName: 'checkout', steps: { type: 'linear', steps: 2 }, bakeSeconds: 60 } });
    const nothing = await api.call('POST', env.ro, { body: { featureName: 'layout', target: { enabled: true }, steps: { type: 'linear', steps: 2 }, bakeSeconds: 60 } });

    expect(second.status).toBe(409);
    expect(second.body.message).toMatch(/^The rollout cannot start: feature checkout is already being rolled out \(rollout ro_/);
    expect(nothing.status).toBe(409);
    expect(nothing.body.message).toBe('The rollout cannot start: feature layout already serves that in twice-refused: there is nothing to roll out.');
  });
});

describe('the answers, as the OpenAPI document describes them', () => {
  it("match each rollout operation's response schema exactly, and the document's references resolve", async () => {
    const env = await newEnvironment('schemas');
    const checked = new Set<string>();
    const check = (operation: string, reply: { status: number; body: any }) => {
      expect(reply.status, JSON.stringify(reply.body)).toBeLessThan(300);
      const parsed = (rolloutResponses[operation] as (typeof rolloutResponses)[string]).safeParse(reply.body);
      expect(parsed.error?.issues, `${operation} answered outside its schema`).toBeUndefined();
      // zod drops keys it does not know: an undeclared field shows up as a difference.
      expect(parsed.data, `${operation} answered fields its schema does not declare`).toEqual(reply.body);
      checked.add(operation);
      return reply.body;
    };
    const body = { featureName: 'checkout', target: { value: 'v2' }, steps: { type: 'exponential', start: 10, factor: 2 }, bakeSeconds: 60, guardAlarms: ['schema-5xx'] };
    const rollout = check('createRollout', await api.call('POST', env.ro, { body }));
    check('listRollouts', await api.call('GET', env.ro));
    check('getRolloutAlarms', await api.call('GET', `${env.ro}/${rollout.id}/alarms`));
    check('pauseRollout', await api.call('POST', `${env.ro}/${rollout.id}/pause`, { body: {} }));
    check('resumeRollout', await api.call('POST', `${env.ro}/${rollout.id}/resume`, { body: {} }));
    check('advanceRollout', await api.call('POST', `${env.ro}/${rollout.id}/advance`, { body: {} }));
    check('simulateAlarm', await alarm('schema-5xx', 'ALARM'));
    expect(check('getRollout', await api.call('GET', `${env.ro}/${rollout.id}`))).toMatchObject({ status: 'rolled-back', stop: { alarm: { name: 'schema-5xx', state: 'ALARM' } } });
    const options = (await api.call('GET', `/admin/v1/projects/${projectId}/features/layout`)).body.options as { id: string }[];
    const variant = (await api.call('POST', env.ro, { body: { featureName: 'layout', target: { variant: options[0]?.id }, steps: { type: 'linear', steps: 2 }, bakeSeconds: 60 } })).body;
    check('abortRollout', await api.call('POST', `${env.ro}/${variant.id}/abort`, { body: {} }));
    await alarm('schema-5xx', 'OK');
    expect([...checked].sort()).toEqual(Object.keys(rolloutResponses).sort());

    const doc = (await api.call('GET', '/admin/v1/openapi.json', { token: undefined })).body;
    const described = doc.paths['/admin/v1/environments/{envId}/rollouts/{rolloutId}'].get.responses['200'].content['application/json'].schema;
    expect(described.properties.status.enum).toContain('rolled-back');
    expect(described.required).toEqual(expect.arrayContaining(['id', 'featureName', 'status', 'percentage', 'percentages', 'history']));
    // Any references (recursive parts) resolve in the document's components.
    const refs = [...JSON.stringify(described).matchAll(/"\$ref":"([^"]+)"/g)].map((match) => match[1] as string);
    for (const ref of refs) expect(doc.components.schemas[ref.replace('#/components/schemas/', '')], ref).toBeDefined();
  });
});
